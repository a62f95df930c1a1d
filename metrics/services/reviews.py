"""Periodic reviews of projects in continuous optimization (phase 6).

Celery beat calls ``reviews_due`` every hour: for each project in the iteration phase it opens the
review of the month (or quarter) that has just ended, once, as work in the lead's inbox. A review
records its conclusions and actions: "adjust the standard" opens the next draft of a process's
standard; a tracked item is work for a department with a deadline, escalated like any other.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from processes import access
from processes import selectors as process_selectors
from processes.choices import ProjectPhase, ReviewCadence, Role, TimeUnit, VersionStatus
from processes.constants import MANAGE_PROJECT
from processes.models import ImprovementProject
from processes.selectors.calendar import deadline
from processes.services import projects as project_services
from processes.services import standards, work

from ..choices import ActionKind, ActionStatus, MetricsWorkKind
from ..models import Review, ReviewAction

REVIEW_DAYS = 5  # working days the lead has to hold a review


def review_period(cadence: str, today: date) -> tuple[date, date]:
    """The last month or quarter that ended before ``today``."""
    first_of_month = today.replace(day=1)
    if cadence == ReviewCadence.QUARTERLY:
        quarter_start = first_of_month.replace(month=3 * ((today.month - 1) // 3) + 1)
        end = quarter_start - timedelta(days=1)
        start = end.replace(day=1, month=3 * ((end.month - 1) // 3) + 1)
        return start, end
    end = first_of_month - timedelta(days=1)
    return end.replace(day=1), end


def reviews_due(*, now: datetime | None = None) -> int:
    """Open the review of the period just ended for every project in iteration; returns how many
    were opened. Idempotent: a period's review is opened once (a unique key holds the line)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    opened = 0
    projects = ImprovementProject.objects.filter(phase=ProjectPhase.ITERATION).select_related("lead", "department")
    for project in projects:
        start, end = review_period(project.review_cadence, today)
        if Review.objects.filter(project=project, period_start=start).exists():
            continue
        if _open_review(project, start, end, now) is not None:
            opened += 1
    return opened


def _open_review(project, start, end, now) -> Review | None:
    try:
        with transaction.atomic():
            review = Review.objects.create(
                project=project, cadence=project.review_cadence, period_start=start, period_end=end, created_at=now
            )
            review.work_item = work.work_item_open(
                kind=MetricsWorkKind.PERIODIC_REVIEW,
                department_id=project.department_id,
                role=Role.MANAGER,
                assignee=project.lead,
                project=None,
                title_en=f"Periodic review {start:%Y-%m-%d} – {end:%Y-%m-%d}: {project.name_en}",
                title_zh=f"定期评估 {start:%Y-%m-%d} – {end:%Y-%m-%d}：{project.name_zh or project.name_en}",
                due_at=deadline(now, REVIEW_DAYS, TimeUnit.WORKING_DAYS),
                user=None,
                subject_url=reverse("reviews:detail", args=[review.pk]),
                at=now,
            )
            review.save(update_fields=["work_item", "updated_at"])
    except IntegrityError:
        return None  # another beat opened it at the same moment
    return review


def can_manage(user, review: Review) -> bool:
    return access.can(user, MANAGE_PROJECT, review.project.department_id)


def _require(user, review: Review):
    if not can_manage(user, review):
        raise PermissionDenied(_("Your role or department does not allow this."))


@transaction.atomic
def review_save(*, review: Review, user, conclusions: str) -> Review:
    _require(user, review)
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.closed_at:
        raise ValidationError(_("This review is closed."))
    review.conclusions = conclusions.strip()
    work.audit(review, user).save(update_fields=["conclusions", "updated_at"])
    return review


def review_close(*, review: Review, user, conclusions: str | None = None) -> Review:
    """Close the review with its conclusions (its work in the inbox is completed with them)."""
    _require(user, review)
    text = (conclusions if conclusions is not None else review.conclusions).strip()
    if not text:
        raise ValidationError({"conclusions": _("Write the review's conclusions.")})
    item = review.work_item
    if item is not None and item.is_open:
        if item.assignee_id and item.assignee_id != user.pk:
            work.item_reassign(item=item, user=user, to_user=user)
        work.item_complete(item=item, user=user, note=text)  # closes the review (review_finished)
    else:
        with transaction.atomic():
            _close(review, user, timezone.now(), text)
    review.refresh_from_db()
    return review


def _close(review, user, at, text):
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.closed_at:
        raise ValidationError(_("This review is closed."))
    review.conclusions, review.closed_at, review.closed_by = text, at, user
    work.audit(review, user).save()


@transaction.atomic
def action_add(
    *,
    review: Review,
    user,
    kind: str,
    description: str,
    process=None,
    responsible_department=None,
    due_days: int | None = None,
    at=None,
) -> ReviewAction:
    """Record a review's action: adjusting a standard opens the next draft of the process's current
    standard (or joins its open draft); a tracked item becomes work for the department."""
    _require(user, review)
    if review.closed_at:
        raise ValidationError(_("This review is closed."))
    at = at or timezone.now()
    errors = {}
    if not description.strip():
        errors["description"] = _("Say what is to be done.")
    if kind == ActionKind.ADJUST_STANDARD:
        if process is None:
            errors["process"] = _("Choose the process whose standard changes.")
        elif not project_services.project_processes(review.project).filter(pk=process.pk).exists():
            errors["process"] = _("Choose one of the project's processes.")
    elif kind == ActionKind.TRACK:
        if responsible_department is None:
            errors["responsible_department"] = _("Choose the responsible department.")
        if not due_days:
            errors["due_days"] = _("Give the number of working days it may take.")
    else:
        errors["kind"] = _("Choose an action.")
    if errors:
        raise ValidationError(errors)
    action = ReviewAction(
        review=review,
        kind=kind,
        description=description.strip(),
        process=process,
        responsible_department=responsible_department,
        due_days=due_days,
        created_by=user,
    )
    if kind == ActionKind.ADJUST_STANDARD:
        current = (
            process.versions.filter(status=VersionStatus.PUBLISHED).first()
            or process.versions.order_by("-number").first()
        )
        if current is None:
            raise ValidationError({"process": _("This process has no standard yet.")})
        note = _("Review %(start)s – %(end)s: %(text)s") % {
            "start": review.period_start,
            "end": review.period_end,
            "text": action.description,
        }
        action.draft_version = standards.draft_for_change(version=current, user=user, change_note=note)
    else:
        action.work_item = work.work_item_open(
            kind=MetricsWorkKind.ACTION,
            department_id=responsible_department.pk,
            role=process_selectors.department_main_role(responsible_department.pk),
            title_en=f"Review action ({review.project.name_en}): {action.description}"[:300],
            title_zh=f"评估行动（{review.project.name_zh or review.project.name_en}）：{action.description}"[:300],
            due_at=deadline(at, due_days, TimeUnit.WORKING_DAYS),
            user=user,
            subject_url=reverse("reviews:detail", args=[review.pk]),
            note=action.description,
            at=at,
        )
    action.full_clean()
    work.audit(action, user).save()
    return action


def review_finished(*, item, user, at, note) -> None:
    """A periodic review's work was completed in the inbox (registered for ``periodic_review``)."""
    review = Review.objects.filter(work_item=item).first()
    if review is not None:
        text = (note or "").strip() or review.conclusions
        if not text:
            raise ValidationError({"note": _("Write the review's conclusions.")})
        _close(review, user, at, text)


def action_finished(*, item, user, at, note) -> None:
    """A tracked action's work was completed in the inbox (registered for ``action``)."""
    action = ReviewAction.objects.select_for_update().filter(work_item=item).first()
    if action is not None:
        if not (note or "").strip():
            raise ValidationError({"note": _("Write what was done.")})
        action.status, action.resolution = ActionStatus.DONE, note.strip()
        work.audit(action, user).save()
