"""Read side of the standards (template 2): processes and their versions, scoped to what a user may see."""

from django.db.models import OuterRef, Prefetch, Subquery
from django.shortcuts import get_object_or_404

from .. import access
from ..choices import VersionStatus
from ..models import EscalationLevel, ExceptionPlan, Process, StandardTarget, StandardVersion, Step
from .base import with_changes


def process_list(*, user):
    current = StandardVersion.objects.filter(process=OuterRef("pk"), status=VersionStatus.PUBLISHED)
    open_version = StandardVersion.objects.filter(
        process=OuterRef("pk"), status__in=[VersionStatus.DRAFT, VersionStatus.SUBMITTED, VersionStatus.APPROVED]
    )
    qs = (
        Process.objects.select_related("department")
        .annotate(
            current_number=Subquery(current.values("number")[:1]),
            current_pk=Subquery(current.values("pk")[:1]),
            open_number=Subquery(open_version.values("number")[:1]),
            open_pk=Subquery(open_version.values("pk")[:1]),
            open_status=Subquery(open_version.values("status")[:1]),
        )
        .order_by("code")
    )
    return access.scope_queryset(user, qs)


def process_get(*, user, code):
    return get_object_or_404(access.scope_queryset(user, Process.objects.select_related("department")), code=code)


def version_get(*, user, pk):
    """A version with everything template 2 shows, if the user may see its process."""
    qs = StandardVersion.objects.select_related(
        "process", "process__department", "author", "approved_by", "published_by", "based_on"
    ).prefetch_related(
        Prefetch("steps", queryset=Step.objects.select_related("department")),
        "targets",
        "escalation_levels",
        Prefetch("exception_plans", queryset=ExceptionPlan.objects.select_related("department")),
    )
    return get_object_or_404(access.scope_queryset(user, qs, field="process__department"), pk=pk)


def history_for_version(version):
    """The audit trail of a version and its rows, newest first: who changed what and when."""
    records = list(StandardVersion.history.filter(id=version.pk).select_related("history_user"))
    for model in (Step, StandardTarget, EscalationLevel, ExceptionPlan):
        records += list(model.history.filter(version_id=version.pk).select_related("history_user"))
    return with_changes(records)


def history_for_process(process):
    return with_changes(list(Process.history.filter(id=process.pk).select_related("history_user")))
