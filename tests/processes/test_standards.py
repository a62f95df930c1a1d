import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from processes import demo, services
from processes.choices import VersionStatus
from processes.models import Process, StandardVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(org):
    demo.load_processes()
    return StandardVersion.objects.get(process__code="order-processing", status=VersionStatus.PUBLISHED)


def _step(name, dept, limit="2", **extra):
    return {"name_en": name, "department": dept, "role": "ops_staff", "time_limit": Decimal(limit), **extra}


def _draft(users, departments, **fields):
    process = services.process_create(
        user=users["specialist"], code="returns", name_en="Returns", department=departments["sales"]
    )
    version = services.version_create(process=process, user=users["specialist"])
    services.version_save(
        version=version,
        user=users["specialist"],
        fields={"goal_en": "Refund within 3 days", "scope_en": "All returns", **fields},
        steps=[_step("Check the parcel", departments["warehouse"]), _step("Refund", departments["sales"], "1")],
    )
    return version


def test_demo_holds_the_seed_order_standard_exactly(published):
    steps = list(published.steps.all())
    assert [s.name_en for s in steps] == [
        "Customer places the order online",
        "Sales reviews the order",
        "Warehouse confirms stock",
        "Logistics hands off to the courier",
    ]
    assert [s.automatic for s in steps] == [True, False, False, False]
    assert [s.time_limit for s in steps] == [None, Decimal("2"), Decimal("1"), Decimal("1")]
    assert [s.department.code for s in steps] == ["sales", "sales", "warehouse", "logistics"]
    assert all(s.name_zh for s in steps)
    quality = published.targets.get(kind="quality")
    assert (quality.indicator_en, quality.comparator, quality.value, quality.unit) == (
        "Information error rate",
        "<=",
        Decimal("1"),
        "%",
    )
    assert [(e.level, e.target) for e in published.escalation_levels.all()] == [(1, "supervisor")]
    assert StandardVersion.objects.get(process__code="complaint-handling").status == VersionStatus.PUBLISHED


def test_lifecycle_draft_submit_approve_publish(users, departments):
    version = _draft(users, departments)
    services.version_submit(version=version, user=users["specialist"])
    services.version_approve(version=version, user=users["manager"])
    services.version_publish(version=version, user=users["manager"])
    version.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED and version.approved_by == users["manager"]


def test_publishing_freezes_a_version(published, users):
    with pytest.raises(ValidationError, match="can no longer be edited"):
        services.version_save(version=published, user=users["specialist"], fields={"goal_en": "changed"})
    published.refresh_from_db()
    assert published.goal_en.startswith("Every order reviewed")


def test_an_author_cannot_approve_their_own_version(users, departments):
    process = services.process_create(user=users["manager"], code="own", name_en="Own", department=departments["sales"])
    version = services.version_create(process=process, user=users["manager"])
    services.version_save(
        version=version,
        user=users["manager"],
        fields={"goal_en": "g", "scope_en": "s"},
        steps=[_step("Do it", departments["sales"])],
    )
    services.version_submit(version=version, user=users["manager"])
    with pytest.raises(PermissionDenied):
        services.version_approve(version=version, user=users["manager"])
    services.version_approve(version=version, user=users["director"])


def test_process_specialist_cannot_approve(users, departments):
    version = _draft(users, departments)
    services.version_submit(version=version, user=users["specialist"])
    with pytest.raises(PermissionDenied):
        services.version_approve(version=version, user=users["specialist"])


def test_incomplete_draft_cannot_be_submitted(users, departments):
    process = services.process_create(user=users["specialist"], code="x", name_en="X", department=departments["sales"])
    version = services.version_create(process=process, user=users["specialist"])
    with pytest.raises(ValidationError) as exc:
        services.version_submit(version=version, user=users["specialist"])
    assert "steps" in exc.value.message_dict and "goal_en" in exc.value.message_dict


def test_only_one_version_is_current(published, users):
    draft = services.version_new_draft(version=published, user=users["specialist"])
    services.version_submit(version=draft, user=users["specialist"])
    services.version_approve(version=draft, user=users["manager"])
    services.version_publish(version=draft, user=users["manager"])
    published.refresh_from_db()
    assert published.status == VersionStatus.SUPERSEDED
    assert StandardVersion.objects.filter(process=published.process, status=VersionStatus.PUBLISHED).count() == 1


def test_only_one_draft_at_a_time(published, users):
    services.version_new_draft(version=published, user=users["specialist"])
    with pytest.raises(ValidationError, match="still in the works"):
        services.version_new_draft(version=published, user=users["specialist"])


def test_new_draft_copies_everything_and_comparison_shows_exactly_the_changes(published, users, departments):
    draft = services.version_new_draft(version=published, user=users["specialist"])
    assert draft.number == 2 and draft.based_on == published
    empty = services.version_compare(old=published, new=draft)
    assert not empty.has_changes
    assert draft.steps.count() == 4 and draft.targets.count() == 3 and draft.exception_plans.count() == 2

    steps = [{"key": s.key, **{n: getattr(s, n) for n in services.standards.STEP_FIELDS}} for s in draft.steps.all()]
    steps[1]["time_limit"] = Decimal("3")  # the seed's pilot: "change it to 3 hours"
    steps[2], steps[3] = steps[3], steps[2]  # swap warehouse and logistics
    del steps[0]  # drop the automatic step
    steps.append(_step("Confirm delivery", departments["logistics"], "24"))
    services.version_save(
        version=draft, user=users["specialist"], fields={"scope_en": "All online orders."}, steps=steps
    )
    comparison = services.version_compare(old=published, new=draft)
    assert [(c.field, c.after) for c in comparison.fields] == [("scope_en", "All online orders.")]
    states = {(row.after or row.before).name_en: (row.state, row.moved) for row in comparison.steps}
    assert states["Customer places the order online"] == ("removed", False)
    assert states["Sales reviews the order"][0] == "changed"
    review = next(r for r in comparison.steps if r.after and r.after.name_en == "Sales reviews the order")
    assert [(c.field, c.before, c.after) for c in review.changes] == [("time_limit", "2", "3")]
    assert states["Warehouse confirms stock"] == ("unchanged", True)
    assert states["Confirm delivery"] == ("added", False)
    assert all(row.state == "unchanged" for row in comparison.exception_plans)


def test_bad_step_row_stores_nothing(published, users):
    draft = services.version_new_draft(version=published, user=users["specialist"])
    steps = [{"key": s.key, **{n: getattr(s, n) for n in services.standards.STEP_FIELDS}} for s in draft.steps.all()]
    steps[1]["time_limit"] = Decimal("-1")
    with pytest.raises(services.ChildRowsInvalid) as exc:
        services.version_save(version=draft, user=users["specialist"], fields={"goal_en": "new goal"}, steps=steps)
    assert "steps[2].time_limit" in exc.value.message_dict
    draft.refresh_from_db()
    assert draft.goal_en == published.goal_en
    assert draft.steps.get(position=2).time_limit == Decimal("2")


def test_user_of_another_department_cannot_edit_the_process(published, users, client):
    warehouse_manager = users["manager"]  # heads warehouse, but not customer service
    complaint = StandardVersion.objects.get(process__code="complaint-handling")
    draft = services.version_new_draft(version=complaint, user=users["specialist"])
    with pytest.raises(PermissionDenied):
        services.version_save(version=draft, user=warehouse_manager, fields={"goal_en": "x"})
    with pytest.raises(PermissionDenied):
        services.process_update(process=complaint.process, user=warehouse_manager, name_en="x")
    client.force_login(warehouse_manager)
    assert client.get(reverse("standards:version-edit", args=[draft.pk])).status_code == 404
    client.force_login(users["sales"])  # ops staff of the right department may read, not edit
    assert client.get(reverse("standards:version-detail", args=[published.pk])).status_code == 200
    assert client.get(reverse("standards:process-edit", args=["order-processing"])).status_code == 403


def test_sop_page_and_exports_contain_every_step_with_role_and_limit(published, users, client):
    client.force_login(users["sales"])
    html = client.get(reverse("standards:version-sop", args=[published.pk])).content.decode()
    for step in published.steps.all():
        assert step.name_en in html
    assert html.count("Ops staff") >= 4
    assert "≤ 2 h" in html and html.count("≤ 1 h") >= 2
    assert "<svg" in html and "Order information missing" in html
    download = client.get(reverse("standards:version-sop", args=[published.pk]) + "?download=1")
    assert download["Content-Disposition"].startswith("attachment")
    assert b"Sales reviews the order" in download.content

    response = client.get(reverse("standards:version-export", args=[published.pk, "xlsx"]))
    workbook = load_workbook(io.BytesIO(response.content))
    rows = list(workbook["Steps"].iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == [s.name_en for s in published.steps.all()]
    assert [(r[2], r[3], r[5]) for r in rows[2:]] == [
        ("Sales", "Ops staff", "≤ 2 h"),
        ("Warehouse", "Ops staff", "≤ 1 h"),
        ("Logistics", "Ops staff", "≤ 1 h"),
    ]
    fields = dict(r for r in workbook["Standard"].iter_rows(values_only=True))
    assert "Information error rate ≤ 1%" in fields["Time limits and standards"]


def test_formula_looking_step_name_is_neutralised(users, departments, client):
    version = _draft(users, departments)
    steps = [_step('=HYPERLINK("http://evil")', departments["sales"]), _step("+1+1", departments["sales"])]
    services.version_save(version=version, user=users["specialist"], steps=steps)
    client.force_login(users["specialist"])
    text = client.get(reverse("standards:version-export", args=[version.pk, "csv"])).content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert '\'=HYPERLINK("http://evil")' in cells and "'+1+1" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    response = client.get(reverse("standards:version-export", args=[version.pk, "xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content))["Steps"]
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ['\'=HYPERLINK("http://evil")', "'+1+1"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_audit_trail_shows_who_changed_what(published, users, client):
    draft = services.version_new_draft(version=published, user=users["specialist"])
    services.version_save(version=draft, user=users["specialist"], fields={"goal_en": "Reviewed within 12 hours."})
    client.force_login(users["manager"])
    html = client.get(reverse("standards:version-history", args=[draft.pk])).content.decode()
    assert "Fang Li" in html and "Reviewed within 12 hours." in html


def test_process_list_is_scoped(published, users, client):
    client.force_login(users["warehouse"])
    html = client.get(reverse("standards:process-list")).content.decode()
    assert "Order processing" not in html  # owned by Sales
    client.force_login(users["sales"])
    html = client.get(reverse("standards:process-list")).content.decode()
    assert "Order processing" in html and "Customer complaint handling" not in html


def test_processes_follow_the_language(published, users, client):
    client.force_login(users["sales"])
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    html = client.get(reverse("standards:version-detail", args=[published.pk])).content.decode()
    assert "销售审核订单" in html and "≤ 2 小时" in html
    assert Process.objects.count() == 2
