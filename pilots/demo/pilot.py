"""Demo pilot: the seed's regional sales team tries version 2 of order processing beside a control
team, with stand-ups (one changes a limit to 3 hours), template 3's two rows, a survey and
customer interviews. Idempotent: a second load changes nothing."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from metrics import demo as metrics_demo
from processes.choices import VersionStatus
from processes.models import Department, ImprovementProject, StandardVersion, User
from processes.services import standards, work

from ..models import Pilot
from ..services import pilot as pilots

PILOT_NAME = "Regional sales team pilot"


def _teams():
    sales = Department.objects.get(code="sales")
    east, _ = Department.objects.get_or_create(
        code="sales-east",
        defaults={"name_en": "Regional sales team East", "name_zh": "华东区域销售组", "parent": sales},
    )
    south, _ = Department.objects.get_or_create(
        code="sales-south",
        defaults={"name_en": "Regional sales team South", "name_zh": "华南区域销售组", "parent": sales},
    )
    return east, south


def _trial_version(users) -> StandardVersion:
    """Version 2 of order processing, approved (review within 1.5 h instead of 2 h)."""
    current = StandardVersion.objects.get(process__code="order-processing", status=VersionStatus.PUBLISHED)
    draft = standards.version_new_draft(
        version=current,
        user=users["specialist"],
        change_note="Review within 1.5 hours; stock confirmed as soon as the review is done.",
    )
    review = draft.steps.get(position=2)
    standards.step_limit_change(
        version=draft, user=users["specialist"], key=review.key, time_limit=Decimal("1.5"), time_unit="hours"
    )
    standards.version_submit(version=draft, user=users["specialist"])
    return standards.version_approve(version=draft, user=users["manager"])


def load():
    if Pilot.objects.filter(name_en=PILOT_NAME).exists():
        return
    east, south = _teams()
    users = {u.username: u for u in User.objects.all()}  # read after the teams exist: their scopes include them
    today = timezone.localdate()
    now = timezone.now().replace(second=0, microsecond=0)
    trial = _trial_version(users)
    manager = users["manager"]
    pilot = pilots.pilot_create(
        user=manager,
        version=trial,
        name_en=PILOT_NAME,
        name_zh="区域销售组试点",
        departments=[east],
        control_departments=[south],
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=4),
        cycles=2,
        owner=manager,
        project=ImprovementProject.objects.filter(name_en="Order and complaint processes").first(),
        # the imported figures from before the new standard (metrics demo: 7 h, 3% errors)
        baseline_start=metrics_demo.BASELINE[0],
        baseline_end=metrics_demo.BASELINE[1],
    )
    pilot = pilots.pilot_start(pilot=pilot, user=manager)
    current = StandardVersion.objects.get(process__code="order-processing", status=VersionStatus.PUBLISHED)

    def run(department, external_id, started, minutes):
        run, created = work.run_start(
            version=current,
            user=users["sales"],
            department=department,
            external_id=external_id,
            title=f"Order {external_id}",
            at=started,
        )
        t = started
        who = [users["sales"], users["warehouse"], users["logistics"]]
        for index, spent in enumerate(minutes):
            item = run.items.get(kind="step", status__in=["open", "claimed"])
            t = t + timedelta(minutes=spent)
            work.item_complete(item=item, user=who[index], checks=item.step.checks, at=t)
        return run

    for day in range(1, 9):
        started = now - timedelta(days=10 - day, hours=2)
        run(east, f"E-{1000 + day}", started, [40 + 5 * day, 30, 25])
        run(south, f"S-{1000 + day}", started, [95 + 10 * day, 60, 45])

    review = trial.steps.get(position=2)
    pilots.standup_save(
        pilot=pilot,
        user=manager,
        held_on=today - timedelta(days=9),
        attendees=[manager, users["sales"], users["warehouse"]],
        problems="Orders with a missing ID number cannot be reviewed within 1.5 hours.",
        decisions="The review step's limit is too tight: change it to 3 hours.",
        change_step=review,
        new_time_limit=Decimal("3"),
        new_time_unit="hours",
    )
    pilots.standup_save(
        pilot=pilot,
        user=manager,
        held_on=today - timedelta(days=8),
        attendees=[manager, users["sales"]],
        problems="Switching between the order system and the ID check takes time.",
        decisions="Raise it as pilot feedback for IT.",
    )
    first = pilots.feedback_raise(
        pilot=pilot,
        user=users["sales"],
        department=east,
        problem="Reviewing an order means switching between several systems.",
        suggestion="Merge order information and the review entry into one system.",
        responsible_department=Department.objects.get(code="it"),
        due_days=3,
        at=now - timedelta(days=8),
    )
    pilots.feedback_decide(item=first, user=manager, accept=True, at=now - timedelta(days=8))
    second = pilots.feedback_raise(
        pilot=pilot,
        user=users["warehouse"],
        department=Department.objects.get(code="warehouse"),
        problem="Manual stock reconciliation is error-prone.",
        suggestion="Add automatic stock validation.",
        responsible_department=Department.objects.get(code="it"),
        due_days=5,
        at=now - timedelta(days=2),
    )
    pilots.feedback_decide(item=second, user=manager, accept=True, at=now - timedelta(days=2))

    survey = pilots.survey_create(pilot=pilot, user=manager, title_en="Pilot week 1", title_zh="试点第一周")
    clarity, efficiency, comment = survey.questions.order_by("position")
    for username, a, b, text in (
        ("sales", 4, 4, "The review checklist is clear."),
        ("warehouse", 3, 4, "Stock checks still take a phone call."),
        ("logistics", 5, 4, ""),
    ):
        pilots.survey_answer(
            survey=survey, user=users[username], answers={clarity.pk: a, efficiency.pk: b, comment.pk: text}
        )
    for customer, days, score, notes in (
        ("Shanghai Huaxin Trading", 6, 5, "Orders confirmed the same morning."),
        ("Hangzhou Lvye Retail", 3, 4, "Faster than before; one call to confirm the address."),
    ):
        pilots.interview_save(
            pilot=pilot,
            user=users["sales"],
            customer=customer,
            held_on=today - timedelta(days=days),
            satisfaction=score,
            notes=notes,
        )
