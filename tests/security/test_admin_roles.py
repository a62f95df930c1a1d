"""Issue 21, hole 1: IT support manages people in the admin site but never grants rights above its own.

Every test drives the admin site with the test client as the demo user ``it`` (IT support) and
crafts the POST a browser could send, so a field hidden in the page is not enough.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from processes.choices import Role
from processes.models import User
from processes.models.audit import RoleChange

pytestmark = pytest.mark.django_db


def _change_data(user, **overrides):
    """What the admin's change form of ``user`` posts when nothing is edited."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "department": user.department_id or "",
        "supervisor": user.supervisor_id or "",
        "language": user.language,
        "groups": list(user.groups.values_list("pk", flat=True)),
    }
    if user.is_active:
        data["is_active"] = "on"
    if user.is_staff:
        data["is_staff"] = "on"
    if user.is_superuser:
        data["is_superuser"] = "on"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _change_url(user):
    return reverse("admin:processes_user_change", args=[user.pk])


def _group(role):
    return Group.objects.get(name=role)


@pytest.fixture
def it_client(client, users):
    client.force_login(users["it"])
    return client


def _roles(user):
    return set(User.objects.get(pk=user.pk).groups.values_list("name", flat=True))


def test_it_support_cannot_make_itself_or_anyone_superuser(it_client, users):
    for target in (users["it"], users["sales"]):
        response = it_client.post(_change_url(target), _change_data(target, is_superuser="on", is_staff="on"))
        assert response.status_code in (200, 302)
        assert not User.objects.get(pk=target.pk).is_superuser
    page = it_client.get(_change_url(users["sales"])).content.decode()
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page


def test_it_support_cannot_join_the_admin_group_or_grant_roles_above_its_own(it_client, users):
    it = users["it"]
    for role in (Role.ADMIN, Role.MANAGER, Role.OPERATIONS_DIRECTOR, Role.PROCESS_SPECIALIST):
        groups = [_group(Role.IT_SUPPORT).pk, _group(role).pk]
        response = it_client.post(_change_url(it), _change_data(it, groups=groups))
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
        assert _roles(it) == {Role.IT_SUPPORT}
    sales = users["sales"]
    response = it_client.post(_change_url(sales), _change_data(sales, groups=[_group(Role.ADMIN).pk]))
    assert response.status_code == 200 and _roles(sales) == {Role.OPS_STAFF}


def test_it_support_grants_and_revokes_the_roles_within_its_own_and_each_is_audited(it_client, users):
    sales, it = users["sales"], users["it"]
    groups = [_group(Role.OPS_STAFF).pk, _group(Role.IT_SUPPORT).pk]
    response = it_client.post(_change_url(sales), _change_data(sales, groups=groups))
    assert response.status_code == 302
    assert _roles(sales) == {Role.OPS_STAFF, Role.IT_SUPPORT}
    response = it_client.post(_change_url(sales), _change_data(sales, groups=[_group(Role.IT_SUPPORT).pk]))
    assert response.status_code == 302 and _roles(sales) == {Role.IT_SUPPORT}
    changes = list(RoleChange.objects.filter(user=sales).order_by("pk").values_list("role", "granted", "actor"))
    assert changes == [(Role.IT_SUPPORT, True, it.pk), (Role.OPS_STAFF, False, it.pk)]
    # the audit list is in the admin site, for IT support too
    page = it_client.get(reverse("admin:processes_rolechange_changelist")).content.decode()
    assert "sales" in page and "IT support" in page


def test_it_support_cannot_give_permissions_directly(it_client, users):
    it = users["it"]
    everything = list(Permission.objects.values_list("pk", flat=True))
    it_client.post(_change_url(it), _change_data(it, user_permissions=everything))
    assert not User.objects.get(pk=it.pk).user_permissions.exists()


@pytest.mark.parametrize("target", ["admin", "director", "manager"])
def test_it_support_cannot_change_password_or_email_of_someone_with_more_rights(it_client, users, target):
    person = users[target]
    before = User.objects.get(pk=person.pk).password
    url = reverse("admin:auth_user_password_change", args=[person.pk])
    response = it_client.post(url, {"password1": "Takeover-2026!", "password2": "Takeover-2026!"})
    assert response.status_code == 403
    assert User.objects.get(pk=person.pk).password == before
    response = it_client.post(_change_url(person), _change_data(person, email="it@evil.example"))
    assert response.status_code == 403
    assert User.objects.get(pk=person.pk).email == person.email


def test_it_support_sets_the_password_of_ops_staff(it_client, users, client):
    sales = users["sales"]
    url = reverse("admin:auth_user_password_change", args=[sales.pk])
    response = it_client.post(url, {"password1": "Kept-Secret-2026", "password2": "Kept-Secret-2026"})
    assert response.status_code == 302
    assert User.objects.get(pk=sales.pk).check_password("Kept-Secret-2026")


def test_it_support_cannot_edit_groups_or_their_permissions(it_client, users):
    admin_group = _group(Role.ADMIN)
    it_group = _group(Role.IT_SUPPORT)
    before = set(it_group.permissions.values_list("pk", flat=True))
    everything = list(Permission.objects.values_list("pk", flat=True))
    for group in (admin_group, it_group):
        url = reverse("admin:auth_group_change", args=[group.pk])
        response = it_client.post(url, {"name": group.name, "permissions": everything})
        assert response.status_code == 403
    assert set(it_group.permissions.values_list("pk", flat=True)) == before
    response = it_client.post(reverse("admin:auth_group_add"), {"name": "root", "permissions": everything})
    assert response.status_code == 403 and not Group.objects.filter(name="root").exists()


def test_it_support_cannot_revert_a_user_to_an_earlier_superuser_version(it_client, users):
    sales = User.objects.get(pk=users["sales"].pk)
    sales.is_superuser = True
    sales.save()
    sales.is_superuser = False
    sales.save()
    version = sales.history.filter(is_superuser=True).latest("history_id")
    url = reverse("admin:processes_user_simple_history", args=[sales.pk, version.history_id])
    response = it_client.post(url, _change_data(sales))
    assert response.status_code == 403
    assert not User.objects.get(pk=sales.pk).is_superuser


def test_a_superuser_grants_any_role_and_the_flags_are_audited(client, users):
    admin, sales = users["admin"], users["sales"]
    client.force_login(admin)
    groups = [_group(Role.MANAGER).pk]
    response = client.post(_change_url(sales), _change_data(sales, groups=groups, is_staff="on", is_superuser="on"))
    assert response.status_code == 302
    sales.refresh_from_db()
    assert sales.is_superuser and _roles(sales) == {Role.MANAGER}
    changes = set(RoleChange.objects.filter(user=sales, actor=admin).values_list("role", "granted"))
    assert changes == {(Role.MANAGER, True), (Role.OPS_STAFF, False), ("superuser", True), ("staff", True)}
