"""Rollout pages: the plan list and form, the plan page's timetable, coverage and training, a training
session's invitations and attendance, and the monitoring page; errors stay in the page with what was
typed, and the department scope and roles decide who sees and changes what."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from pilots.choices import Tier
from pilots.models import Attendance, Milestone, MonitoringReview, RolloutPlan
from pilots.services import rollout as services
from processes.models import StandardVersion
from tests.pilots.test_rollout import START, at, make_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(users):
    return make_plan(users)


def test_plan_list_is_cut_to_the_users_scope(plan, users, login):
    page = login(users["manager"]).get("/rollouts/")
    assert page.status_code == 200 and "Order processing rollout" in page.content.decode()
    assert "New rollout plan" in page.content.decode()
    # customer service runs no part of the order process: no plan, and no way in
    outside = login(users["cs"])
    assert "Order processing rollout" not in outside.get("/rollouts/").content.decode()
    assert "New rollout plan" not in outside.get("/rollouts/").content.decode()
    assert outside.get(f"/rollouts/{plan.pk}/").status_code == 404
    assert outside.get(f"/rollouts/{plan.pk}/monitoring/").status_code == 404
    assert outside.post(f"/rollouts/{plan.pk}/milestone/", {"title_en": "x"}).status_code == 404


def test_someone_outside_the_rollout_cannot_own_a_milestone_and_so_never_sees_the_plan(plan, users, login):
    # only people the rollout covers, or who see its department anyway, can own a milestone (issue 21)
    with pytest.raises(ValidationError):
        services.milestone_save(
            plan=plan, user=users["director"], title_en="Customer service FAQ", owner=users["cs"], due_on=START
        )
    assert login(users["cs"]).get(f"/rollouts/{plan.pk}/").status_code == 404


def test_ops_staff_see_the_plan_but_cannot_change_it(plan, users, login):
    client = login(users["sales"])
    page = client.get(f"/rollouts/{plan.pk}/")
    assert page.status_code == 200
    assert "Add a milestone" not in page.content.decode()
    assert client.get("/rollouts/new/").status_code == 403
    assert client.get(f"/rollouts/{plan.pk}/edit/").status_code == 403
    data = {"title_en": "Sneaky", "owner": users["sales"].pk, "due_on": "2026-03-05"}
    assert client.post(f"/rollouts/{plan.pk}/milestone/", data).status_code == 403
    assert not Milestone.objects.exists()


def test_creating_a_plan_with_wrong_dates_shows_the_errors_and_keeps_the_input(users, login):
    make_plan(users).delete()  # the standards exist
    version = StandardVersion.objects.get(process__code="order-processing", status="published")
    client = login(users["manager"])
    form = client.get("/rollouts/new/")
    assert form.status_code == 200 and "Order processing, version 1" in form.content.decode()
    data = {
        "name_en": "Roll out the order standard",
        "name_zh": "推广订单标准",
        "version": version.pk,
        "owner": users["manager"].pk,
        "starts_on": "2026-03-10",
        "daily_until": "2026-03-02",
    }
    response = client.post("/rollouts/new/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Daily tracking ends on or after the start date." in html
    assert 'value="Roll out the order standard"' in html and 'value="推广订单标准"' in html
    assert 'value="2026-03-10"' in html
    assert not RolloutPlan.objects.exists()
    data["daily_until"] = "2026-03-20"
    response = client.post("/rollouts/new/", data)
    plan = RolloutPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/rollouts/{plan.pk}/"
    assert plan.history.first().history_user == users["manager"]


def test_milestones_are_added_edited_and_reordered_in_the_plan_page(plan, users, departments, login):
    client = login(users["manager"])
    bad = client.post(f"/rollouts/{plan.pk}/milestone/", {"title_en": "HR organises training", "due_on": "x"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert 'value="HR organises training"' in html and "Enter a valid date." in html
    assert '<details class="mini-form" open' in html  # the form stays open with its errors
    for title, owner, due in (
        ("HR organises training", "director", "2026-03-03"),
        ("IT updates nodes", "it", "2026-03-04"),
    ):
        response = client.post(
            f"/rollouts/{plan.pk}/milestone/", {"title_en": title, "owner": users[owner].pk, "due_on": due}
        )
        assert response.status_code == 302
    first, second = plan.milestones.order_by("position")
    client.post(f"/rollouts/{plan.pk}/down/{first.pk}/")
    assert list(plan.milestones.values_list("title_en", flat=True)) == ["IT updates nodes", "HR organises training"]
    # editing in place: a switch-over that is refused comes back with the message on the field
    services.department_switch_record(
        plan=plan, user=users["manager"], department=departments["sales"], switched_on=START
    )
    edit = client.post(
        f"/rollouts/{plan.pk}/edit/{second.pk}/",
        {
            f"m{second.pk}-title_en": "IT updates the process nodes",
            f"m{second.pk}-owner": users["it"].pk,
            f"m{second.pk}-due_on": "2026-03-04",
            f"m{second.pk}-switches_department": departments["sales"].pk,
        },
    )
    assert edit.status_code == 400
    assert "already runs the new version" in edit.content.decode()
    assert 'value="IT updates the process nodes"' in edit.content.decode()
    page = client.get(f"/rollouts/{plan.pk}/").content.decode()
    assert "overdue" in page  # due in March 2026, long past
    assert "IT updates nodes" in page


def test_the_owner_marks_a_milestone_done_from_the_plan_page(plan, users, departments, login):
    milestone = services.milestone_save(
        plan=plan,
        user=users["director"],
        title_en="Switch Warehouse over",
        owner=users["manager"],
        due_on=timezone.localdate() + timedelta(days=3),
        switches_department=departments["warehouse"],
    )
    page = login(users["manager"]).get(f"/rollouts/{plan.pk}/?switch={departments['logistics'].pk}").content.decode()
    assert "Mark as done" in page
    assert 'value="Switch Logistics over to the new version"' in page  # "plan the switch-over" pre-fills
    login(users["manager"]).post(f"/rollouts/{plan.pk}/done/{milestone.pk}/", {"note": "Done"})
    milestone.refresh_from_db()
    assert milestone.status == "done"
    page = login(users["manager"]).get(f"/rollouts/{plan.pk}/").content.decode()
    assert "Yes, since" in page


def test_a_session_is_added_people_invited_in_bulk_and_attendance_recorded(plan, users, departments, login):
    client = login(users["manager"])
    bad = client.post(f"/rollouts/{plan.pk}/session/", {"tier": Tier.EXECUTION, "title_en": "Order desk"})
    assert bad.status_code == 400 and 'value="Order desk"' in bad.content.decode()
    response = client.post(
        f"/rollouts/{plan.pk}/session/",
        {"tier": Tier.EXECUTION, "title_en": "Order desk", "starts_at": "2026-03-03T14:00"},
    )
    session = plan.sessions.get()
    assert response["Location"] == f"/rollouts/{plan.pk}/sessions/{session.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert f"/standards/versions/{plan.version_id}/sop/" in page  # the material links the SOP document
    assert client.post(f"/rollouts/{plan.pk}/sessions/{session.pk}/invite/", {}).status_code == 400
    for code in ("sales", "warehouse"):
        client.post(
            f"/rollouts/{plan.pk}/sessions/{session.pk}/invite/",
            {"department": departments[code].pk, "tier": Tier.EXECUTION},
        )
    client.post(f"/rollouts/{plan.pk}/sessions/{session.pk}/invite/", {"people": [users["it"].pk]})
    rows = {a.user.username: a for a in session.attendance.select_related("user")}
    assert set(rows) == {"sales", "warehouse", "it"}
    # completed without attending: refused, the ticks come back, nothing saved
    post = {
        "row": [rows["sales"].pk, rows["warehouse"].pk],
        f"attended-{rows['sales'].pk}": "on",
        f"completed-{rows['sales'].pk}": "on",
        f"completed-{rows['warehouse'].pk}": "on",
    }
    refused = client.post(f"/rollouts/{plan.pk}/sessions/{session.pk}/attendance/", post)
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "completing the training needs attending it" in html
    assert f'name="completed-{rows["warehouse"].pk}" checked' in html
    assert not Attendance.objects.filter(attended=True).exists()
    del post[f"completed-{rows['warehouse'].pk}"]
    assert client.post(f"/rollouts/{plan.pk}/sessions/{session.pk}/attendance/", post).status_code == 302
    assert Attendance.objects.get(pk=rows["sales"].pk).completed
    client.post(f"/rollouts/{plan.pk}/sessions/{session.pk}/remove/{rows['it'].pk}/")
    assert not Attendance.objects.filter(pk=rows["it"].pk).exists()
    coverage = client.get(f"/rollouts/{plan.pk}/").content.decode()
    assert "1 / 1" in coverage  # Sales, execution staff
    # ops staff read the session but cannot invite
    staff = login(users["sales"])
    assert staff.get(f"/rollouts/{plan.pk}/sessions/{session.pk}/").status_code == 200
    invite = staff.post(f"/rollouts/{plan.pk}/sessions/{session.pk}/invite/", {"people": [users["cs"].pk]})
    assert invite.status_code == 403


def test_monitoring_page_shows_the_periods_and_the_owner_closes_a_review(plan, users, departments, login):
    services.department_switch_record(
        plan=plan, user=users["manager"], department=departments["sales"], switched_on=START
    )
    services.reviews_create_due(now=at(date(2026, 3, 4), 1))
    review = MonitoringReview.objects.order_by("period_start").first()
    client = login(users["manager"])
    page = client.get(f"/rollouts/{plan.pk}/monitoring/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "2026-03-02" in html and "Daily tracking" in html and "Close with conclusions" in html
    assert "data-chart" in html
    url = f"/rollouts/{plan.pk}/monitoring/{review.pk}/close/"
    empty = client.post(url, {f"r{review.pk}-conclusions": ""})
    assert empty.status_code == 400 and "This field is required." in empty.content.decode()
    client.post(url, {f"r{review.pk}-conclusions": "Queue cleared by noon."})
    review.refresh_from_db()
    assert review.conclusions == "Queue cleared by noon." and review.work_item.status == "done"
    # someone else cannot close the owner's review
    other = MonitoringReview.objects.filter(closed_at__isnull=True).first()
    assert login(users["director"]).post(
        f"/rollouts/{plan.pk}/monitoring/{other.pk}/close/", {f"r{other.pk}-conclusions": "x"}
    ).status_code in (400, 403)
    other.refresh_from_db()
    assert other.closed_at is None


def test_pages_render_in_chinese(plan, users, login):
    client = login(users["manager"])
    for path in (f"/rollouts/{plan.pk}/", f"/rollouts/{plan.pk}/monitoring/", "/rollouts/", "/rollouts/new/"):
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, path
        assert '<html lang="zh-hans">' in response.content.decode()
