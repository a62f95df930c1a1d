"""Pilots: attribution of runs, stand-ups that change the standard, template 3 feedback work,
surveys and the pilot report."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pilots.models import FeedbackItem, PilotRun, SurveyResponse
from pilots.selectors import pilot as selectors
from pilots.services import pilot as pilots
from processes import selectors as selectors_processes
from processes.models import Escalation, Run, StandardVersion
from processes.services import standards
from processes.services.work import escalation_sweep, item_complete, run_start
from tests.pilots.world import END, START, T0

pytestmark = pytest.mark.django_db


def _start(trial, users, department, at, external_id, business_line=""):
    run, _ = run_start(
        version=trial["current"],
        user=users["manager"],
        department=department,
        external_id=external_id,
        business_line=business_line,
        at=at,
    )
    return run


def test_runs_belong_to_the_pilot_only_inside_its_scope_and_dates(running, trial, teams, departments, users):
    inside = _start(trial, users, teams["east"], T0, "E-1")
    control = _start(trial, users, teams["south"], T0, "S-1")
    elsewhere = _start(trial, users, departments["sales"], T0, "X-1")
    before = _start(trial, users, teams["east"], T0 - timedelta(days=5), "E-0")
    after = _start(trial, users, teams["east"], T0 + timedelta(days=20), "E-9")

    assert inside.version == trial["trial"] and inside.pilot_link.arm == "pilot"
    assert control.version == trial["current"] and control.pilot_link.arm == "control"
    for run in (elsewhere, before, after):
        assert run.version == trial["current"]
        assert not PilotRun.objects.filter(run=run).exists()
    assert set(PilotRun.objects.values_list("run__external_id", flat=True)) == {"E-1", "S-1"}


def test_a_pilot_limited_to_a_business_line_takes_only_its_runs(trial, teams, users):
    pilot = pilots.pilot_create(
        user=users["manager"],
        version=trial["trial"],
        name_en="Online shop only",
        departments=[teams["east"]],
        business_line="Online shop",
        starts_on=START,
        ends_on=END,
        owner=users["manager"],
    )
    pilots.pilot_start(pilot=pilot, user=users["manager"])
    shop = _start(trial, users, teams["east"], T0, "E-1", business_line="online SHOP")
    phone = _start(trial, users, teams["east"], T0, "E-2", business_line="Phone orders")
    assert shop.version == trial["trial"] and shop.pilot_link.pilot == pilot
    assert phone.version == trial["current"] and not PilotRun.objects.filter(run=phone).exists()


def test_the_version_on_trial_cannot_be_run_outside_the_pilot(running, trial, departments, users):
    trial["trial"].refresh_from_db()
    assert trial["trial"].status == "piloting"
    with pytest.raises(ValidationError) as error:
        run_start(version=trial["trial"], user=users["manager"], department=departments["sales"], at=T0)
    assert "pilot" in str(error.value)


def test_only_an_approved_version_by_a_manager_and_no_overlapping_scopes(trial, teams, users):
    base = dict(version=trial["trial"], name_en="P", departments=[teams["east"]], starts_on=START, ends_on=END)
    with pytest.raises(PermissionDenied):
        pilots.pilot_create(user=users["sales"], owner=users["sales"], **base)
    with pytest.raises(ValidationError) as error:
        pilots.pilot_create(user=users["manager"], owner=users["manager"], **{**base, "version": trial["current"]})
    assert "approved" in str(error.value)
    with pytest.raises(ValidationError) as error:
        pilots.pilot_create(user=users["manager"], owner=users["manager"], control_departments=[teams["east"]], **base)
    assert "control_departments" in error.value.message_dict
    pilots.pilot_create(user=users["manager"], owner=users["manager"], **base)
    with pytest.raises(ValidationError) as error:
        pilots.pilot_create(user=users["manager"], owner=users["manager"], **{**base, "starts_on": END, "ends_on": END})
    assert "already covers" in str(error.value)


def test_a_stand_up_decision_opens_the_right_draft(running, trial, users):
    review = trial["trial"].steps.get(position=2)
    standup = pilots.standup_save(
        pilot=running,
        user=users["manager"],
        held_on=date(2026, 3, 11),
        attendees=[users["sales"], users["manager"]],
        problems="The review limit of 2 hours is too tight for orders with ID checks.",
        decisions="Change the review step's limit to 3 hours.",
        change_step=review,
        new_time_limit=Decimal("3"),
        new_time_unit="hours",
    )
    draft = standup.draft_version
    assert draft.status == "draft" and draft.based_on == trial["trial"]
    assert draft.number == trial["trial"].number + 1
    assert draft.steps.get(key=review.key).time_limit == Decimal("3")
    assert draft.steps.get(key=review.key).time_unit == "hours"
    # everything else is copied unchanged, and the version on trial itself is untouched
    assert [s.time_limit for s in draft.steps.exclude(key=review.key).order_by("position")] == [
        s.time_limit for s in trial["trial"].steps.exclude(key=review.key).order_by("position")
    ]
    assert trial["trial"].steps.get(key=review.key).time_limit == Decimal("2")
    assert "Change the review step's limit to 3 hours." in draft.change_note
    assert set(standup.attendees.all()) == {users["sales"], users["manager"]}

    # the next day's decision joins the same draft
    stock = trial["trial"].steps.get(position=3)
    later = pilots.standup_save(
        pilot=running,
        user=users["manager"],
        held_on=date(2026, 3, 12),
        problems="Stock checks wait for the morning delivery.",
        decisions="Stock confirmation within 2 hours.",
        change_step=stock,
        new_time_limit=Decimal("2"),
        new_time_unit="hours",
    )
    assert later.draft_version == draft
    assert draft.steps.get(key=stock.key).time_limit == Decimal("2")
    assert StandardVersion.objects.filter(process=draft.process, status="draft").count() == 1


def test_a_stand_up_with_a_bad_change_stores_nothing(running, trial, users):
    with pytest.raises(ValidationError) as error:
        pilots.standup_save(
            pilot=running,
            user=users["manager"],
            held_on=date(2026, 3, 11),
            problems="Too tight",
            decisions="",
            change_step=trial["trial"].steps.get(position=2),
            new_time_limit=Decimal("-1"),
            new_time_unit="hours",
        )
    assert {"new_time_limit", "decisions"} <= set(error.value.message_dict)
    assert not running.standups.exists()
    assert not StandardVersion.objects.filter(status="draft").exists()


def test_an_accepted_feedback_item_is_inbox_work_that_escalates_when_overdue(running, teams, departments, users):
    item = pilots.feedback_raise(
        pilot=running,
        user=users["sales"],
        department=teams["east"],
        problem="Customers wait for the ID check call",
        suggestion="Let the system check the ID number",
        responsible_department=departments["it"],
        due_days=3,
        at=T0,
    )
    assert item.number == 1 and item.status == "raised"
    with pytest.raises(PermissionDenied):
        pilots.feedback_decide(item=item, user=users["sales"], accept=True)
    item = pilots.feedback_decide(item=item, user=users["manager"], accept=True, at=T0)
    work = item.work_item
    assert item.status == "accepted" and work.kind == "feedback"
    assert work.department == departments["it"]
    assert work.due_at == T0 + timedelta(days=3)  # 3 working days from a Tuesday morning: Friday morning
    assert work in selectors_processes.inbox_list(user=users["it"])

    assert escalation_sweep(now=work.due_at - timedelta(minutes=1), fan_out=False) == 0
    assert escalation_sweep(now=work.due_at + timedelta(minutes=1), fan_out=False) == 1
    assert escalation_sweep(now=work.due_at + timedelta(minutes=2), fan_out=False) == 0
    escalation = Escalation.objects.get(work_item=work)
    # nobody took it: the IT department's head (the director) hears of it
    assert list(escalation.recipients.all()) == [users["director"]]

    with pytest.raises(ValidationError):
        item_complete(item=work, user=users["it"], note="  ")
    work.refresh_from_db()
    assert work.status == "open"
    item_complete(item=work, user=users["it"], note="ID numbers are now checked online.")
    item.refresh_from_db()
    assert item.status == "resolved" and item.resolution == "ID numbers are now checked online."
    assert item.resolved_by == users["it"]


def test_rejecting_feedback_needs_a_reason(running, teams, departments, users):
    item = pilots.feedback_raise(
        pilot=running,
        user=users["sales"],
        department=teams["east"],
        problem="Too many fields",
        responsible_department=departments["it"],
        due_days=5,
    )
    with pytest.raises(ValidationError):
        pilots.feedback_decide(item=item, user=users["manager"], accept=False, note="")
    item = pilots.feedback_decide(item=item, user=users["manager"], accept=False, note="Fields are required by law")
    assert item.status == "rejected" and item.work_item is None
    with pytest.raises(ValidationError):
        pilots.feedback_decide(item=item, user=users["manager"], accept=True)


def test_survey_results_are_aggregated_exactly(running, teams, users, django_user_model):
    survey = pilots.survey_create(pilot=running, user=users["manager"], title_en="Week 1")
    clarity, efficiency, comment = survey.questions.order_by("position")
    staff = []
    for index in range(4):
        person = django_user_model.objects.create_user(f"east{index}", password="x", department=teams["east"])
        staff.append(person)
    ratings = [(5, 4), (4, 4), (4, 2), (2, 5)]
    for person, (a, b) in zip(staff, ratings, strict=True):
        pilots.survey_answer(
            survey=survey, user=person, answers={clarity.pk: a, efficiency.pk: str(b), comment.pk: f"from {person}"}
        )
    results = {r.question.pk: r for r in selectors.survey_results(survey)}
    assert results[clarity.pk].answers == 4
    assert results[clarity.pk].mean == Decimal("3.75")
    assert results[clarity.pk].distribution == [0, 1, 0, 2, 1]
    assert results[efficiency.pk].mean == Decimal("3.75")
    assert results[efficiency.pk].distribution == [0, 1, 0, 2, 1]
    assert results[comment.pk].comments == [f"from {p}" for p in staff]

    with pytest.raises(ValidationError):  # once per person
        pilots.survey_answer(survey=survey, user=staff[0], answers={clarity.pk: 1, efficiency.pk: 1})
    with pytest.raises(PermissionDenied):  # customer service takes no part in order processing
        pilots.survey_answer(survey=survey, user=users["cs"], answers={clarity.pk: 3, efficiency.pk: 3})
    # the warehouse works a step of the version on trial: its staff answer too
    pilots.survey_answer(survey=survey, user=users["warehouse"], answers={clarity.pk: 3, efficiency.pk: 3})
    newcomer = django_user_model.objects.create_user("east9", password="x", department=teams["east"])
    with pytest.raises(ValidationError) as error:
        pilots.survey_answer(survey=survey, user=newcomer, answers={clarity.pk: 6, efficiency.pk: ""})
    assert set(error.value.message_dict) == {f"q{clarity.pk}", f"q{efficiency.pk}"}
    assert SurveyResponse.objects.filter(respondent=newcomer).count() == 0


def _finish(run, users, minutes_per_step, at):
    """Complete every open step of ``run``, each taking the given minutes after the previous one."""
    t = at
    for minutes in minutes_per_step:
        item = run.items.get(status__in=["open", "claimed"], kind="step")
        t = t + timedelta(minutes=minutes)
        item_complete(item=item, user=users["manager"], at=t)
    run.refresh_from_db()
    return run


def test_the_pilot_report_compares_pilot_control_and_baseline(running, trial, teams, users):
    # pilot: two runs of 60 and 120 minutes (review 30 / 90, stock 15, hand-off 15); all on time but
    # one review (90 min is inside 2 h: on time) -> every step on time
    a = _finish(_start(trial, users, teams["east"], T0, "E-1"), users, [30, 15, 15], T0)
    b = _finish(
        _start(trial, users, teams["east"], T0 + timedelta(days=1), "E-2"), users, [90, 15, 15], T0 + timedelta(days=1)
    )
    # control: one run of 240 minutes whose review took 180 min (late against 2 h)
    c = _finish(_start(trial, users, teams["south"], T0, "S-1"), users, [180, 30, 30], T0)
    # baseline (the 12 days before the pilot) in the pilot's departments: one run of 300 minutes
    base_at = T0 - timedelta(days=7)
    d = _finish(_start(trial, users, teams["east"], base_at, "E-0"), users, [200, 50, 50], base_at)
    assert not PilotRun.objects.filter(run=d).exists()
    assert (a.cycle_seconds, b.cycle_seconds, c.cycle_seconds, d.cycle_seconds) == (3600, 7200, 14400, 18000)

    report = selectors.pilot_report(running)
    assert report.runs == {"pilot": 2, "control": 1}
    figures = {f.indicator.computation: f for f in report.figures}
    cycle = figures["cycle_time"]
    assert cycle.pilot.value == Decimal("1.5000") and cycle.pilot.n == 2
    assert cycle.control.value == Decimal("4.0000")
    assert cycle.baseline.value == Decimal("5.0000")
    assert cycle.change == Decimal("-70.00") and cycle.better is True
    on_time = figures["on_time_rate"]
    assert on_time.pilot.value == Decimal("100.0000")
    assert on_time.control.value == Decimal("66.6667")  # 2 of 3 manual steps on time
    assert figures["run_on_time_rate"].control.value == Decimal("0.0000")

    review = next(row for row in report.steps if row.position == 2)
    assert (review.started, review.finished, review.late) == (2, 2, 0)
    assert review.mean_hours == Decimal("1.00") and review.on_time_rate == Decimal("100.00")
    assert review.limit == "≤ 2 h"
    assert Run.objects.filter(pilot_link__pilot=running).count() == 2 + 1


def test_publishing_the_revised_standard_ends_the_trial_routing(running, trial, teams, users):
    draft = pilots.standup_save(
        pilot=running,
        user=users["manager"],
        held_on=date(2026, 3, 11),
        problems="Too tight",
        decisions="Review within 3 hours",
        change_step=trial["trial"].steps.get(position=2),
        new_time_limit=Decimal("3"),
        new_time_unit="hours",
    ).draft_version
    standards.version_submit(version=draft, user=users["specialist"])
    standards.version_approve(version=draft, user=users["director"])  # not its author
    standards.version_publish(version=draft, user=users["director"])
    trial["trial"].refresh_from_db()
    trial["current"].refresh_from_db()
    assert (trial["trial"].status, trial["current"].status) == ("superseded", "superseded")
    run = _start(trial | {"current": draft}, users, teams["east"], T0, "E-5")
    assert run.version == draft and run.pilot_link.arm == "pilot"


def test_closing_needs_a_conclusion_and_stops_attribution(running, trial, teams, users):
    with pytest.raises(ValidationError):
        pilots.pilot_close(pilot=running, user=users["manager"], conclusion=" ")
    closed = pilots.pilot_close(pilot=running, user=users["manager"], conclusion="Adopt v2 with a 3 h review.")
    assert closed.status == "closed"
    run = _start(trial, users, teams["east"], T0, "E-7")
    assert not PilotRun.objects.filter(run=run).exists()
    assert FeedbackItem.objects.count() == 0
