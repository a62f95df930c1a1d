"""The case library: lessons captured from reviews, pilots and projects, kept and searched."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import access
from ..constants import MANAGE_PROJECT
from ..models import Case, CaseTag


def parse_tags(text: str) -> list[str]:
    """ "pilot, 时限；review" -> ["pilot", "时限", "review"] (commas, Chinese commas or semicolons)."""
    for separator in ("，", "；", ";", "、"):
        text = text.replace(separator, ",")
    seen = {}
    for tag in (t.strip() for t in text.split(",")):
        if tag:
            seen.setdefault(tag.casefold(), tag[:50])
    return list(seen.values())


@transaction.atomic
def case_save(*, user, case: Case | None = None, tags: list[str] | None = None, **fields) -> Case:
    """Create or change a case; people who run improvement projects in its department may."""
    case = case or Case(created_by=user)
    for name, value in fields.items():
        setattr(case, name, value)
    if case.department_id is None:
        raise ValidationError({"department": _("Choose the department the lesson belongs to.")})
    if not access.can(user, MANAGE_PROJECT, case.department_id):
        raise PermissionDenied(_("Your role or department does not allow this."))
    # a case is read in its department: it links only processes and projects on that department's line
    # (the department, those below it, those above it), never a sibling's
    allowed = access.departments_under([case.department_id]) | access.departments_above(case.department_id)
    if case.process_id and case.process.department_id not in allowed:
        raise ValidationError({"process": _("Link a process of the case's department.")})
    if case.project_id and case.project.department_id not in allowed:
        raise ValidationError({"project": _("Link a project of the case's department.")})
    if not (case.title_en.strip() or case.title_zh.strip()):
        raise ValidationError({"title_en": _("Give the case a title in at least one language.")})
    if not (case.lesson_en.strip() or case.lesson_zh.strip()):
        raise ValidationError({"lesson_en": _("Write the lesson in at least one language.")})
    case.full_clean(exclude=["tags"])
    case._history_user = user
    case.save()
    if tags is not None:
        objects = []
        for name in tags:
            tag = CaseTag.objects.filter(name__iexact=name).first() or CaseTag.objects.create(name=name)
            objects.append(tag)
        case.tags.set(objects)
    return case
