"""Read side of the work: the inbox, work items, runs and notifications, scoped to what a user may see."""

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .. import access
from ..choices import Role, WorkStatus
from ..models import Notification, Run, WorkItem
from ..models.base import is_chinese
from ..models.work import OPEN_STATUSES
from ..services.work import SUPERVISING_ROLES
from .base import with_changes

INBOX_PAGE_SIZE = 500  # rows the inbox page shows, soonest deadline first


class InboxRow:
    """One line of the inbox page: the work item's own columns and the names shown next to it, in
    the active language (as the models' ``title`` and ``name`` give them). Plain objects read from
    one row of values: building the five model instances a line would need (work item, run,
    version, process, department, assignee) cost more than the query of the whole page."""

    COLUMNS = (
        "id",
        "kind",
        "title_en",
        "title_zh",
        "role",
        "status",
        "due_at",
        "escalation_level",
        "run_id",
        "project_id",
        "department_id",
        "assignee_id",
        "run__title",
        "run__external_id",
        "run__version__process__name_en",
        "run__version__process__name_zh",
        "department__name_en",
        "department__name_zh",
        "assignee__username",
        "assignee__first_name",
        "assignee__last_name",
        "project__name_en",
        "project__name_zh",
        "project__department_id",
    )
    __slots__ = (
        "pk",
        "kind",
        "title",
        "role",
        "status",
        "due_at",
        "escalation_level",
        "run_id",
        "project_id",
        "department_id",
        "assignee_id",
        "run_name",
        "process_name",
        "department_name",
        "assignee_name",
        "project_name",
        "project_department_id",
    )

    def __init__(self, row: tuple, chinese: bool):
        def name(en, zh):  # BilingualNameMixin.name
            return zh if chinese and zh else en

        (pk, self.kind, title_en, title_zh, self.role, self.status, self.due_at, self.escalation_level) = row[:8]
        (self.run_id, self.project_id, self.department_id, self.assignee_id) = row[8:12]
        run_title, run_external, process_en, process_zh, department_en, department_zh = row[12:18]
        username, first, last, project_en, project_zh, self.project_department_id = row[18:]
        self.pk = pk
        self.title = (title_zh or title_en) if chinese else (title_en or title_zh)  # standards.bilingual
        self.run_name = run_title or run_external or f"#{self.run_id}"  # Run.__str__
        self.process_name = name(process_en, process_zh)
        self.department_name = name(department_en, department_zh)
        self.assignee_name = f"{first} {last}".strip() or username if self.assignee_id else ""  # display_name
        self.project_name = name(project_en, project_zh)


def inbox_list(*, user, include_queue: bool = True, related: bool = True):
    """The user's open work and the unclaimed work of their roles in their scope, by due time.

    "Open" stands once at the top of the query, over both parts (mine, and the queue whose
    ``status=open`` implies it): PostgreSQL then reads the open rows from ``work_assignee_idx`` and
    ``work_queue_idx`` (a bitmap of a few thousand rows) whatever order is asked, where the REST
    list's pages by id walked the whole table's primary key (688 ms at 1,000,000 rows; about 10 ms
    now, ``bench/inbox.py``). ``related=False`` leaves out the joins that only the page needs (the
    REST list shows ids)."""
    condition = Q(assignee=user)  # mine (open: said once for both parts below)
    roles = access.user_roles(user)
    if include_queue and roles:
        queue = Q(status=WorkStatus.OPEN, assignee__isnull=True, automatic=False)
        if not roles & set(SUPERVISING_ROLES):
            queue &= Q(role__in=[r for r in roles if r in Role.values])
        scope = access.department_scope(user)
        if scope is not None:
            queue &= Q(department__in=scope)
        condition |= queue
    qs = WorkItem.objects.filter(status__in=OPEN_STATUSES).filter(condition)
    if related:
        qs = qs.select_related("run", "run__version__process", "project", "department", "assignee")
    return qs.order_by("due_at", "id")


def inbox_page(*, user) -> list[InboxRow]:
    """The first ``INBOX_PAGE_SIZE`` lines of the inbox page, soonest deadline first. The rows are
    chosen first, in a subquery that reads the work items alone, and only they are joined to their
    runs, processes, projects, departments and people (not the thousands a director's queue holds)."""
    first = inbox_list(user=user, related=False).values("pk")[:INBOX_PAGE_SIZE]
    rows = WorkItem.objects.filter(pk__in=first).order_by("due_at", "id").values_list(*InboxRow.COLUMNS)
    chinese = is_chinese()
    return [InboxRow(row, chinese) for row in rows]


def work_item_get(*, user, pk):
    qs = WorkItem.objects.select_related(
        "run",
        "run__version",
        "run__version__process",
        "project",
        "department",
        "assignee",
        "step",
        "exception_plan",
        "parent",
    )
    scope = access.department_scope(user)
    if scope is not None:
        qs = qs.filter(Q(department__in=scope) | Q(assignee=user))
    return get_object_or_404(qs, pk=pk)


def run_list(*, user):
    qs = Run.objects.select_related("version__process", "department", "started_by").order_by("-started_at")
    return access.scope_queryset(user, qs)


def run_get(*, user, pk):
    items = (
        WorkItem.objects.select_related("assignee", "department", "step", "completed_by")
        .prefetch_related("escalations")
        .order_by("position", "created_at")
    )
    qs = Run.objects.select_related("version__process", "department", "started_by").prefetch_related(
        Prefetch("items", queryset=items)
    )
    return get_object_or_404(access.scope_queryset(user, qs), pk=pk)


def notification_list(*, user):
    return Notification.objects.filter(user=user).select_related("work_item").order_by("-created_at", "-id")


def inbox_summary(*, user) -> dict:
    """Counts for the home page: my open work, what is overdue, unread notifications (one query each)."""
    counts = (
        inbox_list(user=user, related=False)
        .order_by()
        .aggregate(total=Count("id"), overdue=Count("id", filter=Q(due_at__lt=timezone.now())))
    )
    counts["unread"] = Notification.objects.filter(user=user, read_at__isnull=True).count()
    return counts


def history_for_run(run):
    """The audit trail of a run and its work items: who claimed, reassigned, completed what, and when."""
    records = list(Run.history.filter(id=run.pk).select_related("history_user"))
    records += list(WorkItem.history.filter(run_id=run.pk).select_related("history_user"))
    return with_changes(records)
