"""The WSGI entry point that gunicorn loads."""

import subprocess
import sys

from django.conf import settings

PROBE = """
import gc, sys
import opsflow.wsgi
print(gc.get_freeze_count(), *gc.get_threshold(), "processes.api.work" in sys.modules)
print(callable(opsflow.wsgi.application))
"""


def test_the_loaded_application_is_left_out_of_garbage_collections():
    """Everything loaded at start (views included) is frozen out of the collector, the youngest
    generation is collected every 20,000 allocations."""
    env = {"DJANGO_SETTINGS_MODULE": "opsflow.settings.test", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(  # noqa: S603 (a fixed command line)
        [sys.executable, "-c", PROBE], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    frozen, first, second, third, views_loaded = result.stdout.split()[:5]
    assert int(frozen) > 100_000  # Django, the apps and their views
    assert (int(first), int(second), int(third)) == (20_000, 10, 10)
    assert views_loaded == "True"
    assert result.stdout.split()[5] == "True"
