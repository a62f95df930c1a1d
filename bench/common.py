"""What several benchmark scripts share: timing a function, and a database of their own made afresh."""

import time
from urllib.parse import urlsplit, urlunsplit


def timed(function, repeat: int) -> list[float]:
    """Milliseconds of ``repeat`` calls of ``function``, after one call that warms caches, plans and the
    ORM's first compile."""
    function()
    durations = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        function()
        durations.append((time.perf_counter() - t0) * 1000)
    return durations


def recreate_database(url: str) -> None:
    """Drop and create the PostgreSQL database that ``url`` names (through the server's ``postgres``
    database), so a benchmark starts from an empty schema."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = sql.Identifier(parts.path.lstrip("/"))
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(name))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(name))
    finally:
        admin.close()
