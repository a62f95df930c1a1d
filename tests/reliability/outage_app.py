"""The database side of ``test_database_outage``, run in a subprocess against the private cluster
(``DATABASE_URL`` points at it): ``seed`` loads the demo world, starts runs and prints API tokens as
JSON; ``check`` reads the ids the clients completed from standard input and prints what is
inconsistent, as JSON."""

import json
import sys

import django


def seed(runs: int) -> dict:
    from processes import demo
    from processes.models import StandardVersion
    from processes.services import tokens, work

    _departments, users = demo.load_organisation()
    demo.load_processes()
    version = StandardVersion.objects.get(process__code="order-processing", status="published")
    for number in range(runs):
        work.run_start(version=version, user=users["sales"], external_id=f"OUT-{number}")
    secrets = {}
    for name in ("sales", "warehouse", "logistics", "manager"):
        _token, secret = tokens.api_token_create(user=users[name], name="outage test", days=1)
        secrets[name] = secret
    return {"tokens": secrets, "password": demo.DEMO_PASSWORD}


def check(completed_ids: list[int]) -> dict:
    from django.db.models import Count, Max
    from viewflow.workflow.status import PROCESS

    from processes.choices import RunStatus, WorkKind, WorkStatus
    from processes.models import Run, WorkItem

    steps = WorkItem.objects.filter(kind=WorkKind.STEP)
    history = WorkItem.history.model.objects
    done = list(steps.filter(status=WorkStatus.DONE).values("pk", "run_id", "position", "completed_by_id"))
    audited = set(history.filter(status=WorkStatus.DONE).values_list("id", flat=True))
    last_position = dict(steps.values("run_id").annotate(last=Max("position")).values_list("run_id", "last"))
    positions = set(steps.values_list("run_id", "position"))
    problems = {
        # a completion without its audit row
        "done_without_audit": [d["pk"] for d in done if d["pk"] not in audited],
        # a completion whose next step was never created
        "done_without_next": [
            d["pk"]
            for d in done
            if d["position"] < len(Run.objects.get(pk=d["run_id"]).flow_process.data["steps"])
            and (d["run_id"], d["position"] + 1) not in positions
        ],
        "done_without_person": [d["pk"] for d in done if d["completed_by_id"] is None],
        "two_items_at_one_position": list(
            steps.values("run_id", "position").annotate(n=Count("pk")).filter(n__gt=1).values_list("run_id", "position")
        ),
        "open_after_a_later_step": [
            item.pk
            for item in steps.filter(status__in=[WorkStatus.OPEN, WorkStatus.CLAIMED])
            if item.position != last_position[item.run_id]
        ],
        "completed_ok_but_not_done": sorted(
            set(completed_ids) - set(steps.filter(status=WorkStatus.DONE).values_list("pk", flat=True))
        ),
        "run_state_wrong": [],
    }
    for run in Run.objects.select_related("flow_process"):
        total = len(run.flow_process.data["steps"])
        all_done = steps.filter(run=run, status=WorkStatus.DONE).count() == total
        flow_done = run.flow_process.status == PROCESS.DONE
        if (run.status == RunStatus.DONE) != all_done or flow_done != all_done:
            problems["run_state_wrong"].append(run.pk)
    return {
        "problems": {name: ids for name, ids in problems.items() if ids},
        "done": len(done),
        "runs_done": Run.objects.filter(status=RunStatus.DONE).count(),
    }


if __name__ == "__main__":
    django.setup()
    if sys.argv[1] == "seed":
        print(json.dumps(seed(int(sys.argv[2]))))
    else:
        print(json.dumps(check(json.load(sys.stdin))))
