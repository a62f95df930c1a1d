"""Read side of the processes app: lists scoped to what a user may see."""

from django.db.models import Count, Prefetch

from . import access
from .models import Department, User


def department_list(*, user):
    """Departments the user may see, with their members, ordered as a tree (parents first)."""
    members = User.objects.filter(is_active=True).prefetch_related("groups").order_by("username")
    qs = (
        Department.objects.select_related("head", "parent")
        .prefetch_related(Prefetch("members", queryset=members))
        .annotate(member_count=Count("members", distinct=True))
    )
    scope = access.department_scope(user)
    if scope is not None:
        qs = qs.filter(pk__in=scope)
    by_parent = {}
    departments = list(qs)
    visible = {d.pk for d in departments}
    for dept in departments:
        parent = dept.parent_id if dept.parent_id in visible else None
        by_parent.setdefault(parent, []).append(dept)
    ordered = []

    def walk(parent, depth):
        for dept in sorted(by_parent.get(parent, []), key=lambda d: d.name_en):
            dept.depth = depth
            ordered.append(dept)
            walk(dept.pk, depth + 1)

    walk(None, 0)
    return ordered


def user_list(*, user):
    qs = User.objects.select_related("department", "supervisor").prefetch_related("groups").order_by("username")
    scope = access.department_scope(user)
    if scope is not None:
        qs = qs.filter(department__in=scope)
    return qs


# Standards
# ------------------------------------------------------------------------------


def process_list(*, user):
    from django.db.models import OuterRef, Subquery

    from .choices import VersionStatus
    from .models import Process, StandardVersion

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
    from django.shortcuts import get_object_or_404

    from .models import Process

    return get_object_or_404(access.scope_queryset(user, Process.objects.select_related("department")), code=code)


def version_get(*, user, pk):
    """A version with everything template 2 shows, if the user may see its process."""
    from django.db.models import Prefetch
    from django.shortcuts import get_object_or_404

    from .models import ExceptionPlan, StandardVersion, Step

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
    from .models import EscalationLevel, ExceptionPlan, StandardTarget, StandardVersion, Step

    records = list(StandardVersion.history.filter(id=version.pk).select_related("history_user"))
    for model in (Step, StandardTarget, EscalationLevel, ExceptionPlan):
        records += list(model.history.filter(version_id=version.pk).select_related("history_user"))
    return with_changes(records)


def history_for_run(run):
    """The audit trail of a run and its work items: who claimed, reassigned, completed what, and when."""
    from .models import Run, WorkItem

    records = list(Run.history.filter(id=run.pk).select_related("history_user"))
    records += list(WorkItem.history.filter(run_id=run.pk).select_related("history_user"))
    return with_changes(records)


def history_for_project(project):
    """The audit trail of a project: the project, its goals, problems, template 1 rows and bottlenecks."""
    from .models import Bottleneck, CurrentStateAnalysis, Goal, ImprovementProject, Problem

    records = list(ImprovementProject.history.filter(id=project.pk).select_related("history_user"))
    for model in (Goal, Problem, CurrentStateAnalysis, Bottleneck):
        records += list(model.history.filter(project_id=project.pk).select_related("history_user")[:200])
    return with_changes(records)[:100]


def history_for_process(process):
    from .models import Process

    return with_changes(list(Process.history.filter(id=process.pk).select_related("history_user")))


def with_changes(records):
    """Attach to each history record the list of (field, old, new) it changed."""
    records.sort(key=lambda r: (r.history_date, r.history_id), reverse=True)
    by_object = {}
    for record in sorted(records, key=lambda r: (r.history_date, r.history_id)):
        key = (type(record).__name__, record.id)
        previous = by_object.get(key)
        record.changes = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            for change in delta.changes:
                verbose = record.instance._meta.get_field(change.field).verbose_name
                record.changes.append((verbose, change.old, change.new))
        by_object[key] = record
        record.object_label = record.instance._meta.verbose_name
    return records


# Execution
# ------------------------------------------------------------------------------


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
    from django.db.models import Q

    from .choices import Role, WorkStatus
    from .models import WorkItem
    from .models.execution import OPEN_STATUSES
    from .services.execution import SUPERVISING_ROLES

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
    from .models import WorkItem
    from .models.base import is_chinese

    first = inbox_list(user=user, related=False).values("pk")[:INBOX_PAGE_SIZE]
    rows = WorkItem.objects.filter(pk__in=first).order_by("due_at", "id").values_list(*InboxRow.COLUMNS)
    chinese = is_chinese()
    return [InboxRow(row, chinese) for row in rows]


def department_main_role(department_id: int) -> str:
    """The role most of a department's active people hold (ops staff when nobody is there): the
    role whose queue gets work addressed to the department as a whole (e.g. pilot feedback)."""
    from django.contrib.auth.models import Group
    from django.db.models import Count, Q

    from .choices import Role

    row = (
        Group.objects.filter(name__in=[Role.OPS_STAFF, Role.PROCESS_SPECIALIST, Role.IT_SUPPORT])  # who does work
        .annotate(
            people=Count("user", filter=Q(user__department_id=department_id, user__is_active=True), distinct=True)
        )
        .filter(people__gt=0)
        .order_by("-people", "name")
        .values_list("name", flat=True)
        .first()
    )
    return row or Role.OPS_STAFF


def work_item_get(*, user, pk):
    from django.db.models import Q
    from django.shortcuts import get_object_or_404

    from .models import WorkItem

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
    from .models import Run

    qs = Run.objects.select_related("version__process", "department", "started_by").order_by("-started_at")
    return access.scope_queryset(user, qs)


def run_get(*, user, pk):
    from django.db.models import Prefetch
    from django.shortcuts import get_object_or_404

    from .models import Run, WorkItem

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
    from .models import Notification

    return Notification.objects.filter(user=user).select_related("work_item").order_by("-created_at", "-id")


def inbox_summary(*, user) -> dict:
    """Counts for the home page: my open work, what is overdue, unread notifications (one query each)."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from .models import Notification

    counts = (
        inbox_list(user=user, related=False)
        .order_by()
        .aggregate(total=Count("id"), overdue=Count("id", filter=Q(due_at__lt=timezone.now())))
    )
    counts["unread"] = Notification.objects.filter(user=user, read_at__isnull=True).count()
    return counts


def case_search(*, user, text: str = "", process=None, tag: str = "", project=None):
    """The cases in the user's scope matching every given filter; ``text`` is looked for in the
    titles and lessons of both languages."""
    from django.db.models import Q

    from .models import Case

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
