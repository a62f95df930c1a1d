"""Rollout plans, milestones, department switch-overs, tiered training and monitoring reviews.

Every change checks the permission (``manage_project`` on the department that owns the plan's process)
and is recorded by django-simple-history with the user who made it. Work with an owner and a due date
(a milestone, a monitoring review) is a ``WorkItem`` in that person's inbox, with the same deadline and
escalation as the steps of a run; completing it there closes the milestone or the review
(``milestone_finished`` and ``review_finished``, called inside the completion's transaction).
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from processes import access
from processes.choices import Role, TimeUnit, VersionStatus, WorkStatus
from processes.constants import MANAGE_PROJECT
from processes.models import Run, Step
from processes.models.work import OPEN_STATUSES
from processes.selectors import calendar
from processes.services import work

from ..choices import Cadence, MilestoneStatus, PilotWorkKind, PlanStatus
from ..models import Attendance, DepartmentSwitch, Milestone, MonitoringReview, RolloutPlan, TrainingSession
from ..selectors import rollout as selectors

ROLLABLE = (VersionStatus.APPROVED, VersionStatus.PILOTING, VersionStatus.PUBLISHED)
# working days the owner has to write a review, counted from its creation
REVIEW_DAYS = {Cadence.DAILY: 1, Cadence.WEEKLY: 2}


def _require(user, plan_or_department_id):
    department_id = plan_or_department_id
    if isinstance(plan_or_department_id, RolloutPlan):
        department_id = selectors.plan_department_id(plan_or_department_id)
    if not access.can(user, MANAGE_PROJECT, department_id):
        raise PermissionDenied(_("Your role or department does not allow changing this rollout plan."))


def _end_of(day: date) -> datetime:
    """The close of business on ``day`` (the next working day's close when ``day`` is a day off)."""
    return calendar.deadline(datetime.combine(day, time.min, tzinfo=calendar.time_zone()), 1, TimeUnit.WORKING_DAYS)


# Who may take part
# ------------------------------------------------------------------------------


def rollout_departments(version, plan: RolloutPlan | None = None) -> set[int]:
    """The departments a rollout of ``version`` covers, with every department below them: the
    process's department, those owning a step of the version, those running the process, and those
    already switched over. Its owners, milestone owners, trainers and trainees work there."""

    roots = {version.process.department_id}
    roots |= set(Step.objects.filter(version=version).values_list("department_id", flat=True))
    roots |= set(Run.objects.filter(version__process_id=version.process_id).values_list("department_id", flat=True))
    if plan is not None and plan.pk:
        roots |= set(plan.switches.values_list("department_id", flat=True))
    return access.departments_under(roots)


def _check_people(field: str, people, departments: set[int], version) -> None:
    """Refuse anyone of ``people`` who works outside ``departments`` and would not see the rollout
    through their own scope either (a field error on ``field``)."""
    outside = access.outsiders(people, departments, owner_department_id=version.process.department_id)
    if outside:
        raise ValidationError(
            {field: [_("%(name)s works outside this rollout's departments.") % {"name": outside[0].display_name}]}
        )


# Plans
# ------------------------------------------------------------------------------


def plan_date_errors(*, starts_on, daily_until, ends_on) -> dict[str, list[str]]:
    """The plan's dates in order: start, end of daily tracking, end (forms check the same)."""
    errors = {}
    if starts_on and daily_until and daily_until < starts_on:
        errors["daily_until"] = [_("Daily tracking ends on or after the start date.")]
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = [_("The end date is on or after the start date.")]
    elif daily_until and ends_on and ends_on < daily_until:
        errors["ends_on"] = [_("The plan ends after its daily tracking (weekly reviews follow it).")]
    return errors


def _check_plan(*, user, version, starts_on, daily_until, ends_on, project, owner, departments=None, home=None):
    errors = plan_date_errors(starts_on=starts_on, daily_until=daily_until, ends_on=ends_on)
    if version is not None and version.status not in ROLLABLE:
        errors["version"] = [_("Only an approved, piloted or published version can be rolled out.")]
    if project is not None and version is not None:
        if not project.processes.filter(pk=version.process_id).exists():
            errors["project"] = [_("This project does not cover %(process)s.") % {"process": version.process}]
        elif not access.in_scope(user, project.department_id):
            errors["project"] = [_("This project is outside your departments.")]
    if owner is not None and not owner.is_active:
        errors["owner"] = [_("This person no longer works here.")]
    elif departments is not None and access.outsiders([owner], departments, owner_department_id=home):
        errors["owner"] = [_("%(name)s works outside this rollout's departments.") % {"name": owner.display_name}]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def plan_create(
    *,
    user,
    version,
    owner,
    name_en: str,
    starts_on: date,
    daily_until: date,
    name_zh: str = "",
    ends_on: date | None = None,
    project=None,
    status: str = PlanStatus.PLANNED,
) -> RolloutPlan:
    _require(user, version.process.department_id)
    _check_plan(
        user=user,
        version=version,
        starts_on=starts_on,
        daily_until=daily_until,
        ends_on=ends_on,
        project=project,
        owner=owner,
        departments=rollout_departments(version),
        home=version.process.department_id,
    )
    plan = RolloutPlan(
        name_en=name_en,
        name_zh=name_zh,
        version=version,
        owner=owner,
        starts_on=starts_on,
        daily_until=daily_until,
        ends_on=ends_on,
        project=project,
        status=status,
        created_by=user,
    )
    return work.clean_and_save(plan, user)


@transaction.atomic
def plan_update(*, plan: RolloutPlan, user, **fields) -> RolloutPlan:
    _require(user, plan)
    plan = RolloutPlan.objects.select_for_update().get(pk=plan.pk)
    version = fields.get("version", plan.version)
    if version.pk != plan.version_id:
        _require(user, version.process.department_id)
        if plan.switches.exists():
            raise ValidationError({"version": [_("Departments already run this version: it cannot change.")]})
    merged = {name: fields.get(name, getattr(plan, name)) for name in ("starts_on", "daily_until", "ends_on")}
    _check_plan(
        user=user,
        version=version if version.pk != plan.version_id else None,
        project=fields.get("project", plan.project),
        owner=fields.get("owner", plan.owner) if "owner" in fields else None,
        departments=rollout_departments(version, plan),
        home=version.process.department_id,
        **merged,
    )
    new_owner = "owner" in fields and fields["owner"].pk != plan.owner_id
    for name, value in fields.items():
        setattr(plan, name, value)
    work.clean_and_save(plan, user)
    if new_owner:  # the open reviews move to the new owner's inbox
        for review in plan.reviews.filter(closed_at__isnull=True, work_item__status__in=OPEN_STATUSES):
            work.work_item_cancel(item=review.work_item, user=user)
            _open_review_work(plan, review, user, timezone.now())
    return plan


# Milestones
# ------------------------------------------------------------------------------


def _milestone_url(milestone: Milestone) -> str:
    return reverse("rollouts:detail", args=[milestone.plan_id]) + f"#milestone-{milestone.pk}"


def _open_milestone_work(milestone: Milestone, user, at) -> None:
    plan = milestone.plan
    owner = milestone.owner
    item = work.work_item_open(
        kind=PilotWorkKind.MILESTONE,
        department_id=owner.department_id or selectors.plan_department_id(plan),
        title_en=f"{milestone.title_en} — {plan.name_en}",
        title_zh=f"{milestone.title_zh or milestone.title_en} — {plan.name_zh or plan.name_en}",
        due_at=_end_of(milestone.due_on),
        user=user,
        role=Role.MANAGER,
        assignee=owner,
        project=plan.project,
        subject_url=_milestone_url(milestone),
        note=milestone.note,
        at=at,
    )
    milestone.work_item = item
    milestone.save(update_fields=["work_item", "updated_at"])


def _check_switch(plan, department, milestone):
    if department is None:
        return
    switched = plan.switches.filter(department=department).first()
    if switched is not None:
        raise ValidationError(
            {
                "switches_department": [
                    _("%(department)s already runs the new version (since %(date)s).")
                    % {"department": department, "date": switched.switched_on.isoformat()}
                ]
            }
        )
    others = plan.milestones.filter(switches_department=department).exclude(
        status__in=[MilestoneStatus.DONE, MilestoneStatus.CANCELLED]
    )
    if milestone is not None:
        others = others.exclude(pk=milestone.pk)
    other = others.first()
    if other is not None:
        raise ValidationError(
            {
                "switches_department": [
                    _("Milestone %(number)s already switches %(department)s over.")
                    % {"number": other.position, "department": department}
                ]
            }
        )


@transaction.atomic
def milestone_save(
    *,
    plan: RolloutPlan,
    user,
    title_en: str,
    owner,
    due_on: date,
    milestone: Milestone | None = None,
    title_zh: str = "",
    switches_department=None,
    note: str = "",
    at=None,
) -> Milestone:
    """Add a milestone at the end of the timetable, or change one; its work is in the owner's inbox,
    due at the close of business on its due date. A new owner or due date replaces that work."""
    _require(user, plan)
    at = work.now(at)
    RolloutPlan.objects.select_for_update().filter(pk=plan.pk).first()
    if milestone is not None:
        milestone = Milestone.objects.select_for_update().get(pk=milestone.pk, plan=plan)
        if milestone.status in (MilestoneStatus.DONE, MilestoneStatus.CANCELLED):
            raise ValidationError(_("A milestone that is done or cancelled cannot change."))
    if owner is not None and not owner.is_active:
        raise ValidationError({"owner": [_("This person no longer works here.")]})
    departments = rollout_departments(plan.version, plan)
    _check_people("owner", [owner], departments, plan.version)
    if switches_department is not None and switches_department.pk not in departments:
        raise ValidationError(
            {
                "switches_department": [
                    _("%(department)s does not run this process.") % {"department": switches_department}
                ]
            }
        )
    _check_switch(plan, switches_department, milestone)
    if milestone is None:
        last = plan.milestones.aggregate(last=Max("position"))["last"] or 0
        milestone = Milestone(plan=plan, position=last + 1)
        before = None
    else:
        before = (milestone.owner_id, milestone.due_on, milestone.title_en, milestone.title_zh)
    milestone.title_en, milestone.title_zh = title_en, title_zh
    milestone.owner, milestone.due_on = owner, due_on
    milestone.switches_department, milestone.note = switches_department, note
    work.clean_and_save(milestone, user, exclude=["work_item"])
    after = (milestone.owner_id, milestone.due_on, milestone.title_en, milestone.title_zh)
    if before != after:
        if milestone.work_item_id and milestone.work_item.is_open:
            work.work_item_cancel(item=milestone.work_item, user=user, at=at)
        _open_milestone_work(milestone, user, at)
    return milestone


@transaction.atomic
def milestone_move(*, milestone: Milestone, user, direction: str) -> Milestone:
    """Swap a milestone with the one above (``up``) or below (``down``) it in the timetable."""
    _require(user, milestone.plan)
    if direction not in ("up", "down"):
        raise ValidationError({"direction": [_("Move a milestone up or down.")]})
    RolloutPlan.objects.select_for_update().filter(pk=milestone.plan_id).first()
    milestone = Milestone.objects.get(pk=milestone.pk)
    siblings = Milestone.objects.filter(plan_id=milestone.plan_id)
    if direction == "up":
        other = siblings.filter(position__lt=milestone.position).order_by("-position").first()
    else:
        other = siblings.filter(position__gt=milestone.position).order_by("position").first()
    if other is None:
        return milestone
    mine, theirs = milestone.position, other.position
    # through a free position, as (plan, position) is unique
    Milestone.objects.filter(pk=milestone.pk).update(position=0)
    other.position = mine
    work.audit(other, user).save(update_fields=["position", "updated_at"])
    milestone.position = theirs
    work.audit(milestone, user).save(update_fields=["position", "updated_at"])
    return milestone


@transaction.atomic
def milestone_reorder(*, plan: RolloutPlan, user, order: list[int]) -> list[Milestone]:
    """Put the plan's milestones in the order of ``order`` (every milestone id, once)."""
    _require(user, plan)
    RolloutPlan.objects.select_for_update().filter(pk=plan.pk).first()
    rows = {m.pk: m for m in plan.milestones.all()}
    if sorted(order) != sorted(rows) or len(set(order)) != len(order):
        raise ValidationError({"order": [_("List every milestone of the plan exactly once.")]})
    # first out of the way (above every current position), as (plan, position) is unique
    top = max([m.position for m in rows.values()] + [len(rows)])
    for offset, pk in enumerate(order, start=1):
        Milestone.objects.filter(pk=pk).update(position=top + offset)
    result = []
    for position, pk in enumerate(order, start=1):
        milestone = rows[pk]
        milestone.position = position
        work.audit(milestone, user).save(update_fields=["position", "updated_at"])
        result.append(milestone)
    return result


@transaction.atomic
def milestone_start(*, milestone: Milestone, user) -> Milestone:
    """The owner says work on the milestone has begun."""
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if user.pk != milestone.owner_id:
        _require(user, milestone.plan)
    if milestone.status != MilestoneStatus.PLANNED:
        raise ValidationError(_("Only a planned milestone can start."))
    milestone.status = MilestoneStatus.IN_PROGRESS
    work.audit(milestone, user).save(update_fields=["status", "updated_at"])
    return milestone


def milestone_complete(*, milestone: Milestone, user, note: str = "", at=None) -> Milestone:
    """Complete the milestone's work (only its owner can): the same path as completing it in the inbox."""
    if milestone.work_item_id is None:
        raise ValidationError(_("This milestone has no work to complete."))
    work.item_complete(item=milestone.work_item, user=user, note=note, at=at)
    milestone.refresh_from_db()
    return milestone


@transaction.atomic
def milestone_cancel(*, milestone: Milestone, user, at=None) -> Milestone:
    _require(user, milestone.plan)
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if milestone.status in (MilestoneStatus.DONE, MilestoneStatus.CANCELLED):
        raise ValidationError(_("A milestone that is done or cancelled cannot change."))
    milestone.status = MilestoneStatus.CANCELLED
    work.audit(milestone, user).save(update_fields=["status", "updated_at"])
    if milestone.work_item_id and milestone.work_item.is_open:
        work.work_item_cancel(item=milestone.work_item, user=user, at=at)
    return milestone


def _milestone_done(milestone: Milestone, user, at, note: str) -> None:
    if milestone.status in (MilestoneStatus.DONE, MilestoneStatus.CANCELLED):
        raise ValidationError(
            _("This milestone is already %(status)s.") % {"status": milestone.get_status_display().lower()}
        )
    milestone.status = MilestoneStatus.DONE
    milestone.done_at = at
    if note.strip():
        milestone.note = "\n".join(filter(None, [milestone.note, note.strip()]))
    work.audit(milestone, user).save(update_fields=["status", "done_at", "note", "updated_at"])
    if milestone.switches_department_id:
        department_switch_record(
            plan=milestone.plan,
            user=user,
            department=milestone.switches_department,
            switched_on=timezone.localdate(at),
            milestone=milestone,
        )


def department_switch_record(
    *, plan: RolloutPlan, user, department, switched_on: date, milestone=None, note: str = ""
) -> DepartmentSwitch:
    """Record that ``department`` runs the plan's version from ``switched_on`` (once per department:
    a department switched already keeps its first record). The plan is rolling out from then on."""
    existing = plan.switches.filter(department=department).first()
    if existing is not None:
        return existing
    switch = DepartmentSwitch(
        plan=plan,
        department=department,
        switched_on=switched_on,
        recorded_by=user,
        milestone=milestone,
        note=note[:300],
    )
    try:
        with transaction.atomic():
            work.clean_and_save(switch, user, validate_constraints=False)
    except IntegrityError:  # recorded a moment ago by a concurrent completion
        return plan.switches.get(department=department)
    if plan.status == PlanStatus.PLANNED:
        plan.status = PlanStatus.ACTIVE
        work.audit(plan, user).save(update_fields=["status", "updated_at"])
    return switch


# Completion of inbox work (the kinds registered in PilotsConfig.ready)
# ------------------------------------------------------------------------------


def milestone_finished(*, item, user, at, note) -> None:
    """A milestone's work item was completed in the inbox (registered for ``milestone``)."""
    milestone = (
        Milestone.objects.select_for_update(of=("self",))
        .select_related("plan", "switches_department")
        .filter(work_item=item)
        .first()
    )
    if milestone is not None:
        _milestone_done(milestone, user, at, note or "")


def review_finished(*, item, user, at, note) -> None:
    """A monitoring review's work item was completed in the inbox (registered for ``monitoring_review``)."""
    review = MonitoringReview.objects.select_for_update().filter(work_item=item).first()
    if review is not None:
        _review_close(review, user, at, note or "")


# Training
# ------------------------------------------------------------------------------


@transaction.atomic
def session_save(
    *,
    plan: RolloutPlan,
    user,
    tier: str,
    title_en: str,
    starts_at: datetime,
    session: TrainingSession | None = None,
    title_zh: str = "",
    location: str = "",
    trainer=None,
    material: str = "",
) -> TrainingSession:
    _require(user, plan)
    if session is not None and session.plan_id != plan.pk:
        raise ValidationError(_("This session belongs to another plan."))
    session = session or TrainingSession(plan=plan)
    if session.pk and session.tier != tier and session.attendance.filter(completed=True).exists():
        raise ValidationError({"tier": [_("People have completed this session: its tier cannot change.")]})
    _check_people("trainer", [trainer], rollout_departments(plan.version, plan), plan.version)
    values = {
        "tier": tier,
        "title_en": title_en,
        "title_zh": title_zh,
        "starts_at": starts_at,
        "location": location,
        "trainer": trainer,
        "material": material,
    }
    for name, value in values.items():
        setattr(session, name, value)
    return work.clean_and_save(session, user)


@transaction.atomic
def attendance_invite(
    *, session: TrainingSession, user, people=(), department=None, tier: str | None = None, at=None
) -> int:
    """Invite people to a session: the ones listed, and (with ``department``) every active person of
    that department in ``tier`` (the session's tier by default). Returns how many were new."""
    _require(user, session.plan)
    at = work.now(at)
    departments = rollout_departments(session.plan.version, session.plan)
    _check_people("people", people, departments, session.plan.version)
    if department is not None and department.pk not in departments:
        raise ValidationError(
            {"department": [_("%(department)s does not run this process.") % {"department": department}]}
        )
    chosen = {p.pk: p for p in people}
    if department is not None:
        for person in selectors.tier_people(tier=tier or session.tier, department=department):
            chosen.setdefault(person.pk, person)
    if not chosen:
        raise ValidationError(_("Nobody to invite: choose people, or a department with people in that tier."))
    inactive = [p for p in chosen.values() if not p.is_active]
    if inactive:
        raise ValidationError({"people": [_("%(name)s no longer works here.") % {"name": inactive[0].display_name}]})
    already = set(session.attendance.filter(user_id__in=chosen).values_list("user_id", flat=True))
    made = 0
    for pk, person in chosen.items():
        if pk in already:
            continue
        row = Attendance(session=session, user=person, invited_at=at)
        try:
            with transaction.atomic():
                work.clean_and_save(row, user, validate_constraints=False)
        except IntegrityError:
            continue  # invited a moment ago by someone else
        made += 1
    return made


@transaction.atomic
def attendance_mark(*, session: TrainingSession, user, marks: dict[int, tuple[bool, bool]]) -> int:
    """Record who attended and who completed (``{attendance id: (attended, completed)}``); completing
    needs attending. Any bad row stores nothing. Returns how many rows changed."""
    _require(user, session.plan)
    rows = {
        a.pk: a
        for a in session.attendance.select_for_update(of=("self",)).filter(pk__in=list(marks)).select_related("user")
    }
    errors = {}
    for pk in marks:
        if pk not in rows:
            errors[f"attendance[{pk}]"] = [_("This person is not invited to the session.")]
    for pk, (attended, completed) in marks.items():
        if pk in rows and completed and not attended:
            errors[f"attendance[{pk}]"] = [
                _("%(name)s: completing the training needs attending it.") % {"name": rows[pk].user.display_name}
            ]
    if errors:
        raise ValidationError(errors)
    changed = 0
    for pk, (attended, completed) in marks.items():
        row = rows[pk]
        if (row.attended, row.completed) == (attended, completed):
            continue
        row.attended, row.completed = attended, completed
        work.audit(row, user).save(update_fields=["attended", "completed", "updated_at"])
        changed += 1
    return changed


@transaction.atomic
def attendance_remove(*, attendance: Attendance, user) -> None:
    """Withdraw an invitation (not once the person attended: that is a fact of the record)."""
    _require(user, attendance.session.plan)
    if attendance.attended:
        raise ValidationError(_("%(name)s attended: the record stays.") % {"name": attendance.user.display_name})
    work.audit(attendance, user).delete()


# Monitoring reviews
# ------------------------------------------------------------------------------


def _review_titles(plan: RolloutPlan, period) -> tuple[str, str]:
    dates = period.label
    if period.cadence == Cadence.DAILY:
        return f"Daily tracking {dates}: {plan.name_en}", f"每日跟踪 {dates}：{plan.name_zh or plan.name_en}"
    return f"Weekly review {dates}: {plan.name_en}", f"每周复盘 {dates}：{plan.name_zh or plan.name_en}"


def reviews_create_due(*, now: datetime | None = None) -> int:
    """Celery beat: create the review of every period that has ended (daily while the rollout is
    young, then weekly) as a task in the plan owner's inbox. Exactly once per period: the plan row is
    locked and (plan, cadence, period start) is unique, so a second or concurrent run creates nothing.
    Returns how many reviews were created."""
    now = work.now(now)
    today = timezone.localdate(now)
    made = 0
    plans = RolloutPlan.objects.exclude(status=PlanStatus.DONE).filter(starts_on__lt=today).values_list("pk", flat=True)
    for plan_id in plans:
        with transaction.atomic():
            plan = (
                RolloutPlan.objects.select_for_update(of=("self",))
                .select_related("version__process", "owner", "project")
                .filter(pk=plan_id)
                .exclude(status=PlanStatus.DONE)
                .first()
            )
            if plan is None:
                continue
            existing = set(plan.reviews.values_list("cadence", "period_start"))
            for period in selectors.periods_due(plan, today=today):
                if (period.cadence, period.start) in existing:
                    continue
                if _review_create(plan, period, now) is not None:
                    made += 1
    return made


def _review_create(plan: RolloutPlan, period, now: datetime) -> MonitoringReview | None:
    review = MonitoringReview(
        plan=plan, cadence=period.cadence, period_start=period.start, period_end=period.end, created_at=now
    )
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError:
        return None
    return _open_review_work(plan, review, None, now)


def _open_review_work(plan: RolloutPlan, review: MonitoringReview, user, now: datetime) -> MonitoringReview:
    period = selectors.Period(review.cadence, review.period_start, review.period_end)
    title_en, title_zh = _review_titles(plan, period)
    item = work.work_item_open(
        kind=PilotWorkKind.MONITORING_REVIEW,
        department_id=selectors.plan_department_id(plan),
        title_en=title_en,
        title_zh=title_zh,
        due_at=calendar.deadline(now, REVIEW_DAYS[period.cadence], TimeUnit.WORKING_DAYS),
        user=user,
        role=Role.MANAGER,
        assignee=plan.owner,
        project=plan.project,
        subject_url=reverse("rollouts:monitoring", args=[plan.pk]) + f"#review-{review.pk}",
        at=now,
    )
    review.work_item = item
    work.audit(review, user).save(update_fields=["work_item", "updated_at"])
    return review


def review_close(*, review: MonitoringReview, user, conclusions: str, at=None) -> MonitoringReview:
    """Close a review with its conclusions: completes its inbox work (only its owner can)."""
    if review.work_item_id is None:
        with transaction.atomic():
            if user.pk != review.plan.owner_id:
                _require(user, review.plan)
            review = MonitoringReview.objects.select_for_update().get(pk=review.pk)
            _review_close(review, user, work.now(at), conclusions)
        return review
    if review.work_item.status == WorkStatus.CANCELLED:
        raise ValidationError(_("This review was withdrawn."))
    if not conclusions.strip():
        raise ValidationError({"conclusions": [_("Write the review's conclusions.")]})
    work.item_complete(item=review.work_item, user=user, note=conclusions, at=at)
    review.refresh_from_db()
    return review


def _review_close(review: MonitoringReview, user, at, conclusions: str) -> None:
    if review.closed_at is not None:
        raise ValidationError(_("This review is already closed."))
    if not conclusions.strip():
        raise ValidationError({"note": [_("Write the review's conclusions.")]})
    review.conclusions = conclusions.strip()
    review.closed_at = at
    work.audit(review, user).save(update_fields=["conclusions", "closed_at", "updated_at"])
