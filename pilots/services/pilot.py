"""Pilots (phase 4): the trial, its stand-ups, template 3 feedback, surveys and customer interviews.

Every write checks the user's role and department (processes.access), is audited (simple_history)
and runs in one transaction: a rejected input stores nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from processes import access
from processes import selectors as process_selectors
from processes.choices import TimeUnit, VersionStatus
from processes.constants import MANAGE_PROJECT, VIEW
from processes.selectors.calendar import deadline
from processes.services import standards, work

from ..choices import FeedbackStatus, PilotStatus, PilotWorkKind, QuestionKind
from ..models import (
    CustomerInterview,
    FeedbackItem,
    Pilot,
    StandUp,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
)
from ..selectors import pilot as selectors
from . import webhooks

# The staff questionnaire every survey starts with (ratings 1-5 on clarity and efficiency, comments).
DEFAULT_QUESTIONS = [
    ("How clear is the new process to you?", "新流程对你来说清晰吗？", QuestionKind.RATING),
    ("How efficient is the new process?", "新流程的效率如何？", QuestionKind.RATING),
    ("What should change?", "你认为还应改进什么？", QuestionKind.TEXT),
]


def department_of(pilot: Pilot) -> int:
    """Pilots are managed by the owner department of the process they try."""
    return pilot.version.process.department_id


def can_manage(user, pilot: Pilot) -> bool:
    return access.can(user, MANAGE_PROJECT, department_of(pilot))


def can_view(user, pilot: Pilot) -> bool:
    if access.can(user, VIEW, department_of(pilot)):
        return True
    return any(access.can(user, VIEW, pk) for pk in selectors.pilot_department_ids(pilot))


def _require_manage(user, pilot_or_version):
    department_id = (
        department_of(pilot_or_version)
        if isinstance(pilot_or_version, Pilot)
        else pilot_or_version.process.department_id
    )
    if not access.can(user, MANAGE_PROJECT, department_id):
        raise PermissionDenied(_("Your role or department does not allow this."))


def participant_department_ids(pilot: Pilot) -> set[int]:
    """The pilot departments and the departments that own a step of the version on trial (the
    warehouse of an order process, say), with every department under them."""
    roots = set(pilot.departments.values_list("pk", flat=True))
    roots |= set(pilot.version.steps.exclude(department=None).values_list("department_id", flat=True))
    return set(access.departments_under(roots))


def in_pilot_scope(user, pilot: Pilot) -> bool:
    """Does ``user`` work in the pilot: in a pilot department or one that owns a step on trial?"""
    return user.department_id is not None and user.department_id in participant_department_ids(pilot)


def works_on_pilot(user, pilot: Pilot) -> bool:
    """In the pilot's scope, above it (a pilot department lies in the user's scope), or running it."""
    if can_manage(user, pilot) or in_pilot_scope(user, pilot):
        return True
    return any(access.can(user, VIEW, pk) for pk in pilot.departments.values_list("pk", flat=True))


# The pilot
# ------------------------------------------------------------------------------


def _check_references(*, user, version, departments, control_departments, owner=None, current=None) -> None:
    """A pilot changes how its departments work: they lie in the caller's scope. Its owner works in
    a department taking part (a pilot department, a department owning a step on trial, the process's)
    or sees the process's department anyway."""
    errors = {}
    for field, chosen in (("departments", departments), ("control_departments", control_departments)):
        outside = [d for d in chosen or () if not access.in_scope(user, d.pk)]
        if outside:
            errors[field] = _("%(department)s is outside your departments.") % {"department": outside[0]}
    if owner is not None:
        roots = {d.pk for d in (departments if departments is not None else current or ())}
        roots.add(version.process.department_id)
        roots |= set(version.steps.exclude(department=None).values_list("department_id", flat=True))
        if access.outsiders([owner], roots, owner_department_id=version.process.department_id):
            errors["owner"] = _("%(name)s works outside this pilot's departments.") % {"name": owner.display_name}
    if errors:
        raise ValidationError(errors)


def _check_scope(*, version, departments, control_departments, starts_on, ends_on, business_line, pilot=None):
    errors = {}
    if version.status not in (VersionStatus.APPROVED, VersionStatus.PILOTING):
        errors["version"] = _("Only an approved version can be piloted.")
    departments, control = set(departments or []), set(control_departments or [])
    if not departments:
        errors["departments"] = _("Choose at least one pilot department.")
    if departments & control:
        names = ", ".join(sorted(str(d) for d in departments & control))
        errors["control_departments"] = _(
            "A department cannot be in the pilot and in the control group: %(names)s."
        ) % {"names": names}
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = _("The pilot must end on or after its start.")
    if errors:
        raise ValidationError(errors)
    # Two pilots of one process may not claim the same department on the same days.
    overlapping = Pilot.objects.filter(
        version__process_id=version.process_id,
        status__in=[PilotStatus.PLANNED, PilotStatus.RUNNING],
        starts_on__lte=ends_on,
        ends_on__gte=starts_on,
    )
    if pilot is not None and pilot.pk:
        overlapping = overlapping.exclude(pk=pilot.pk)
    wanted = {d.pk for d in departments | control}
    for other in overlapping.prefetch_related("departments", "control_departments"):
        if business_line and other.business_line and business_line.casefold() != other.business_line.casefold():
            continue
        taken = {d.pk for d in other.departments.all()} | {d.pk for d in other.control_departments.all()}
        if wanted & taken:
            raise ValidationError(
                {
                    "departments": _(
                        "The pilot “%(name)s” already covers one of these departments from %(start)s to %(end)s."
                    )
                    % {"name": other.name, "start": other.starts_on, "end": other.ends_on}
                }
            )


@transaction.atomic
def pilot_create(
    *,
    user,
    version,
    name_en: str,
    departments,
    starts_on: date,
    ends_on: date,
    owner,
    name_zh: str = "",
    control_departments=(),
    business_line: str = "",
    cycles: int = 1,
    project=None,
    baseline_start: date | None = None,
    baseline_end: date | None = None,
) -> Pilot:
    _require_manage(user, version)
    _check_references(
        user=user, version=version, departments=departments, control_departments=control_departments, owner=owner
    )
    _check_scope(
        version=version,
        departments=departments,
        control_departments=control_departments,
        starts_on=starts_on,
        ends_on=ends_on,
        business_line=business_line,
    )
    pilot = Pilot(
        version=version,
        name_en=name_en,
        name_zh=name_zh,
        starts_on=starts_on,
        ends_on=ends_on,
        owner=owner,
        business_line=business_line.strip(),
        cycles=cycles,
        project=project,
        baseline_start=baseline_start,
        baseline_end=baseline_end,
        created_by=user,
    )
    _check_baseline(pilot)
    work.clean_and_save(pilot, user)
    pilot.departments.set(departments)
    pilot.control_departments.set(control_departments)
    return pilot


def _check_baseline(pilot: Pilot):
    if (pilot.baseline_start is None) != (pilot.baseline_end is None):
        raise ValidationError({"baseline_end": _("Give both ends of the baseline period, or neither.")})
    if pilot.baseline_start and pilot.baseline_end:
        if pilot.baseline_end < pilot.baseline_start:
            raise ValidationError({"baseline_end": _("The baseline period must end on or after its start.")})
        if pilot.baseline_end >= pilot.starts_on:
            raise ValidationError({"baseline_end": _("The baseline period must end before the pilot starts.")})


@transaction.atomic
def pilot_update(*, pilot: Pilot, user, departments=None, control_departments=None, **fields) -> Pilot:
    """Change a pilot. Its scope and version change only while it is planned; later, only its end
    date, owner, name, baseline and conclusion (runs already attributed stay where they are)."""
    _require_manage(user, pilot)
    pilot = Pilot.objects.select_for_update().get(pk=pilot.pk)
    if pilot.status == PilotStatus.CLOSED:
        raise ValidationError(_("A closed pilot cannot be changed."))
    frozen = {"version", "starts_on", "business_line"}
    if pilot.status == PilotStatus.RUNNING:
        changed = [name for name in frozen if name in fields and fields[name] != getattr(pilot, name)]
        if departments is not None and set(departments) != set(pilot.departments.all()):
            changed.append("departments")
        if control_departments is not None and set(control_departments) != set(pilot.control_departments.all()):
            changed.append("control_departments")
        if changed:
            raise ValidationError(
                {name: _("This cannot change while the pilot runs.") for name in changed},
            )
    for name, value in fields.items():
        setattr(pilot, name, value)
    _check_references(
        user=user,
        version=pilot.version,
        departments=departments,
        control_departments=control_departments,
        owner=pilot.owner if "owner" in fields or departments is not None else None,
        current=pilot.departments.all(),
    )
    _check_scope(
        version=pilot.version,
        departments=departments if departments is not None else pilot.departments.all(),
        control_departments=control_departments if control_departments is not None else pilot.control_departments.all(),
        starts_on=pilot.starts_on,
        ends_on=pilot.ends_on,
        business_line=pilot.business_line,
        pilot=pilot,
    )
    _check_baseline(pilot)
    work.clean_and_save(pilot, user)
    if departments is not None:
        pilot.departments.set(departments)
    if control_departments is not None:
        pilot.control_departments.set(control_departments)
    return pilot


@transaction.atomic
def pilot_start(*, pilot: Pilot, user) -> Pilot:
    """Start the trial: the version goes on trial (a manager's decision), and from its start date
    runs in the pilot's scope use it."""
    _require_manage(user, pilot)
    pilot = Pilot.objects.select_for_update().get(pk=pilot.pk)
    if pilot.status != PilotStatus.PLANNED:
        raise ValidationError(_("Only a planned pilot can start."))
    standards.version_pilot(version=pilot.version, user=user)
    pilot.status = PilotStatus.RUNNING
    work.audit(pilot, user).save()
    return pilot


@transaction.atomic
def pilot_close(*, pilot: Pilot, user, conclusion: str = "") -> Pilot:
    _require_manage(user, pilot)
    pilot = Pilot.objects.select_for_update().get(pk=pilot.pk)
    if pilot.status != PilotStatus.RUNNING:
        raise ValidationError(_("Only a running pilot can be closed."))
    if not conclusion.strip():
        raise ValidationError({"conclusion": _("Write the pilot's conclusion.")})
    pilot.status = PilotStatus.CLOSED
    pilot.conclusion = conclusion.strip()
    if pilot.ends_on > timezone.localdate():
        pilot.ends_on = max(pilot.starts_on, timezone.localdate())  # no more runs are attributed from now on
    work.audit(pilot, user).save()
    return pilot


# Stand-ups
# ------------------------------------------------------------------------------


@transaction.atomic
def standup_save(
    *,
    pilot: Pilot,
    user,
    held_on: date,
    problems: str,
    attendees=(),
    guests: str = "",
    decisions: str = "",
    change_step=None,
    new_time_limit=None,
    new_time_unit: str = "",
    open_draft: bool = False,
) -> StandUp:
    """Record a stand-up. A decision that changes the standard opens a draft of the next version
    (or joins the draft an earlier stand-up opened) with that change, linked to the stand-up.

    ``change_step`` (a step of the version on trial) with ``new_time_limit``/``new_time_unit``
    changes that step's limit in the draft; ``open_draft`` opens the draft for other changes."""
    _require_manage(user, pilot)
    outside = access.outsiders(
        attendees,
        participant_department_ids(pilot) | {department_of(pilot)},
        owner_department_id=department_of(pilot),
    )
    if outside:
        raise ValidationError(
            {"attendees": [_("%(name)s works outside this pilot's departments.") % {"name": outside[0].display_name}]}
        )
    if pilot.status == PilotStatus.PLANNED:
        raise ValidationError(_("The pilot has not started yet."))
    errors = {}
    if change_step is not None:
        if change_step.version_id != pilot.version_id:
            errors["change_step"] = _("Choose a step of the version on trial.")
        if new_time_limit is None:
            errors["new_time_limit"] = _("Give the step's new time limit.")
        elif new_time_limit < 0:
            errors["new_time_limit"] = _("A time limit cannot be negative.")
        if new_time_unit not in TimeUnit.values:
            errors["new_time_unit"] = _("Choose the unit of the new time limit.")
    elif new_time_limit is not None:
        errors["change_step"] = _("Choose the step whose time limit changes.")
    changes_standard = change_step is not None or open_draft
    if changes_standard and not decisions.strip():
        errors["decisions"] = _("Write the decision that changes the standard.")
    if errors:
        raise ValidationError(errors)
    standup = StandUp(
        pilot=pilot,
        held_on=held_on,
        guests=guests,
        problems=problems,
        decisions=decisions,
        created_by=user,
        changed_step_key=change_step.key if change_step is not None else "",
        new_time_limit=new_time_limit if change_step is not None else None,
        new_time_unit=new_time_unit if change_step is not None else "",
    )
    standup.full_clean(exclude=["draft_version"], validate_constraints=False)  # the day: below, with a field message
    if changes_standard:
        note = _("Pilot stand-up %(date)s: %(decision)s") % {"date": held_on, "decision": decisions.strip()}
        draft = standards.draft_for_change(version=pilot.version, user=user, change_note=note)
        if change_step is not None:
            standards.step_limit_change(
                version=draft, user=user, key=change_step.key, time_limit=new_time_limit, time_unit=new_time_unit
            )
        standup.draft_version = draft
    try:
        with transaction.atomic():
            work.audit(standup, user).save()
    except IntegrityError:
        raise ValidationError({"held_on": _("A stand-up is already recorded for this day.")}) from None
    standup.attendees.set(attendees)
    return standup


# Template 3: pilot feedback
# ------------------------------------------------------------------------------


@transaction.atomic
def feedback_raise(
    *,
    pilot: Pilot,
    user,
    department,
    problem: str,
    responsible_department,
    due_days: int,
    suggestion: str = "",
    at: datetime | None = None,
) -> FeedbackItem:
    """A row of template 3, raised by someone in the pilot's scope or who manages the pilot."""
    if not works_on_pilot(user, pilot):
        raise PermissionDenied(_("Only people in the pilot's scope or who run the pilot can give feedback."))
    if pilot.status != PilotStatus.RUNNING:
        raise ValidationError(_("Feedback is given while the pilot runs."))
    if department is not None and department.pk not in participant_department_ids(pilot):
        raise ValidationError({"department": _("Choose a department that takes part in the pilot.")})
    Pilot.objects.select_for_update().filter(pk=pilot.pk).first()  # serialise the numbering
    number = (pilot.feedback.aggregate(n=Max("number"))["n"] or 0) + 1
    item = FeedbackItem(
        pilot=pilot,
        number=number,
        department=department,
        problem=problem.strip(),
        suggestion=suggestion.strip(),
        responsible_department=responsible_department,
        due_days=due_days,
        raised_by=user,
        raised_at=at or timezone.now(),
    )
    return work.clean_and_save(item, user)


@transaction.atomic
def feedback_decide(*, item: FeedbackItem, user, accept: bool, note: str = "", at=None) -> FeedbackItem:
    """Accept a feedback item (work for the responsible department, due in its working days, under
    the version's escalation policy) or reject it with a reason."""
    item = FeedbackItem.objects.select_for_update().select_related("pilot__version").get(pk=item.pk)
    _require_manage(user, item.pilot)
    if item.status != FeedbackStatus.RAISED:
        raise ValidationError(_("This feedback was already decided."))
    at = at or timezone.now()
    item.decided_by, item.decided_at, item.decision_note = user, at, note.strip()
    if not accept:
        if not note.strip():
            raise ValidationError({"note": _("Say why the feedback is rejected.")})
        item.status = FeedbackStatus.REJECTED
        return work.clean_and_save(item, user)
    pilot = item.pilot
    levels = work.escalation_levels(pilot.version) or None
    item.work_item = work.work_item_open(
        kind=PilotWorkKind.FEEDBACK,
        department_id=item.responsible_department_id,
        role=process_selectors.department_main_role(item.responsible_department_id),
        title_en=f"Pilot feedback {item.number} ({pilot.name_en}): {item.suggestion or item.problem}"[:300],
        title_zh=f"试点反馈 {item.number}（{pilot.name_zh or pilot.name_en}）：{item.suggestion or item.problem}"[:300],
        due_at=deadline(at, item.due_days, TimeUnit.WORKING_DAYS),
        user=user,
        subject_url=reverse("pilots:detail", args=[pilot.pk]) + f"#feedback-{item.number}",
        note=item.problem,
        levels=levels,
        at=at,
    )
    item.status = FeedbackStatus.ACCEPTED
    webhooks.feedback_due_emit(item=item)
    return work.clean_and_save(item, user)


def feedback_finished(*, item, user, at, note) -> None:
    """The responsible department completed the feedback's work (registered for ``feedback``): the item is
    resolved with the note."""
    feedback = FeedbackItem.objects.select_for_update().filter(work_item=item).first()
    if feedback is None:
        return
    if not (note or "").strip():
        raise ValidationError({"note": _("Write how the feedback was resolved.")})
    feedback.status = FeedbackStatus.RESOLVED
    feedback.resolution = note.strip()
    feedback.resolved_by, feedback.resolved_at = user, at
    work.audit(feedback, user).save()


# Surveys and customer interviews
# ------------------------------------------------------------------------------


@transaction.atomic
def survey_create(*, pilot: Pilot, user, title_en: str, title_zh: str = "", questions=None) -> Survey:
    """A staff questionnaire; ``questions`` is a list of (English, Chinese, kind), default the
    clarity and efficiency ratings and a comment."""
    _require_manage(user, pilot)
    survey = work.clean_and_save(Survey(pilot=pilot, title_en=title_en, title_zh=title_zh, created_by=user), user)
    rows = questions if questions is not None else DEFAULT_QUESTIONS
    if not rows:
        raise ValidationError({"questions": _("A survey needs at least one question.")})
    for position, (text_en, text_zh, kind) in enumerate(rows, start=1):
        SurveyQuestion(survey=survey, position=position, text_en=text_en, text_zh=text_zh, kind=kind).full_clean()
        SurveyQuestion.objects.create(survey=survey, position=position, text_en=text_en, text_zh=text_zh, kind=kind)
    return survey


@transaction.atomic
def survey_close(*, survey: Survey, user) -> Survey:
    _require_manage(user, survey.pilot)
    survey.is_open = False
    work.audit(survey, user).save(update_fields=["is_open", "updated_at"])
    return survey


def can_answer(user, survey: Survey) -> bool:
    return survey.is_open and in_pilot_scope(user, survey.pilot)


@transaction.atomic
def survey_answer(*, survey: Survey, user, answers: dict[int, object], at=None) -> SurveyResponse:
    """Store one person's answers: ``{question_id: rating (1-5) or comment}``. Every rating question
    must be answered; a person answers once."""
    if not in_pilot_scope(user, survey.pilot):
        raise PermissionDenied(_("This survey is for the staff in the pilot's scope."))
    if not survey.is_open:
        raise ValidationError(_("This survey is closed."))
    errors = {}
    rows = []
    for question in survey.questions.all():
        value = answers.get(question.pk)
        field = f"q{question.pk}"
        if question.kind == QuestionKind.RATING:
            try:
                rating = int(value) if value not in (None, "") else None
            except (TypeError, ValueError):
                rating = -1
            if rating is None:
                errors[field] = _("Choose a rating from 1 to 5.")
            elif not 1 <= rating <= 5:
                errors[field] = _("A rating is a whole number from 1 to 5.")
            rows.append(SurveyAnswer(question=question, rating=rating))
        else:
            rows.append(SurveyAnswer(question=question, comment=str(value or "").strip()))
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                survey=survey, respondent=user, department_id=user.department_id, submitted_at=at or timezone.now()
            )
    except IntegrityError:
        raise ValidationError(_("You have already answered this survey.")) from None
    for row in rows:
        row.response = response
    SurveyAnswer.objects.bulk_create(rows)
    return response


@transaction.atomic
def interview_save(
    *, pilot: Pilot, user, customer: str, held_on: date, satisfaction: int, notes: str = ""
) -> CustomerInterview:
    if not works_on_pilot(user, pilot):
        raise PermissionDenied(_("Only people in the pilot's scope or who run the pilot can record interviews."))
    interview = CustomerInterview(
        pilot=pilot,
        customer=customer.strip(),
        held_on=held_on,
        interviewer=user,
        satisfaction=satisfaction,
        notes=notes,
    )
    return work.clean_and_save(interview, user)
