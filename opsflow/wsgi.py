"""The WSGI application that gunicorn serves (``gunicorn opsflow.wsgi:application``)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from opsflow.fastpath.switches import enabled

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsflow.settings.base")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 (imports every view now, not in the first request)

# What is loaded now (Django, the apps, views, URL patterns) lives as long as the process. Frozen, it
# is left out of every garbage collection, which then scans only what requests allocate; with
# gunicorn's --preload the workers also keep sharing those pages with the master instead of copying
# them when the collector touches them. A step completion allocates some 20,000 objects, so the
# youngest generation is collected every 20,000 allocations rather than every 700 (docs/benchmarks.md,
# "2026-12-01 05:14-05:35 UTC"). OPSFLOW_FAST_PATH_OFF=gc_freeze keeps Python's defaults
# (opsflow/fastpath/__init__.py).
if enabled("gc_freeze"):
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)
