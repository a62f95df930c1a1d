"""The work kernel's extension points: run routers and escalation policies as typed values."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from processes import demo
from processes.choices import EscalationTarget
from processes.models import StandardVersion
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


def test_every_work_kind_is_registered_with_its_label():
    from processes.choices import WorkKind

    assert dict(work.kind_choices()) == {kind.value: kind.label for kind in WorkKind}
    assert work.kind_get("milestone").on_finished and not work.kind_get("step").on_finished


def test_a_kind_cannot_be_registered_with_another_label():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        work.kind_register("step", "Something else")
