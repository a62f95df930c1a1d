"""Rollout (phase 5) services and selectors: milestones through the inbox, department switch-overs,
training coverage, the review cadence created by Celery beat, and the monitoring figures."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError

from opsflow import demo
from pilots.choices import Cadence, MilestoneStatus, PilotWorkKind, PlanStatus, Tier
from pilots.models import Attendance, DepartmentSwitch, Milestone, MonitoringReview, RolloutPlan
from pilots.selectors import rollout as selectors
from pilots.selectors.rollout import Period
from pilots.services import rollout as services
from processes.choices import Role, WorkKind
from processes.models import Run, StandardVersion, User, WorkItem
from processes.selectors import inbox_list

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# An ordinary fortnight of March 2026 (no public holiday): Monday the 2nd to Friday the 13th
START, DAILY_UNTIL = date(2026, 3, 2), date(2026, 3, 6)


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def make_plan(users, **overrides) -> RolloutPlan:
    """A plan for the published order-processing standard, owned by the Sales manager."""
    if not StandardVersion.objects.filter(process__code="order-processing").exists():
        demo.load_processes()
    version = StandardVersion.objects.get(process__code="order-processing", status="published")
    values = {
        "user": users["director"],
        "version": version,
        "owner": users["manager"],
        "name_en": "Order processing rollout",
        "name_zh": "订单处理推广",
        "starts_on": START,
        "daily_until": DAILY_UNTIL,
    }
    values.update(overrides)
    return services.plan_create(**values)


@pytest.fixture
def plan(users):
    return make_plan(users)


def person(username, department, role) -> User:
    user = User.objects.create(username=username, first_name=username.title(), department=department)
    user.groups.add(Group.objects.get(name=role))
    return user


# Milestones and the inbox
# ------------------------------------------------------------------------------


def test_milestone_work_lands_in_the_owners_inbox_and_completing_it_there_marks_it_done(
    plan, users, departments, login
):
    milestone = services.milestone_save(
        plan=plan,
        user=users["director"],
        title_en="Switch Sales over to the new version",
        title_zh="销售部切换到新版本",
        owner=users["manager"],
        due_on=date(2026, 3, 5),
        switches_department=departments["sales"],
        at=at(START),
    )
    item = milestone.work_item
    assert (item.kind, item.assignee, item.status) == (PilotWorkKind.MILESTONE, users["manager"], "open")
    assert item.due_at == at(date(2026, 3, 5), 18)  # the close of business on the due date
    assert item in inbox_list(user=users["manager"])
    assert item.subject_url == f"/rollouts/{plan.pk}/#milestone-{milestone.pk}"

    response = login(users["manager"]).post(f"/work/items/{item.pk}/complete/", {"note": "All desks switched."})
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.DONE and milestone.done_at is not None
    assert "All desks switched." in milestone.note
    switch = DepartmentSwitch.objects.get(plan=plan)
    assert (switch.department, switch.milestone, switch.recorded_by) == (
        departments["sales"],
        milestone,
        users["manager"],
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE  # the first switch-over starts the rollout
    coverage = {c.department.code: c for c in selectors.department_coverage(plan)}
    assert coverage["sales"].switch == switch and coverage["warehouse"].switch is None
    assert set(coverage) == {"sales", "warehouse", "logistics"}  # the order standard's departments
    # the audit trail knows who did it
    assert Milestone.history.filter(id=milestone.pk, history_user=users["manager"], status="done").exists()


def test_a_milestone_cannot_be_completed_twice_and_a_failing_close_rolls_back(plan, users):
    milestone = services.milestone_save(
        plan=plan, user=users["director"], title_en="HR organises training", owner=users["director"], due_on=START
    )
    # the milestone is marked done behind the inbox's back: completing its work must not pass
    Milestone.objects.filter(pk=milestone.pk).update(status=MilestoneStatus.DONE)
    with pytest.raises(ValidationError):
        services.milestone_complete(milestone=milestone, user=users["director"])
    milestone.work_item.refresh_from_db()
    assert milestone.work_item.status == "open"  # the completion was rolled back


def test_only_the_owner_completes_a_milestone_and_ops_staff_cannot_change_plans(plan, users):
    milestone = services.milestone_save(
        plan=plan, user=users["director"], title_en="IT updates the process nodes", owner=users["it"], due_on=START
    )
    with pytest.raises(PermissionDenied):
        services.milestone_save(plan=plan, user=users["sales"], title_en="Sneaky", owner=users["sales"], due_on=START)
    with pytest.raises(PermissionDenied):
        services.plan_update(plan=plan, user=users["sales"], name_en="Renamed")
    with pytest.raises(Exception) as refused:
        services.milestone_complete(milestone=milestone, user=users["manager"])
    assert "Lei Huang" in str(refused.value) or isinstance(refused.value, PermissionDenied)
    services.milestone_complete(milestone=milestone, user=users["it"])
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.DONE


def test_a_new_owner_or_due_date_moves_the_work_and_a_cancelled_milestone_leaves_the_inbox(plan, users):
    milestone = services.milestone_save(
        plan=plan, user=users["director"], title_en="IT updates the process nodes", owner=users["it"], due_on=START
    )
    first = milestone.work_item
    services.milestone_save(
        plan=plan,
        user=users["director"],
        milestone=milestone,
        title_en="IT updates the process nodes",
        owner=users["specialist"],
        due_on=START + timedelta(days=2),
    )
    first.refresh_from_db()
    milestone.refresh_from_db()
    assert first.status == "cancelled"
    assert milestone.work_item.assignee == users["specialist"] and milestone.work_item.status == "open"
    services.milestone_cancel(milestone=milestone, user=users["director"])
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.CANCELLED and milestone.work_item.status == "cancelled"


def test_milestones_reorder_and_switching_a_department_twice_is_refused(plan, users, departments):
    def add(title, **extra):
        return services.milestone_save(
            plan=plan, user=users["director"], title_en=title, owner=users["manager"], due_on=START, **extra
        )

    a, b, c = add("A"), add("B", switches_department=departments["sales"]), add("C")
    assert [m.position for m in (a, b, c)] == [1, 2, 3]
    services.milestone_move(milestone=c, user=users["director"], direction="up")
    assert list(plan.milestones.values_list("title_en", flat=True)) == ["A", "C", "B"]
    services.milestone_reorder(plan=plan, user=users["director"], order=[b.pk, a.pk, c.pk])
    assert list(plan.milestones.values_list("title_en", flat=True)) == ["B", "A", "C"]
    with pytest.raises(ValidationError) as twice:
        add("D", switches_department=departments["sales"])
    assert "switches_department" in twice.value.message_dict
    with pytest.raises(ValidationError):
        services.milestone_reorder(plan=plan, user=users["director"], order=[a.pk, b.pk])


def test_plan_dates_are_checked_with_field_messages(users):
    with pytest.raises(ValidationError) as bad:
        make_plan(users, daily_until=START - timedelta(days=1), ends_on=START - timedelta(days=2))
    assert set(bad.value.message_dict) == {"daily_until", "ends_on"}
    assert not RolloutPlan.objects.exists()


# Training coverage
# ------------------------------------------------------------------------------


def test_training_coverage_counts_only_completed_attendance(plan, users, departments):
    sales = departments["sales"]
    person("sales2", sales, Role.OPS_STAFF)
    third = person("sales3", sales, Role.OPS_STAFF)
    execution = services.session_save(
        plan=plan, user=users["director"], tier=Tier.EXECUTION, title_en="Order desk", starts_at=at(START)
    )
    management = services.session_save(
        plan=plan, user=users["director"], tier=Tier.MANAGEMENT, title_en="Briefing", starts_at=at(START, 15)
    )
    # everyone of Sales in the execution tier, in bulk; the Sales manager to the execution session too
    made = services.attendance_invite(
        session=execution, user=users["director"], department=sales, tier=Tier.EXECUTION, people=[users["manager"]]
    )
    assert made == 4
    services.attendance_invite(session=management, user=users["director"], people=[users["director"]])
    rows = {a.user.username: a.pk for a in execution.attendance.select_related("user")}
    services.attendance_mark(
        session=execution,
        user=users["director"],
        marks={
            rows["sales"]: (True, True),  # completed: counts
            rows["sales2"]: (True, False),  # attended only: does not count
            rows["manager"]: (True, True),  # completed, but a manager in an execution session
        },
    )
    director_row = management.attendance.get()
    services.attendance_mark(session=management, user=users["director"], marks={director_row.pk: (True, True)})

    table = {row.department.code if row.department else "all": row for row in selectors.training_coverage(plan)}
    tiers = {t.tier: t for t in table["sales"].tiers}
    assert (tiers["execution"].completed, tiers["execution"].people) == (1, 3)  # sales3 only invited
    assert tiers["execution"].rate == Decimal("33.3")
    assert (tiers["management"].completed, tiers["management"].people) == (0, 1)  # wrong tier's session
    head_office = {t.tier: t for t in table["head-office"].tiers}
    assert (head_office["management"].completed, head_office["management"].people) == (1, 1)
    assert (head_office["support"].completed, head_office["support"].people) == (0, 1)  # the specialist
    totals = {t.tier: t for t in table["all"].tiers}
    assert (totals["execution"].completed, totals["execution"].people) == (1, 5)  # + warehouse, logistics
    assert (totals["management"].completed, totals["management"].people) == (1, 2)
    assert table["all"].department is None
    assert third.pk  # invited, never attended


def test_completing_needs_attending_and_a_bad_row_saves_nothing(plan, users, departments):
    session = services.session_save(
        plan=plan, user=users["director"], tier=Tier.EXECUTION, title_en="Order desk", starts_at=at(START)
    )
    services.attendance_invite(
        session=session, user=users["director"], department=departments["sales"], tier=Tier.EXECUTION
    )
    services.attendance_invite(session=session, user=users["director"], people=[users["warehouse"]])
    sales, warehouse = (session.attendance.get(user=users[name]) for name in ("sales", "warehouse"))
    with pytest.raises(ValidationError) as bad:
        services.attendance_mark(
            session=session,
            user=users["director"],
            marks={sales.pk: (True, True), warehouse.pk: (False, True)},
        )
    assert list(bad.value.message_dict) == [f"attendance[{warehouse.pk}]"]
    assert not Attendance.objects.filter(attended=True).exists()
    with pytest.raises(ValidationError):
        services.attendance_invite(session=session, user=users["director"])  # nobody chosen


# Review cadence (Celery beat)
# ------------------------------------------------------------------------------


def test_periods_are_daily_on_working_days_then_weekly():
    plan = RolloutPlan(starts_on=date(2026, 3, 5), daily_until=date(2026, 3, 10), ends_on=date(2026, 3, 24))
    periods = selectors.plan_periods(plan, until=date(2026, 3, 31))
    assert periods == [
        Period(Cadence.DAILY, date(2026, 3, 5), date(2026, 3, 5)),
        Period(Cadence.DAILY, date(2026, 3, 6), date(2026, 3, 6)),
        Period(Cadence.DAILY, date(2026, 3, 7), date(2026, 3, 9)),  # the weekend folds into Monday
        Period(Cadence.DAILY, date(2026, 3, 10), date(2026, 3, 10)),
        Period(Cadence.WEEKLY, date(2026, 3, 11), date(2026, 3, 17)),
        Period(Cadence.WEEKLY, date(2026, 3, 18), date(2026, 3, 24)),  # none after the plan's end
    ]


def test_beat_creates_daily_reviews_while_young_then_weekly_exactly_once(plan, users):
    saturday = at(date(2026, 3, 14), 1)
    assert services.reviews_create_due(now=saturday) == 6
    assert services.reviews_create_due(now=saturday + timedelta(hours=1)) == 0  # run twice: nothing new
    reviews = list(MonitoringReview.objects.filter(plan=plan).order_by("period_start"))
    assert [(r.cadence, r.period_start, r.period_end) for r in reviews] == [
        *[(Cadence.DAILY, START + timedelta(days=n), START + timedelta(days=n)) for n in range(5)],
        (Cadence.WEEKLY, date(2026, 3, 7), date(2026, 3, 13)),
    ]
    for review in reviews:
        item = review.work_item
        assert (item.kind, item.assignee, item.status) == (PilotWorkKind.MONITORING_REVIEW, users["manager"], "open")
        assert item.subject_url == f"/rollouts/{plan.pk}/monitoring/#review-{review.pk}"
    assert set(inbox_list(user=users["manager"])) >= {r.work_item for r in reviews}
    weekly = reviews[-1].work_item
    assert weekly.title_en == "Weekly review 2026-03-07 – 03-13: Order processing rollout"
    assert weekly.due_at == at(date(2026, 3, 17), 18)  # two working days from Saturday night
    # a week later, one more weekly review
    assert services.reviews_create_due(now=at(date(2026, 3, 21), 1)) == 1
    assert services.reviews_create_due(now=at(date(2026, 3, 21), 2)) == 0
    # the Celery task wraps the same service
    from pilots.tasks import rollout_reviews

    rollout_reviews.apply()
    assert rollout_reviews.apply().get() == 0
    # a finished plan gets no more reviews
    RolloutPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.DONE)
    assert services.reviews_create_due(now=at(date(2026, 3, 28), 1)) == 0


def test_closing_a_review_in_the_inbox_needs_conclusions(plan, users, login):
    services.reviews_create_due(now=at(date(2026, 3, 3), 1))
    review = MonitoringReview.objects.get(plan=plan)
    client = login(users["manager"])
    client.post(f"/work/items/{review.work_item_id}/complete/", {"note": "  "})
    review.refresh_from_db()
    assert review.closed_at is None and review.work_item.status == "open"
    client.post(f"/work/items/{review.work_item_id}/complete/", {"note": "Reviews within 2 h."})
    review.refresh_from_db()
    assert review.conclusions == "Reviews within 2 h." and review.closed_at is not None
    assert review.work_item.status == "done"


# Monitoring figures
# ------------------------------------------------------------------------------


def _run(version, department, user, started, hours, *, on_time=True, checks=(), status="done"):
    """A finished run with its steps' quality checks as (total, failed), written directly."""
    finished = started + timedelta(hours=hours) if status == "done" else None
    run = Run.objects.create(
        version=version,
        department=department,
        started_at=started,
        finished_at=finished,
        started_by=user,
        status=status,
        cycle_seconds=int(hours * 3600) if finished else None,
        on_time=on_time if finished else None,
    )
    for position, (total, failed) in enumerate(checks, start=1):
        WorkItem.objects.create(
            run=run,
            kind=WorkKind.STEP,
            position=position,
            title_en=f"Step {position}",
            department=department,
            status="done" if finished else "open",
            created_at=started,
            finished_at=finished,
            checks_total=total,
            checks_failed=failed,
        )
    return run


def test_monitoring_figures_per_period_equal_hand_computed_values(plan, users, departments):
    order = plan.version
    complaint = StandardVersion.objects.get(process__code="complaint-handling", status="published")
    sales, warehouse, user = departments["sales"], departments["warehouse"], users["sales"]
    DepartmentSwitch.objects.create(plan=plan, department=sales, switched_on=START, recorded_by=users["manager"])
    tuesday = date(2026, 3, 3)
    # counted on Tuesday: 3 h on time (checks 3/0 and 3/1), 7 h late (checks 3/2)
    _run(order, sales, user, at(tuesday, 9), 3, checks=[(3, 0), (3, 1)])
    _run(order, sales, user, at(tuesday, 10), 7, on_time=False, checks=[(3, 2)])
    # not counted: a department not switched over, a run started before the switch-over, another
    # process, a run still open
    _run(order, warehouse, user, at(tuesday, 8), 2, checks=[(3, 3)])
    _run(order, sales, user, at(date(2026, 3, 1), 20), 38, checks=[(3, 3)])
    _run(complaint, sales, user, at(tuesday, 9), 1, checks=[(2, 2)])
    _run(order, sales, user, at(tuesday, 11), 1, status="active", checks=[(3, 3)])
    # the first weekly period (7-13 March): one 4 h run, checks 2/0
    _run(order, sales, user, at(date(2026, 3, 9), 9), 4, checks=[(2, 0)])

    rows = {(r.period.cadence, r.period.start): r for r in selectors.monitoring_rows(plan, today=date(2026, 3, 14))}
    tuesday_row = rows[(Cadence.DAILY, tuesday)].figures
    assert tuesday_row.runs == 2
    assert tuesday_row.processing_hours == Decimal("5.00")  # (3 + 7) / 2
    assert tuesday_row.error_rate == Decimal("33.33")  # (0 + 1 + 2) / (3 + 3 + 3)
    assert tuesday_row.on_time_rate == Decimal("50.00")
    week = rows[(Cadence.WEEKLY, date(2026, 3, 7))].figures
    assert (week.runs, week.processing_hours, week.error_rate, week.on_time_rate) == (
        1,
        Decimal("4.00"),
        Decimal("0.00"),
        Decimal("100.00"),
    )
    monday = rows[(Cadence.DAILY, START)].figures
    assert (monday.runs, monday.processing_hours, monday.error_rate) == (0, None, None)
    assert rows[(Cadence.WEEKLY, date(2026, 3, 14))].current  # the period still running is shown
    # the figures agree with the metrics app's definitions of the same indicators
    from metrics.models import Indicator
    from metrics.selectors import computed_value

    counted = Run.objects.filter(selectors.switched_runs_filter(plan)).values("pk")
    for code, expected in (("cycle-time", Decimal("5")), ("error-rate", Decimal("33.3333"))):
        indicator = Indicator.objects.get(code=code)
        value = computed_value(indicator, order.process_id, tuesday, tuesday, run_ids=counted)
        assert value.value == expected


def test_monitoring_figures_aggregate_in_a_fixed_number_of_queries(plan, users, departments, django_assert_num_queries):
    DepartmentSwitch.objects.create(
        plan=plan, department=departments["sales"], switched_on=START, recorded_by=users["manager"]
    )
    for day in range(10):
        _run(plan.version, departments["sales"], users["sales"], at(START + timedelta(days=day)), 2, checks=[(3, 1)])
    periods = selectors.plan_periods(plan, until=date(2026, 3, 31))
    plan = RolloutPlan.objects.select_related("version").get(pk=plan.pk)
    # the switch-overs, the department tree, then one runs and one steps query per cadence
    with django_assert_num_queries(6):
        figures = selectors.period_figures(plan, periods)
    assert sum(f.runs for f in figures.values()) == 10


# Demo data
# ------------------------------------------------------------------------------


def test_the_demo_rollout_is_complete_and_loading_it_twice_changes_nothing(org):
    from pilots.demo import rollout as demo_rollout

    demo.load_all()
    demo_rollout.load()  # (the demo's loaders may have called it already)
    plan = RolloutPlan.objects.get(name_en=demo_rollout.NAME_EN)
    titles = list(plan.milestones.values_list("title_en", flat=True))
    assert titles[:2] == ["HR organises training", "IT updates the process nodes"]
    assert list(plan.switches.values_list("department__code", flat=True)) == ["sales"]
    assert sorted(plan.sessions.values_list("tier", flat=True)) == ["execution", "management", "support"]
    assert Attendance.objects.filter(session__plan=plan, completed=True).exists()
    reviews = plan.reviews.all()
    # beat's reviews of the periods so far: all closed with conclusions but the last two
    assert reviews.exists() and reviews.filter(closed_at__isnull=True).count() == min(2, reviews.count())
    counts = (Milestone.objects.count(), Attendance.objects.count(), MonitoringReview.objects.count())
    history = Milestone.history.count()
    assert demo_rollout.load() is None
    assert (Milestone.objects.count(), Attendance.objects.count(), MonitoringReview.objects.count()) == counts
    assert Milestone.history.count() == history


def test_a_new_plan_owner_takes_the_open_reviews(plan, users):
    services.reviews_create_due(now=at(date(2026, 3, 4), 1))
    first, second = MonitoringReview.objects.order_by("period_start")
    services.review_close(review=first, user=users["manager"], conclusions="Fine.")
    services.plan_update(plan=plan, user=users["director"], owner=users["specialist"])
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.work_item.assignee == users["manager"] and first.work_item.status == "done"
    assert second.work_item.assignee == users["specialist"] and second.work_item.status == "open"
    assert (
        WorkItem.objects.filter(
            kind=PilotWorkKind.MONITORING_REVIEW, status="cancelled", assignee=users["manager"]
        ).count()
        == 1
    )
