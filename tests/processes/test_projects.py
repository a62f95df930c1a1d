from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from metrics.models import Indicator
from processes import demo
from processes.models import Process, WorkItem
from processes.services import mapping as mapping_services
from processes.services import projects

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 10, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def project(org, users, departments):
    demo.load_processes()
    return projects.project_create(
        user=users["director"],
        name_en="Faster orders",
        name_zh="订单提速",
        department=departments["sales"],
        processes=[Process.objects.get(code="order-processing")],
        lead=users["specialist"],
        at=T0,
    )


def _open(project):
    return projects.open_work(project)


def test_creating_a_project_puts_the_preparation_work_in_the_leads_inbox(project, users):
    item = _open(project)
    assert (item.kind, item.assignee, item.position) == ("phase", users["specialist"], 1)
    assert item.due_at == datetime(2026, 3, 24, 10, tzinfo=ZoneInfo("Asia/Shanghai"))  # 10 working days
    assert "Phase 1: Preparation" in item.title_en and "阶段 1：前期准备" in item.title_zh
    assert project.phase == "preparation"


def test_a_gate_refuses_to_pass_with_deliverables_missing(project, users):
    projects.phase_submit(project=project, user=users["specialist"], at=T0)
    gate = _open(project)
    assert gate.kind == "gate" and gate.role == "manager" and gate.assignee is None
    with pytest.raises(ValidationError, match="At least one goal with a numeric target"):
        projects.gate_decide(project=project, user=users["manager"], approve=True)
    assert _open(project).pk == gate.pk  # still waiting, nothing advanced
    with pytest.raises(PermissionDenied):
        projects.gate_decide(project=project, user=users["sales"], approve=True)
    projects.goal_save(
        project=project,
        user=users["specialist"],
        indicator=Indicator.objects.get(code="cycle-time"),
        description_en="Cut order processing time by 20%",
        baseline_value=Decimal("7"),
        target_kind="relative",
        target_value=Decimal("-20"),
    )
    projects.gate_decide(project=project, user=users["manager"], approve=True)
    project.refresh_from_db()
    assert project.phase == "mapping"
    work = _open(project)
    assert (work.kind, work.position, work.assignee) == ("phase", 2, users["specialist"])


def test_mapping_gate_needs_template_1_and_a_bottleneck_table_per_process(project, users, departments):
    projects.goal_save(
        project=project,
        user=users["specialist"],
        indicator=Indicator.objects.get(code="cycle-time"),
        target_kind="relative",
        target_value=Decimal("-20"),
    )
    projects.phase_submit(project=project, user=users["specialist"])
    projects.gate_decide(project=project, user=users["manager"], approve=True)
    projects.phase_submit(project=project, user=users["specialist"])
    with pytest.raises(ValidationError) as exc:
        projects.gate_decide(project=project, user=users["manager"], approve=True)
    assert "Current-state analysis (template 1) of Order processing" in str(exc.value)
    assert "Bottleneck table of Order processing" in str(exc.value)
    process = Process.objects.get(code="order-processing")
    mapping_services.analysis_save(
        project=project,
        user=users["specialist"],
        process=process,
        owner="Sales",
        risk="high",
        steps=[{"name_en": "Manual review", "hours": Decimal("4"), "department": departments["sales"]}],
    )
    mapping_services.bottleneck_save(
        project=project,
        user=users["specialist"],
        process=process,
        kind="choke_point",
        step="Manual review",
        evidence="Reviews wait 4 h on average",
    )
    projects.gate_decide(project=project, user=users["manager"], approve=True)
    project.refresh_from_db()
    assert project.phase == "standards"


def test_sending_a_phase_back_reopens_its_work(project, users):
    projects.phase_submit(project=project, user=users["specialist"])
    with pytest.raises(ValidationError):
        projects.gate_decide(project=project, user=users["manager"], approve=False, note="")
    projects.gate_decide(project=project, user=users["manager"], approve=False, note="Interview the warehouse too")
    work = _open(project)
    assert (work.kind, work.position) == ("phase", 1)
    assert WorkItem.objects.filter(project=project, kind="phase", position=1).count() == 2


def test_the_lead_cannot_pass_their_own_gate(org, users, departments):
    demo.load_processes()
    project = projects.project_create(
        user=users["director"],
        name_en="Own",
        department=departments["sales"],
        processes=[Process.objects.get(code="order-processing")],
        lead=users["manager"],
    )
    projects.phase_submit(project=project, user=users["manager"])
    with pytest.raises(PermissionDenied):
        projects.gate_decide(project=project, user=users["manager"], approve=True)


def test_overdue_phase_work_escalates_like_any_other_work(project, users):
    from processes.models import Escalation
    from processes.services import work

    item = _open(project)
    assert work.escalation_sweep(now=item.due_at.replace(hour=11)) == 1
    escalation = Escalation.objects.get()
    assert [u.username for u in escalation.recipients.all()] == ["director"]  # the specialist's supervisor


def test_project_page_shows_phase_deliverables_owners_and_audit(project, users, client):
    client.force_login(users["director"])
    html = client.get(f"/projects/{project.pk}/").content.decode()
    assert "<title>Faster orders · OpsFlow</title>" in html
    assert "At least one goal with a numeric target" in html and "Fang Li" in html
    assert "Audit trail" in html
    client.force_login(users["cs"])  # Customer Service is outside the project's department
    assert client.get(f"/projects/{project.pk}/").status_code == 404
