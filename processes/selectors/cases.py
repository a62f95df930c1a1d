"""Read side of the case library."""

from django.db.models import Q

from .. import access
from ..models import Case


def case_search(*, user, text: str = "", process=None, tag: str = "", project=None):
    """The cases in the user's scope matching every given filter; ``text`` is looked for in the
    titles and lessons of both languages."""
    qs = access.scope_queryset(user, Case.objects.all()).select_related("process", "project", "department")
    for word in text.split():
        qs = qs.filter(
            Q(title_en__icontains=word)
            | Q(title_zh__icontains=word)
            | Q(lesson_en__icontains=word)
            | Q(lesson_zh__icontains=word)
            | Q(tags__name__iexact=word)
        )
    if process is not None:
        qs = qs.filter(process=process)
    if project is not None:
        qs = qs.filter(project=project)
    if tag:
        qs = qs.filter(tags__name__iexact=tag)
    return qs.distinct().prefetch_related("tags").order_by("-created_at", "-pk")
