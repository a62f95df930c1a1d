"""Authorization matrix: every demo role against every page and API endpoint, on the demo data.

docs/permissions.md is the specification: a person sees what belongs to their department scope and
nothing else (another department's object answers 404, or 403, never its content); lists hold no row
of another department; writes need the role's capability; nobody approves a version they wrote.

URL patterns are read from the resolver, so a new page or endpoint is covered the day it is added: a
page taking an id must be listed in ``PAGE_MODELS`` (the test fails otherwise), an API list is found
by its route name.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from processes import access
from processes.choices import Role

pytestmark = pytest.mark.django_db

ROLES = ["director", "manager", "specialist", "sales", "warehouse", "logistics", "cs", "it", "admin"]
SCOPED = ["manager", "sales", "warehouse", "logistics", "cs"]  # the others see every department


# URL patterns
# ------------------------------------------------------------------------------
def _walk(patterns, prefix="", namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield prefix + str(pattern.pattern), name, pattern


def _converters(route: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", route)


# Pages taking one object id: which model the id names. A page added with an id must be added here.
PAGE_MODELS = {
    "metrics:evaluation-detail": "metrics.Evaluation",
    "metrics:evaluation-edit": "metrics.Evaluation",
    "reviews:detail": "metrics.Review",
    "pilots:detail": "pilots.Pilot",
    "pilots:edit": "pilots.Pilot",
    "pilots:report": "pilots.Pilot",
    "pilots:survey": "pilots.Survey",
    "rollouts:detail": "pilots.RolloutPlan",
    "rollouts:edit": "pilots.RolloutPlan",
    "rollouts:monitoring": "pilots.RolloutPlan",
    "integrations:webhook-edit": "processes.WebhookSubscription",
    "integrations:delivery-redeliver": "processes.WebhookDelivery",
    "cases:detail": "processes.Case",
    "cases:edit": "processes.Case",
    "standards:process-detail": "processes.Process",
    "standards:process-edit": "processes.Process",
    "standards:version-detail": "processes.StandardVersion",
    "standards:version-edit": "processes.StandardVersion",
    "standards:version-sop": "processes.StandardVersion",
    "standards:version-history": "processes.StandardVersion",
    "work:item-detail": "processes.WorkItem",
    "work:run-detail": "processes.Run",
    "projects:detail": "processes.ImprovementProject",
    "projects:edit": "processes.ImprovementProject",
    "projects:template1": "processes.ImprovementProject",
    "projects:event-log": "processes.ImprovementProject",
    "projects:analysis-create": "processes.ImprovementProject",
}
# Commands answering POST only (a GET is 405 for everyone).
POST_ONLY = {"integrations:delivery-redeliver"}
# Pages that are not the product's own (the admin site has its own staff check) or need no login.
SKIPPED_PREFIXES = ("admin/", "api/", "__debug__/")
PUBLIC_PAGES = {
    "login",
    "set_language",
    "healthz",
    "javascript-catalog",
    # a forgotten password is reset without a login (issue 21)
    "password_reset",
    "password_reset_done",
    "password_reset_complete",
}
# Pages only IT support and admins open (the integrations of the organisation; everyone manages
# their own API tokens).
ORG_ADMIN_PAGES = re.compile(r"^integrations:(?!token|accounts)")
# Pages that need a capability beyond seeing (docs/permissions.md), by URL name.
PAGE_CAPABILITY = {
    "standards:process-create": "author_standard",
    "standards:process-edit": "author_standard",
    "standards:version-edit": "author_standard",
    "projects:create": "manage_project",
    "projects:edit": "manage_project",
    "metrics:evaluation-create": "manage_project",
    "metrics:evaluation-edit": "manage_project",
    "metrics:dashboard": "view_dashboards",
    "metrics:process-dashboard": "view_dashboards",
    "metrics:pilot-dashboard": "view_dashboards",
}


def page_patterns():
    """(route, URL name, argument names) of every page that takes nothing or one object id."""
    found = []
    for route, name, _pattern in _walk(get_resolver().url_patterns):
        if route.startswith(SKIPPED_PREFIXES):
            continue
        args = _converters(route)
        if args and (len(args) > 1 or args[0] not in ("pk", "code")):
            continue
        found.append((route, name, args))
    return found


def api_list_routes():
    """(URL name, list path, view) of every API list endpoint of the routers."""
    found = []
    for route, name, pattern in _walk(get_resolver().url_patterns):
        if not route.startswith("api/v1/") or not name.endswith("-list") or "(?P<format>" in route:
            continue
        path = "/" + route.replace("^", "").replace("$", "")
        found.append((name, path, pattern.callback))
    return found


def _detail_path(list_path: str, pk) -> str:
    return f"{list_path}{pk}/"


# Departments of objects
# ------------------------------------------------------------------------------
def owner_departments(obj) -> set[int] | None:
    """The departments an object belongs to (a person sees it if one lies in their scope); ``None`` for
    organisation-wide things (indicators, the directory)."""
    from pilots.models import Pilot, RolloutPlan

    if isinstance(obj, Pilot):
        ids = {obj.version.process.department_id}
        ids |= set(obj.departments.values_list("pk", flat=True))
        ids |= set(obj.control_departments.values_list("pk", flat=True))
        ids |= set(obj.version.steps.exclude(department=None).values_list("department_id", flat=True))
        return ids
    if isinstance(obj, RolloutPlan):
        return {obj.version.process.department_id}
    field_names = {f.name for f in obj._meta.get_fields()}
    if "pilot" in field_names:  # feedback, stand-ups, surveys: seen by everyone taking part in the pilot
        return owner_departments(obj.pilot)
    if "department" in field_names and obj._meta.label not in ("processes.User",):
        return {obj.department_id} if obj.department_id else set()
    for hop in ("pilot", "plan", "milestone", "session", "review", "work_item", "project", "run", "version", "process"):
        if hop in field_names:
            related = getattr(obj, hop)
            if related is not None:
                return owner_departments(related)
    return None


def involved_in_plan(user, obj) -> bool:
    """Rollout plans also open to the people working on them (owner, milestone owner, trainer, trainee)."""
    from pilots.models import Attendance, Milestone, RolloutPlan, TrainingSession

    plan = obj
    for hop in ("session", "milestone", "plan"):
        if not isinstance(plan, RolloutPlan) and hasattr(plan, hop):
            plan = getattr(plan, hop)
    if not isinstance(plan, RolloutPlan):
        return False
    return (
        plan.owner_id == user.pk
        or Milestone.objects.filter(plan=plan, owner=user).exists()
        or TrainingSession.objects.filter(plan=plan, trainer=user).exists()
        or Attendance.objects.filter(session__plan=plan, user=user).exists()
    )


def visible_to(user, obj) -> bool:
    owners = owner_departments(obj)
    if owners is None:
        return True
    scope = access.department_scope(user)
    if scope is None:
        return True
    return bool(owners & scope) or involved_in_plan(user, obj)


def objects_for(user, label: str, limit: int = 200):
    """(the first object the user may see or None, the objects outside their scope)."""
    from django.apps import apps

    model = apps.get_model(label)
    own, others = None, []
    for obj in model.objects.order_by("pk")[:limit]:
        if visible_to(user, obj):
            own = own or obj
        else:
            others.append(obj)
    return own, others


def _url(name, args, obj):
    if not args:
        return reverse(name)
    value = obj.code if args[0] == "code" else obj.pk
    return reverse(name, kwargs={args[0]: value})


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def _api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


# Anonymous
# ------------------------------------------------------------------------------
def test_every_page_and_endpoint_needs_a_login(world):
    client = _api()
    pages = page_patterns()
    assert len(pages) > 30
    for _route, name, args in pages:
        if name in PUBLIC_PAGES:
            continue
        if args:
            assert name in PAGE_MODELS, f"{name} takes an id: add its model to PAGE_MODELS"
            own, _others = objects_for(world["admin"], PAGE_MODELS[name])
            if own is None:
                continue
            url = _url(name, args, own)
        else:
            url = reverse(name)
        response = client.post(url) if name in POST_ONLY else client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], f"{url}: {response}"
    lists = api_list_routes()
    assert len(lists) > 20
    for _name, path, _view in lists:
        assert client.get(path).status_code in (401, 403), path
        assert client.post(path, {}, format="json").status_code in (401, 403), path
    assert client.get("/api/schema/").status_code in (401, 403)


# Pages
# ------------------------------------------------------------------------------
def _may_open(user, name) -> bool:
    if name == "integrations:accounts":  # managers (their scope) and admins
        return access.can_manage_integration_accounts(user, any_department=True)
    if ORG_ADMIN_PAGES.match(name):
        return access.can(user, "manage_org")
    capability = PAGE_CAPABILITY.get(name)
    return capability is None or access.can(user, capability, any_department=True)


@pytest.mark.parametrize("username", ROLES)
def test_pages_show_own_objects_and_hide_other_departments(world, username):
    user = world[username]
    client = _client(user)
    problems = []
    other_urls = {}  # detail URLs of objects outside the user's scope, which no list may link to
    for _route, name, args in page_patterns():
        if name in PUBLIC_PAGES or name == "logout":
            continue
        if not args:
            continue
        own, others = objects_for(user, PAGE_MODELS[name])
        fetch = client.post if name in POST_ONLY else client.get
        if own is not None:
            status = fetch(_url(name, args, own)).status_code
            if status >= 500 or (status not in (200, 403, 404) and not 300 <= status < 400):
                problems.append(f"{name} own object {own.pk}: {status}")
            if status == 200 and not _may_open(user, name):
                problems.append(f"{name}: opened without the capability")
        for index, other in enumerate(others):
            url = _url(name, args, other)
            if index < 2:  # opening two of them is proof enough; every one is looked for in the lists
                status = fetch(url).status_code
                if status not in (403, 404):
                    problems.append(f"{name} of another department ({url}): {status}, expected 404")
            other_urls[url] = name
    for _route, name, args in page_patterns():
        if args or name in PUBLIC_PAGES or name == "logout":
            continue
        response = client.get(reverse(name))
        status = response.status_code
        if status >= 500:
            problems.append(f"{name}: {status}")
            continue
        if status == 200 and not _may_open(user, name):
            problems.append(f"{name}: opened without the capability")
        if status == 200:
            html = response.content.decode()
            for url, detail in other_urls.items():
                if f'href="{url}"' in html:
                    problems.append(f"{name} links to {detail} of another department: {url}")
    assert not problems, f"{username}:\n" + "\n".join(problems)


# REST API
# ------------------------------------------------------------------------------
def _model_of(view):
    cls = view.cls
    queryset = getattr(cls, "queryset", None)
    if queryset is not None:
        return queryset.model
    serializer = getattr(cls, "serializer_class", None)
    return serializer.Meta.model


def _all_rows(client, path, limit=20):
    rows, url, pages = [], path, 0
    while url and pages < limit:
        response = client.get(url)
        if response.status_code != 200:
            return response.status_code, rows
        body = response.json()
        rows += body["results"] if isinstance(body, dict) and "results" in body else body
        url = body.get("next") if isinstance(body, dict) else None
        pages += 1
    return 200, rows


UNSCOPED_LISTS = {"department-list", "user-list", "indicator-list"}  # the directory, the catalogue


@pytest.mark.parametrize("username", ROLES)
def test_api_lists_hold_only_rows_of_the_users_scope(world, username):
    from processes.models import Notification, Tombstone

    user = world[username]
    client = _api(user)
    problems = []
    for name, path, view in api_list_routes():
        status, rows = _all_rows(client, path)
        if status in (403, 404):
            continue
        assert status == 200, f"{path}: {status}"
        model = _model_of(view)
        if name in UNSCOPED_LISTS or model is Tombstone:
            continue
        ids = [row["id"] for row in rows if isinstance(row, dict) and "id" in row]
        if model is Notification:
            strangers = Notification.objects.filter(pk__in=ids).exclude(user=user)
            problems += [f"{path}: notification {n.pk} of {n.user}" for n in strangers]
            continue
        for obj in model.objects.filter(pk__in=ids):
            if not visible_to(user, obj):
                problems.append(f"{path}: row {obj.pk} of departments {owner_departments(obj)}")
    assert not problems, f"{username}:\n" + "\n".join(problems)


@pytest.mark.parametrize("username", SCOPED)
def test_api_detail_of_another_department_answers_404(world, username):
    user = world[username]
    everything = _api(world["admin"])
    client = _api(user)
    problems, checked = [], 0
    for name, path, view in api_list_routes():
        if name in UNSCOPED_LISTS:
            continue
        model = _model_of(view)
        if not hasattr(view.cls, "retrieve"):
            continue
        status, rows = _all_rows(everything, path, limit=3)
        if status != 200:
            continue
        for obj in model.objects.filter(pk__in=[row["id"] for row in rows if "id" in row]):
            if owner_departments(obj) is not None and not visible_to(user, obj):
                response = client.get(_detail_path(path, obj.pk))
                checked += 1
                if response.status_code not in (403, 404):
                    problems.append(f"{path}{obj.pk}/: {response.status_code}")
                response = client.patch(_detail_path(path, obj.pk), {}, format="json")
                if response.status_code not in (403, 404, 405):
                    problems.append(f"PATCH {path}{obj.pk}/: {response.status_code}")
                break
    assert checked >= 3 or username in ("manager",), f"{username}: too few objects outside the scope"
    assert not problems, f"{username}:\n" + "\n".join(problems)


# Writes per capability (docs/permissions.md, "What each role may do")
# ------------------------------------------------------------------------------
WHO_MAY = {
    "author_standard": {"specialist", "manager", "director", "admin"},
    "manage_project": {"specialist", "manager", "director", "admin"},
    "manage_org": {"it", "admin"},
}
WRITE_ENDPOINTS = [
    ("/api/v1/processes/processes/", "author_standard"),
    ("/api/v1/processes/standard-versions/", "author_standard"),
    ("/api/v1/projects/projects/", "manage_project"),
    ("/api/v1/projects/goals/", "manage_project"),
    ("/api/v1/projects/problems/", "manage_project"),
    ("/api/v1/metrics/evaluations/", "manage_project"),
    ("/api/v1/processes/cases/", "manage_project"),
    ("/api/v1/pilots/", "manage_project"),
    ("/api/v1/rollouts/plans/", "manage_project"),
    ("/api/v1/org/webhooks/", "manage_org"),
]


@pytest.mark.parametrize(("path", "capability"), WRITE_ENDPOINTS)
def test_writes_need_the_capability(world, path, capability):
    for username in ROLES:
        response = _api(world[username]).post(path, {}, format="json")
        if username in WHO_MAY[capability]:
            # allowed to try: the empty body is refused for its fields, not for the person
            assert response.status_code == 400, f"{username} POST {path}: {response.status_code}"
        else:
            assert response.status_code == 403, f"{username} POST {path}: {response.status_code}"


def test_page_forms_refuse_writes_without_the_capability(world):
    from processes.models import Department, Process

    sales = Department.objects.get(code="sales")
    data = {"code": "x-matrix", "name_en": "Matrix", "department": sales.pk}
    url = reverse("standards:process-create")
    for username in sorted(set(ROLES) - WHO_MAY["author_standard"]):
        response = _client(world[username]).post(url, data)
        assert response.status_code in (403, 404), f"{username}: {response.status_code}"
    assert not Process.objects.filter(code="x-matrix").exists()
    response = _client(world["specialist"]).post(url, data)
    assert response.status_code == 302
    assert Process.objects.filter(code="x-matrix").exists()


# No self-approval
# ------------------------------------------------------------------------------
def _submitted_draft_by(user):
    """A version of a standard in the user's scope, made the user's own and submitted for approval."""
    from processes.choices import VersionStatus
    from processes.models import StandardVersion

    candidates = StandardVersion.objects.filter(status__in=[VersionStatus.DRAFT, VersionStatus.SUBMITTED])
    scope = access.department_scope(user)
    if scope is not None:
        candidates = candidates.filter(process__department__in=scope)
    version = candidates.order_by("pk").first()
    assert version is not None, "no draft standard version in the user's scope in the demo data"
    StandardVersion.objects.filter(pk=version.pk).update(author=user, status=VersionStatus.SUBMITTED)
    version.refresh_from_db()
    return version


@pytest.mark.parametrize("username", ["manager", "director", "admin"])
def test_nobody_approves_their_own_version(world, username):
    from processes.choices import VersionStatus

    user = world[username]
    assert access.has_role(user, Role.MANAGER, Role.OPERATIONS_DIRECTOR, Role.ADMIN)
    version = _submitted_draft_by(user)
    response = _api(user).post(f"/api/v1/processes/standard-versions/{version.pk}/approve/", {}, format="json")
    assert response.status_code in (400, 403, 409), response.content
    version.refresh_from_db()
    assert version.status == VersionStatus.SUBMITTED
    response = _client(user).post(reverse("standards:version-action", kwargs={"pk": version.pk, "action": "approve"}))
    version.refresh_from_db()
    assert version.status == VersionStatus.SUBMITTED, f"{username} approved their own version through the page"
    assert response.status_code in (302, 400, 403, 409)
    # someone else with the capability may
    other = world["director"] if username != "director" else world["admin"]
    response = _api(other).post(f"/api/v1/processes/standard-versions/{version.pk}/approve/", {}, format="json")
    assert response.status_code == 200, response.content
