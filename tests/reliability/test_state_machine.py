"""A property-based state machine over the execution services (hypothesis ``RuleBasedStateMachine``).

Random people of the demo organisation start runs, claim, release, reassign and complete work, report
exceptions; the clock moves and the escalation sweep runs. Refusals the services mean to give
(PermissionDenied, Conflict, ValidationError) are fine; any other error fails. After every step the
invariants below must hold. Each example runs in its own savepoint, rolled back at its end, on top of the
demo organisation and standards loaded once for the test.
"""

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from viewflow.workflow.status import PROCESS, STATUS

from processes import access, demo
from processes.choices import RunStatus, WorkKind, WorkStatus
from processes.constants import VIEW
from processes.models import Escalation, ExceptionPlan, Notification, Run, StandardVersion, User, WorkItem
from processes.services.work import (
    Conflict,
    can_claim,
    can_complete,
    can_do_role,
    can_reassign,
    escalation_sweep,
    exception_report,
    item_claim,
    item_complete,
    item_reassign,
    item_release,
    run_start,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI)  # a Tuesday morning of an ordinary working week
REFUSALS = (PermissionDenied, Conflict, ValidationError)
OPEN = (WorkStatus.OPEN, WorkStatus.CLAIMED)

# what the rules did over the whole test (printed at its end: a run where everything was refused proves little)
outcomes: Counter = Counter()

index = st.integers(min_value=0, max_value=63)  # picks among the current rows, modulo their number
fitting = st.sampled_from([True, True, True, False])  # mostly someone who may do it, sometimes anyone


class WorkMachine(RuleBasedStateMachine):
    """People of the demo organisation working through runs while the clock moves and the sweep runs."""

    def __init__(self):
        super().__init__()
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.users = list(User.objects.filter(username__in=[row[0] for row in demo.USERS]).order_by("pk"))
        self.versions = list(StandardVersion.objects.filter(status="published").order_by("pk"))
        self.plans = list(ExceptionPlan.objects.order_by("pk"))
        self.now = T0
        self.finished: dict[int, datetime] = {}  # every item seen done, with its finish time

    def teardown(self):
        outcomes["runs finished"] += Run.objects.filter(status=RunStatus.DONE).count()
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)

    # helpers: rules mostly pick open work and people who may act on it (so most steps change something),
    # sometimes anything at all (so refusals are exercised too)
    def _user(self, i: int, fits=None) -> User:
        people = [u for u in self.users if fits(u)] if fits is not None else []
        people = people or self.users
        return people[i % len(people)]

    def _item(self, i: int, anything: bool, status=OPEN) -> WorkItem | None:
        items = WorkItem.objects.order_by("pk")
        items = list(items if anything else items.filter(status__in=status))
        return items[i % len(items)] if items else None

    def _try(self, call, **kwargs):
        try:
            result = call(**kwargs)
        except REFUSALS as refusal:
            outcomes[f"{call.__name__}: {type(refusal).__name__}"] += 1
            return None
        outcomes[f"{call.__name__}: done"] += 1
        return result

    # rules
    @initialize(version=index, at_minutes=st.integers(0, 120))
    def first_run(self, version, at_minutes):
        self.now += timedelta(minutes=at_minutes)
        starter = next(u for u in self.users if u.username == "director")  # may start anywhere
        run_start(version=self.versions[version % len(self.versions)], user=starter, at=self.now)

    @rule(version=index, user=index, fitting=fitting)
    def start_run(self, version, user, fitting):
        version = self.versions[version % len(self.versions)]
        fits = (lambda u: access.can(u, VIEW, version.process.department_id)) if fitting else None
        self._try(run_start, version=version, user=self._user(user, fits), at=self.now)

    @rule(item=index, user=index, fitting=fitting)
    def claim(self, item, user, fitting):
        if (work := self._item(item, not fitting, status=[WorkStatus.OPEN])) is not None:
            fits = (lambda u: can_claim(u, work)) if fitting else None
            self._try(item_claim, item=work, user=self._user(user, fits), at=self.now)

    @rule(item=index, user=index, fitting=fitting)
    def release(self, item, user, fitting):
        if (work := self._item(item, not fitting, status=[WorkStatus.CLAIMED])) is not None:
            fits = (lambda u: u.pk == work.assignee_id or can_reassign(u, work)) if fitting else None
            self._try(item_release, item=work, user=self._user(user, fits), at=self.now)

    @rule(item=index, user=index, to_user=index, fitting=fitting)
    def reassign(self, item, user, to_user, fitting):
        if (work := self._item(item, not fitting)) is not None:
            fits = (lambda u: can_reassign(u, work)) if fitting else None
            to_fits = (lambda u: can_do_role(u, work.role, work.department_id)) if fitting else None
            self._try(
                item_reassign,
                item=work,
                user=self._user(user, fits),
                to_user=self._user(to_user, to_fits),
                at=self.now,
            )

    @rule(item=index, user=index, fitting=fitting, tick=st.booleans())
    def complete(self, item, user, fitting, tick):
        if (work := self._item(item, not fitting)) is None:
            return
        fits = (lambda u: can_complete(u, work)) if fitting else None
        checks = [line.strip() for line in work.step.checks_en.splitlines()][:1] if tick and work.step_id else None
        self._try(item_complete, item=work, user=self._user(user, fits), checks=checks, at=self.now)

    @rule(item=index, user=index, plan=index, fitting=fitting)
    def report_exception(self, item, user, plan, fitting):
        if (work := self._item(item, not fitting)) is None:
            return
        plans = [p for p in self.plans if p.version_id == work.run.version_id] if fitting and work.run_id else []
        plans = plans or self.plans
        fits = (lambda u: can_complete(u, work)) if fitting else None
        self._try(
            exception_report,
            item=work,
            user=self._user(user, fits),
            plan=plans[plan % len(plans)],
            at=self.now,
        )

    @rule(run=index)
    def work_through_a_run(self, run):
        """Someone who may do it completes each open piece of one run in turn (runs do get finished)."""
        runs = list(Run.objects.filter(status=RunStatus.ACTIVE).order_by("pk"))
        if not runs:
            return
        target = runs[run % len(runs)]
        for _ in range(12):
            work = target.items.filter(status__in=OPEN).order_by("pk").first()
            if work is None:
                break
            user = self._user(0, lambda u, work=work: can_complete(u, work))
            if not can_complete(user, work):
                break
            self._try(item_complete, item=work, user=user, at=self.now)

    @rule(minutes=st.one_of(st.integers(1, 90), st.integers(90, 3 * 24 * 60)))
    def move_clock(self, minutes):
        self.now += timedelta(minutes=minutes)

    @rule(minutes=st.sampled_from([0, 30, 150, 600, 1500]))
    def sweep(self, minutes):
        """Time passes, then the sweep runs (as beat runs it), at that time."""
        self.now += timedelta(minutes=minutes)
        due = set(
            WorkItem.objects.filter(status__in=OPEN, next_escalation_at__lte=self.now).values_list("pk", flat=True)
        )
        known = set(Escalation.objects.values_list("pk", flat=True))
        fired = escalation_sweep(now=self.now, fan_out=False)
        new = list(Escalation.objects.exclude(pk__in=known).values_list("work_item_id", flat=True))
        # escalated: exactly the work that was open and overdue at the sweep's time, each at least once
        assert set(new) == due
        assert fired == len(new)
        outcomes["sweep: escalated" if fired else "sweep: nothing due"] += 1
        # a second sweep at the same time finds nothing left to do
        assert escalation_sweep(now=self.now, fan_out=False) == 0

    # invariants: one snapshot of the tables per step (a handful of queries), then every check on it
    @invariant()
    def everything_consistent(self):
        items = list(WorkItem.objects.select_related("flow_task").order_by("pk"))
        escalations = list(Escalation.objects.order_by("created_at", "pk"))
        runs = list(Run.objects.select_related("flow_process"))
        self._statuses_match_their_fields(items)
        self._completed_work_never_reopens(items)
        self._one_open_step_per_run_position(items)
        self._escalations_once_per_level_in_order(items, escalations)
        self._notifications_once_per_key(escalations)
        self._runs_finish_exactly_when_all_steps_are_done(items, runs)

    def _statuses_match_their_fields(self, items):
        for item in items:
            where = f"item {item.pk} ({item.status})"
            if item.status == WorkStatus.OPEN:
                assert item.assignee_id is None and item.finished_at is None and item.completed_by_id is None, where
            elif item.status == WorkStatus.CLAIMED:
                assert item.assignee_id is not None and item.assigned_at is not None, where
                assert item.started_at is not None and item.finished_at is None and item.completed_by_id is None, where
            elif item.status == WorkStatus.DONE:
                assert item.finished_at is not None and item.completed_by_id is not None, where
                assert item.next_escalation_at is None and item.duration_seconds is not None, where
                assert item.created_at <= (item.started_at or item.finished_at) <= item.finished_at, where
            else:
                pytest.fail(f"{where}: no service here cancels work")
            # viewflow's task agrees with the work item
            if item.flow_task_id is None:
                continue
            task = item.flow_task
            if item.status == WorkStatus.CLAIMED:
                assert (task.status, task.owner_id) == (STATUS.ASSIGNED, item.assignee_id), where
            elif item.status == WorkStatus.OPEN:
                assert (task.status, task.owner_id) == (STATUS.NEW, None), where
            else:
                assert task.status == STATUS.DONE, where

    def _completed_work_never_reopens(self, items):
        done = {item.pk: item.finished_at for item in items if item.status == WorkStatus.DONE}
        for pk, finished_at in self.finished.items():
            assert done.get(pk) == finished_at, f"item {pk} reopened or changed its finish"
        self.finished.update(done)

    def _one_open_step_per_run_position(self, items):
        steps = [item for item in items if item.kind == WorkKind.STEP]
        open_at = Counter((item.run_id, item.position) for item in steps if item.status in OPEN)
        assert all(n == 1 for n in open_at.values()), open_at
        # and a run's steps come one after another: an open step is its run's last one so far
        last: dict[int, int] = {}
        for item in steps:
            last[item.run_id] = max(last.get(item.run_id, 0), item.position)
        for run_id, position in open_at:
            assert position == last[run_id], f"run {run_id}: step {position} open after a later one"

    def _escalations_once_per_level_in_order(self, items, escalations):
        by_pk = {item.pk: item for item in items}
        fired_by_item: dict[int, list[Escalation]] = {}
        for escalation in escalations:
            fired_by_item.setdefault(escalation.work_item_id, []).append(escalation)
        for item_id, fired in fired_by_item.items():
            item = by_pk[item_id]
            numbers = [e.level for e in fired]
            policy = sorted(int(row[0]) for row in item.escalation_policy)
            assert numbers == policy[: len(numbers)], f"item {item_id}: levels {numbers} of {policy}"
            assert item.escalation_level == numbers[-1], item_id
            after = {int(row[0]): float(row[2]) for row in item.escalation_policy}
            for escalation in fired:
                # overdue by the level's delay at the sweep's time, and still open then
                assert escalation.created_at >= item.due_at + timedelta(hours=after[escalation.level]), item_id
                assert item.finished_at is None or item.finished_at >= escalation.created_at, item_id
                assert escalation.created_at >= item.created_at, item_id
        for item in items:
            assert item.escalation_level == 0 or item.pk in fired_by_item, item.pk

    def _notifications_once_per_key(self, escalations):
        keys = list(Notification.objects.values_list("key", flat=True))
        assert len(keys) == len(set(keys))
        # each escalation notified exactly its recipients, and had some
        recipients = set(Escalation.recipients.through.objects.values_list("escalation_id", "user_id"))
        notified = set(Notification.objects.filter(escalation__isnull=False).values_list("escalation_id", "user_id"))
        assert notified == recipients
        assert {e for e, _u in recipients} == {e.pk for e in escalations}

    def _runs_finish_exactly_when_all_steps_are_done(self, items, runs):
        by_run: dict[int, list[WorkItem]] = {}
        for item in items:
            by_run.setdefault(item.run_id, []).append(item)
        for run in runs:
            steps = len(run.flow_process.data["steps"])
            mine = by_run.get(run.pk, [])
            steps_done = sum(1 for i in mine if i.kind == WorkKind.STEP and i.status == WorkStatus.DONE)
            all_done = steps_done == steps and not any(i.status in OPEN for i in mine)
            assert (run.status == RunStatus.DONE) == all_done, f"run {run.pk}: {run.status}, {steps_done}/{steps}"
            assert (run.finished_at is not None) == all_done, run.pk
            assert (run.flow_process.status == PROCESS.DONE) == (steps_done == steps), run.pk


def test_work_items_stay_consistent_under_any_sequence_of_actions(org):
    demo.load_processes()
    outcomes.clear()
    run_state_machine_as_test(
        WorkMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    print("\n" + ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items())))
    assert outcomes["item_complete: done"] and outcomes["sweep: escalated"] and outcomes["item_reassign: done"]
    assert outcomes["runs finished"]
