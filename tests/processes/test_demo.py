import pytest
from django.apps import apps
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def _row_counts():
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_loaddemo_loads_the_seed_world_and_twice_changes_nothing(django_user_model):
    call_command("loaddemo")
    first = _row_counts()
    users = set(django_user_model.objects.values_list("username", flat=True))
    assert users == {"director", "manager", "specialist", "sales", "warehouse", "logistics", "cs", "it", "admin"}
    assert first["processes.Department"] == 9  # head office, the seed's six, the two regional sales teams
    assert first["pilots.Pilot"] == 1 and first["pilots.FeedbackItem"] == 2  # template 3: the seed's two rows
    before = {u.username: (u.password, u.department_id, u.supervisor_id) for u in django_user_model.objects.all()}
    call_command("loaddemo")
    assert _row_counts() == first  # not even an audit row more
    after = {u.username: (u.password, u.department_id, u.supervisor_id) for u in django_user_model.objects.all()}
    assert after == before


def testdemo_users_log_in_with_password_demo(client):
    call_command("loaddemo")
    for username in ("director", "sales", "admin"):
        assert client.login(username=username, password="demo"), username


def test_demo_supervisors_form_the_escalation_chain(users):
    assert users["sales"].supervisor == users["manager"]
    assert users["manager"].supervisor == users["director"]
    assert users["sales"].department.head == users["manager"]
