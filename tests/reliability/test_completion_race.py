"""Two people completing the same step at the same moment, through the REST API: exactly one wins.

Each round, two threads (each with its own database connection and its own API token) wait at a
barrier and then POST ``/complete/`` for the same open step. One must get 200 and the other 409, the
run must have exactly one next step, and the step exactly one audit row saying it was completed.
"""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from processes import demo
from processes.models import StandardVersion, WorkItem
from processes.services import tokens, work

ROUNDS = 200

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks across connections need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def test_two_people_completing_the_same_step_at_once_one_wins_each_time(transactional_db):
    _departments, users = demo.load_organisation()
    demo.load_processes()
    version = StandardVersion.objects.get(process__code="order-processing", status="published")
    # "sales" may do the step by role; "manager" heads the sales department (a supervising role)
    people = [users["sales"], users["manager"]]
    secrets = [tokens.api_token_create(user=person, name="race", days=1)[1] for person in people]
    runs = [work.run_start(version=version, user=people[0], external_id=f"R-{n}")[0] for n in range(ROUNDS)]
    steps = list(WorkItem.objects.filter(run__in=runs, position=2, status="open").order_by("id"))
    assert len(steps) == ROUNDS

    barrier = threading.Barrier(2, timeout=30)
    statuses = [[None, None] for _ in steps]
    failures = []

    def complete(side):
        from django.db import connection as own_connection

        client = APIClient(SERVER_NAME="localhost")
        client.credentials(HTTP_AUTHORIZATION=f"Token {secrets[side]}")
        try:
            for number, step in enumerate(steps):
                barrier.wait()
                response = client.post(f"/api/v1/work/items/{step.pk}/complete/", {}, format="json")
                statuses[number][side] = response.status_code
        except Exception as exc:  # surfaced by the assertion below, not lost in the thread
            failures.append(exc)
            barrier.abort()
        finally:
            own_connection.close()

    threads = [threading.Thread(target=complete, args=(side,)) for side in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures

    assert all(sorted(pair) == [200, 409] for pair in statuses), [p for p in statuses if sorted(p) != [200, 409]]
    history = WorkItem.history.model.objects
    for step, pair in zip(steps, statuses, strict=True):
        step.refresh_from_db()
        winner = people[pair.index(200)]
        assert step.status == "done" and step.completed_by_id == winner.pk
        assert WorkItem.objects.filter(run_id=step.run_id, position=3).count() == 1
        assert history.filter(id=step.pk, status="done").count() == 1
