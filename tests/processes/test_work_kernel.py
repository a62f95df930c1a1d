"""The work kernel's extension points: run routers and escalation policies as typed values."""

import importlib
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from processes import demo
from processes.choices import EscalationTarget, ProjectPhase
from processes.models import ImprovementProject, StandardVersion, WorkItem
from processes.services import work

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_the_public_api_names_no_private_name():
    assert all(not name.startswith("_") and hasattr(work, name) for name in work.__all__)


def test_a_registered_router_attributes_the_runs_it_routes(org, users):
    demo.load_processes()
    version = StandardVersion.objects.get(process__code="order-processing", status="published")
    routed, active = [], [True]

    def router(*, process_id, department_id, business_line, at):
        if not active[0] or process_id != version.process_id:
            return None
        return work.RunRoute(version=None, attach=routed.append)

    work.run_router_register(router)
    try:
        run, created = work.run_start(version=version, user=users["sales"], at=T0)
    finally:
        active[0] = False
    assert created and routed == [run] and run.version == version


def test_escalation_policies_are_typed_and_stored_as_before():
    policy = work.policy_levels([[1, "supervisor", "4"], [2, "department_head", "24"]])
    assert policy == work.DEFAULT_ESCALATION
    assert policy[0] == work.PolicyLevel(1, EscalationTarget.SUPERVISOR, Decimal("4"))
    assert work.policy_rows(work.DEFAULT_ESCALATION) == [[1, "supervisor", "4"], [2, "department_head", "24"]]
    assert work.next_escalation(T0, policy, 0) == T0 + timedelta(hours=4)
    assert work.next_escalation(T0, policy, 1) == T0 + timedelta(hours=24)
    assert work.next_escalation(T0, policy, 2) is None


def test_every_app_registers_its_own_work_kinds_with_distinct_values():
    from metrics.choices import MetricsWorkKind
    from pilots.choices import PilotWorkKind
    from processes.choices import WorkKind

    declared = [*WorkKind, *PilotWorkKind, *MetricsWorkKind]
    assert dict(work.kind_choices()) == {kind.value: kind.label for kind in declared}
    assert len({kind.value for kind in declared}) == len(declared)  # the two reviews no longer share "review"
    assert dict(WorkItem._meta.get_field("kind").choices) == dict(work.kind_choices())
    assert work.kind_get("monitoring_review").on_finished != work.kind_get("periodic_review").on_finished
    assert work.kind_get("milestone").on_finished and not work.kind_get("step").on_finished
    assert [k for k, _ in work.kind_choices() if work.kind_get(k).resolution] == [
        "feedback",
        "monitoring_review",
        "periodic_review",
        "action",
    ]


def test_the_api_schema_lists_every_registered_kind(client, users):
    client.force_login(users["admin"])
    schema = client.get("/api/schema/?format=json").json()
    assert set(schema["components"]["schemas"]["WorkKindEnum"]["enum"]) == dict(work.kind_choices()).keys()


def test_a_kind_cannot_be_registered_twice_differently():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        work.kind_register("step", "Something else")
    with pytest.raises(ImproperlyConfigured):  # another app taking the value of pilots' kind
        work.kind_register("milestone", work.kind_get("milestone").label, on_finished=print)
    assert work.kind_register("step", work.kind_get("step").label) == work.kind_get("step")  # again: a no-op


def test_the_data_migrations_give_each_review_its_own_kind_and_back(org):
    from django.apps import apps

    from metrics.models import Review
    from metrics.services import reviews
    from opsflow import demo as site_demo
    from pilots.models import MonitoringReview

    site_demo.load_all()  # its rollout has monitoring reviews; a project in iteration gets a periodic one
    ImprovementProject.objects.filter(pk=ImprovementProject.objects.first().pk).update(phase=ProjectPhase.ITERATION)
    assert reviews.reviews_due(now=T0) == 1
    rollout = set(MonitoringReview.objects.exclude(work_item=None).values_list("work_item_id", flat=True))
    periodic = set(Review.objects.exclude(work_item=None).values_list("work_item_id", flat=True))
    assert rollout and periodic
    WorkItem.objects.filter(pk__in=rollout | periodic).update(kind="review")  # as before the migrations
    steps = WorkItem.objects.filter(kind="step").count()
    pilots = importlib.import_module("pilots.migrations.0003_monitoring_review_kind")
    metrics = importlib.import_module("metrics.migrations.0005_periodic_review_kind")

    pilots.forwards(apps, None)
    metrics.forwards(apps, None)
    kinds = dict(WorkItem.objects.filter(pk__in=rollout | periodic).values_list("pk", "kind"))
    assert kinds == {**dict.fromkeys(rollout, "monitoring_review"), **dict.fromkeys(periodic, "periodic_review")}
    assert WorkItem.objects.filter(kind="step").count() == steps
    pilots.backwards(apps, None)
    metrics.backwards(apps, None)
    assert set(WorkItem.objects.filter(pk__in=rollout | periodic).values_list("kind", flat=True)) == {"review"}
