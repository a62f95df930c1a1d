"""Phase 6: periodic reviews opened on schedule by beat, their actions, and the case library."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from metrics.choices import MetricsWorkKind
from metrics.models import Review
from metrics.services import reviews
from processes import demo, selectors
from processes.models import StandardVersion, WorkItem
from processes.services import cases, projects
from processes.services.work import item_complete

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def project(org, users, departments):
    demo.load_processes()
    from processes.models import Process

    project = projects.project_create(
        user=users["manager"],
        name_en="Order processing, continued",
        name_zh="订单处理持续优化",
        department=departments["sales"],
        processes=[Process.objects.get(code="order-processing")],
        lead=users["manager"],
    )
    project.phase = "iteration"  # the earlier gates are tested with the project flow
    project.save(update_fields=["phase"])
    return project


def test_review_periods_are_the_last_month_or_quarter():
    assert reviews.review_period("monthly", date(2026, 3, 1)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert reviews.review_period("monthly", date(2026, 1, 15)) == (date(2025, 12, 1), date(2025, 12, 31))
    assert reviews.review_period("quarterly", date(2026, 4, 2)) == (date(2026, 1, 1), date(2026, 3, 31))
    assert reviews.review_period("quarterly", date(2026, 2, 10)) == (date(2025, 10, 1), date(2025, 12, 31))


def test_a_review_task_appears_on_schedule_once_per_period(project, users):
    march_2 = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
    assert reviews.reviews_due(now=march_2) == 1
    assert reviews.reviews_due(now=march_2 + timedelta(hours=1)) == 0  # the next beat opens nothing again
    review = Review.objects.get()
    assert (review.period_start, review.period_end) == (date(2026, 2, 1), date(2026, 2, 28))
    item = review.work_item
    assert item.kind == MetricsWorkKind.PERIODIC_REVIEW and item.assignee == users["manager"]
    assert item.due_at == datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI)  # 5 working days
    assert item in selectors.inbox_list(user=users["manager"])
    # a month later the next one
    assert reviews.reviews_due(now=march_2 + timedelta(days=31)) == 1
    assert list(Review.objects.order_by("period_start").values_list("period_start", flat=True)) == [
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]
    # projects not in continuous optimization get none
    project.phase = "rollout"
    project.save(update_fields=["phase"])
    assert reviews.reviews_due(now=march_2 + timedelta(days=62)) == 0


def test_quarterly_projects_are_reviewed_each_quarter(project):
    project.review_cadence = "quarterly"
    project.save(update_fields=["review_cadence"])
    for day in (date(2026, 4, 1), date(2026, 4, 20), date(2026, 6, 30)):
        reviews.reviews_due(now=datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI) + timedelta(hours=9))
    assert [(r.period_start, r.period_end) for r in Review.objects.all()] == [(date(2026, 1, 1), date(2026, 3, 31))]


def test_review_actions_open_a_draft_or_tracked_work_and_closing_needs_conclusions(project, users, departments):
    reviews.reviews_due(now=datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI))
    review = Review.objects.get()
    process = project.processes.get()
    adjust = reviews.action_add(
        review=review,
        user=users["manager"],
        kind="adjust_standard",
        description="Order volume doubled on weekends: add a weekend review shift.",
        process=process,
    )
    draft = adjust.draft_version
    assert draft.status == "draft" and draft.process == process
    assert "weekend review shift" in draft.change_note
    with pytest.raises(ValidationError) as error:
        reviews.action_add(review=review, user=users["manager"], kind="track", description="Check it")
    assert {"responsible_department", "due_days"} <= set(error.value.message_dict)
    tracked = reviews.action_add(
        review=review,
        user=users["manager"],
        kind="track",
        description="Automate the stock check",
        responsible_department=departments["it"],
        due_days=5,
        at=datetime(2026, 3, 3, 10, 0, tzinfo=SHANGHAI),
    )
    work = tracked.work_item
    assert work.kind == "action" and work.department == departments["it"]
    assert work.due_at == datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)
    assert work in selectors.inbox_list(user=users["it"])
    item_complete(item=work, user=users["it"], note="Stock check runs every 10 minutes.")
    tracked.refresh_from_db()
    assert tracked.status == "done" and tracked.resolution == "Stock check runs every 10 minutes."

    with pytest.raises(PermissionDenied):
        reviews.review_close(review=review, user=users["sales"], conclusions="ok")
    with pytest.raises(ValidationError):
        reviews.review_close(review=review, user=users["manager"], conclusions="  ")
    closed = reviews.review_close(review=review, user=users["manager"], conclusions="Goals held; weekends lag.")
    assert closed.closed_at and closed.closed_by == users["manager"]
    assert WorkItem.objects.get(pk=review.work_item_id).status == "done"
    with pytest.raises(ValidationError):
        reviews.action_add(review=review, user=users["manager"], kind="track", description="x")
    assert StandardVersion.objects.filter(process=process, status="draft").count() == 1


def test_the_review_page_keeps_a_bad_action_and_closes(project, users, login):
    reviews.reviews_due(now=datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI))
    review = Review.objects.get()
    client = login(users["manager"])
    url = reverse("reviews:action", args=[review.pk, "action"])
    response = client.post(url, {"kind": "adjust_standard", "description": "Weekend shift"})
    assert response.status_code == 400
    assert "process" in response.context["action_form"].errors
    assert "Weekend shift" in response.content.decode()
    response = client.post(reverse("reviews:action", args=[review.pk, "close"]), {"conclusions": "All good."})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.conclusions == "All good." and review.closed_at
    assert login(users["cs"]).get(reverse("reviews:detail", args=[review.pk])).status_code == 404


def test_the_case_library_searches_both_languages_by_process_and_tag(project, users, departments, login):
    process = project.processes.get()
    first = cases.case_save(
        user=users["manager"],
        title_en="Limits that are too tight",
        title_zh="时限过紧",
        lesson_en="A 1.5 h review limit made staff skip the ID check; 3 h held.",
        lesson_zh="1.5 小时的审核时限导致员工跳过身份核对；3 小时可行。",
        department=departments["sales"],
        process=process,
        source="pilot",
        tags=cases.parse_tags("time limit，pilot; review"),
    )
    cases.case_save(
        user=users["director"],
        title_en="Complaint hand-offs",
        lesson_en="Hand-offs without a time limit stalled complaints.",
        department=departments["customer-service"],
        tags=["hand-off"],
    )
    assert sorted(t.name for t in first.tags.all()) == ["pilot", "review", "time limit"]
    manager = users["manager"]
    assert list(selectors.case_search(user=manager, text="身份核对")) == [first]
    assert list(selectors.case_search(user=manager, text="ID check")) == [first]
    assert list(selectors.case_search(user=manager, tag="PILOT")) == [first]
    assert list(selectors.case_search(user=manager, process=process)) == [first]
    assert list(selectors.case_search(user=manager, text="hand-offs")) == []  # customer service is not his
    assert len(selectors.case_search(user=users["director"], text="hand-offs")) == 1
    with pytest.raises(PermissionDenied):
        cases.case_save(user=users["sales"], title_en="x", lesson_en="y", department=departments["sales"])
    with pytest.raises(ValidationError):
        cases.case_save(user=manager, title_en="", title_zh="", lesson_en="y", department=departments["sales"])

    client = login(manager)
    page = client.get(reverse("cases:list"), {"q": "时限"}).content.decode()
    assert "Limits that are too tight" in page
    response = client.post(reverse("cases:create"), {"title_en": "No lesson", "department": departments["sales"].pk})
    assert response.status_code == 400 and 'value="No lesson"' in response.content.decode()


def test_reviews_and_cases_through_the_api(project, users, departments, api):
    reviews.reviews_due(now=datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI))
    review = Review.objects.get()
    manager = api(users["manager"])
    listed = manager.get("/api/v1/metrics/reviews/").json()["results"]
    assert [r["id"] for r in listed] == [review.pk] and listed[0]["period_start"] == "2026-02-01"
    bad = manager.post(f"/api/v1/metrics/reviews/{review.pk}/actions/", {"kind": "track", "description": "x"})
    assert bad.status_code == 400 and "due_days" in bad.json()
    made = manager.post(
        f"/api/v1/metrics/reviews/{review.pk}/actions/",
        {"kind": "track", "description": "Automate it", "responsible_department": departments["it"].pk, "due_days": 3},
        format="json",
    )
    assert made.status_code == 201 and made.json()["work_item"]
    assert (
        api(users["sales"]).post(f"/api/v1/metrics/reviews/{review.pk}/close/", {"conclusions": "x"}).status_code == 403
    )
    closed = manager.post(f"/api/v1/metrics/reviews/{review.pk}/close/", {"conclusions": "Fine."}, format="json")
    assert closed.status_code == 200 and closed.json()["closed_at"]
    assert api(users["cs"]).get(f"/api/v1/metrics/reviews/{review.pk}/").status_code == 404

    created = manager.post(
        "/api/v1/processes/cases/",
        {
            "title_zh": "时限过紧",
            "lesson_zh": "先试点再发布。",
            "department": departments["sales"].pk,
            "tags": ["时限"],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["tags"] == ["时限"]
    assert (
        manager.get("/api/v1/processes/cases/", {"search": "试点"}).json()["results"][0]["id"] == created.json()["id"]
    )
    assert manager.get("/api/v1/processes/cases/", {"tag": "other"}).json()["results"] == []
    empty = manager.post("/api/v1/processes/cases/", {"department": departments["sales"].pk}, format="json")
    assert empty.status_code == 400 and "title_en" in empty.json()
    assert api(users["sales"]).post("/api/v1/processes/cases/", {"title_en": "x"}).status_code == 403
