import pytest
from django.urls import reverse

from processes import access
from processes.constants import APPROVE_STANDARD, AUTHOR_STANDARD, MANAGE_ORG, REASSIGN_TASK, VIEW

pytestmark = pytest.mark.django_db


def test_department_scope_follows_membership_and_headship(users, departments):
    ids = {code: d.pk for code, d in departments.items()}
    assert access.department_scope(users["sales"]) == {ids["sales"]}
    assert access.department_scope(users["manager"]) == {ids["sales"], ids["warehouse"], ids["logistics"]}
    # the specialist sits in head office, whose subtree is the whole organisation
    assert access.department_scope(users["specialist"]) == set(ids.values())
    assert access.department_scope(users["director"]) is None
    assert access.department_scope(users["it"]) is None


def test_capabilities_per_role(users, departments):
    sales, warehouse = departments["sales"].pk, departments["warehouse"].pk
    assert access.can(users["sales"], VIEW, sales)
    assert not access.can(users["sales"], VIEW, warehouse)
    assert not access.can(users["sales"], AUTHOR_STANDARD, sales)
    assert access.can(users["manager"], APPROVE_STANDARD, warehouse)
    assert not access.can(users["manager"], APPROVE_STANDARD, departments["hr"].pk)
    assert access.can(users["manager"], REASSIGN_TASK, sales)
    assert not access.can(users["specialist"], APPROVE_STANDARD, sales)
    assert access.can(users["it"], MANAGE_ORG)
    assert not access.can(users["manager"], MANAGE_ORG)
    assert access.can(users["admin"], APPROVE_STANDARD, warehouse)


def test_inactive_user_and_user_without_role_can_do_nothing(users, departments, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", department=departments["sales"])
    assert not access.can(nobody, VIEW, departments["sales"].pk)
    users["sales"].is_active = False
    access.forget(users["sales"])
    assert not access.can(users["sales"], VIEW, departments["sales"].pk)


def test_ops_staff_sees_only_their_department_on_the_org_page(login, users):
    html = login(users["warehouse"]).get(reverse("org")).content.decode()
    assert "Qiang Zhao" in html  # themselves
    assert "Min Wang" not in html  # sales staff
    assert "Customer Service" not in html


def test_it_support_sees_everyone(login, users):
    html = login(users["it"]).get(reverse("org")).content.decode()
    for name in ("Min Wang", "Qiang Zhao", "Hui Liu", "Customer Service", "HR"):
        assert name in html


def test_menu_shows_only_what_the_role_may_open(login, users):
    html = login(users["sales"]).get("/").content.decode()
    assert reverse("org") in html
    assert reverse("admin:index") not in html
    html = login(users["it"]).get("/").content.decode()
    assert reverse("admin:index") in html


def test_admin_site_is_closed_to_ops_staff_and_open_to_it(client, users):
    client.force_login(users["sales"])
    assert client.get(reverse("admin:processes_user_changelist")).status_code == 302  # back to admin login
    client.force_login(users["it"])
    assert client.get(reverse("admin:processes_user_changelist")).status_code == 200
    # IT support manages people but may not delete them (deactivate instead: history stays)
    assert client.get(reverse("admin:processes_user_delete", args=[users["sales"].pk])).status_code == 403
