"""The demo world of the whole site (site glue: ``manage.py loaddemo``, the tests' and benchmarks'
fixtures): each app's demo loader in the order their data depends on each other. Only this module
knows every app; each app's ``demo`` loads its own data (``processes.demo``, ``metrics.demo``,
``pilots.demo.pilot`` and ``pilots.demo.rollout``).

Every loader is idempotent, so running ``loaddemo`` twice changes nothing.
"""

from metrics import demo as metrics_demo
from metrics.models import Indicator
from pilots.demo import pilot as pilot_demo
from pilots.demo import rollout as demo_rollout
from processes.demo import (
    DEMO_PASSWORD,
    USERS,
    demo_users,
    load_cases,
    load_demo_runs,
    load_organisation,
    load_processes,
)
from processes.demo import load_projects as load_process_projects

__all__ = [
    "DEMO_PASSWORD",
    "LOADERS",
    "USERS",
    "demo_users",
    "load_all",
    "load_cases",
    "load_demo_runs",
    "load_metrics",
    "load_organisation",
    "load_pilots",
    "load_processes",
    "load_projects",
]


def load_projects():
    """The seed's improvement project (processes), its goals measured against the metrics app's indicators."""
    load_process_projects(indicators={i.code: i for i in Indicator.objects.filter(code__in=PROJECT_INDICATORS)})


PROJECT_INDICATORS = ("cycle-time", "complaint-rate")


def load_metrics():
    metrics_demo.load()


def load_pilots():
    """Phase 4 and 5: the regional sales team's pilot, and the rollout plan (pilots app)."""
    pilot_demo.load()
    demo_rollout.load()


LOADERS = [
    load_organisation,
    load_processes,
    load_demo_runs,
    load_projects,
    load_metrics,
    load_pilots,
    load_cases,
]


def load_all():
    for loader in LOADERS:
        loader()
