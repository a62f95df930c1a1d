"""Custom viewflow nodes: the run's gate decided when it is created, and the step view whose task link
is one prepared INSERT (kept in their own module as the viewflow cookbook keeps custom nodes, e.g.
``dynamic_split/nodes.py``).

What they replace:

- ``DecidedIf`` stands in for ``flow.If`` (``IfActivation``). viewflow's If stores the gate task, then
  ``Activation._activate_next`` calls ``IfActivation.activate`` (a savepoint around the condition, which
  may run any code and fail) and ``Activation.complete`` (the task updated to done). A condition that
  reads only the gate task's own data cannot fail that way, so ``DecidedIfActivation.create`` evaluates
  it at once and stores the task already done in one INSERT; ``activate`` and ``complete`` then no
  longer apply (the task is not NEW) and ``IfActivation.create_next`` routes on ``_condition_result``
  as before. The task row, its link to the task before it and the ``task_finished`` signal stay the same.
- ``StepView`` stands in for ``flow.View`` (``ViewActivation.create``, copied): the new task's link to
  the task before it (``task.previous.add(previous)``) is one prepared INSERT. A new task has no links
  yet, so nothing can conflict, and Django's own add sends no ``m2m_changed`` signal either while no
  receiver listens to it (its "fast add").

Measured in docs/benchmarks.md: "2026-12-01 02:00-02:45 UTC" (the gate) and "2026-12-01 11:00-23:40 UTC"
(the links). Switches (``opsflow.fastpath.switches``): ``decided_if`` and ``step_view`` off
create the tasks with viewflow's own ``Activation.create`` / ``ViewActivation.create``.

Example (``processes/flows.py``)::

    perform_step = (
        StepView(UpdateProcessView.as_view(fields=[]))
        .onCreate(this.step_created)
        .Next(this.advance, task_data=this.step_done)
    )
    advance = (
        DecidedIf(this.has_next_step)  # reads activation.task.data only
        .Then(this.perform_step, task_data=this.next_step)
        .Else(this.end)
    )
"""

from __future__ import annotations

from django.utils.timezone import now
from viewflow.workflow import STATUS, flow
from viewflow.workflow.models import Task as FlowTask
from viewflow.workflow.nodes.if_gate import IfActivation
from viewflow.workflow.nodes.view import ViewActivation
from viewflow.workflow.signals import task_finished

from .compiled import CompiledInsert
from .switches import enabled

_LINK = CompiledInsert(FlowTask.previous.through, ["from_task_id", "to_task_id"])


def _link_previous(task, previous):
    """viewflow's ``task.previous.add(previous)`` for a task saved just now (it has no links yet)."""
    _LINK([[task.pk, previous.pk]])


def _new_task(flow_task, prev_activation, token, data, seed):
    """The unsaved task row of ``flow_task`` after ``prev_activation``, as viewflow's activations build it."""
    task = flow_task.flow_class.task_class(process=prev_activation.process, flow_task=flow_task, token=token)
    task.data = data if data is not None else {}
    task.seed = seed
    return task


class DecidedIfActivation(IfActivation):
    """An If gateway whose condition reads only the data it is created with: it is decided when it is
    created and stored already done, in one INSERT (see the module's docstring)."""

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        if not enabled("decided_if"):
            return super().create(flow_task, prev_activation, token, data=data, seed=seed)
        task = _new_task(flow_task, prev_activation, token, data, seed)
        activation = cls(task)
        activation._condition_result = flow_task._condition(activation)
        task.status = STATUS.DONE
        task.finished = now()
        task.save()
        _link_previous(task, prev_activation.task)
        task_finished.send(sender=flow_task.flow_class, process=activation.process, task=task)
        return activation


class DecidedIf(flow.If):
    """``flow.If`` for a condition on the gate task's own data (see ``DecidedIfActivation``)."""

    activation_class = DecidedIfActivation


class StepViewActivation(ViewActivation):
    """viewflow's ``ViewActivation.create``, with the link to the task before written by ``_link_previous``."""

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        if not enabled("step_view"):
            return super().create(flow_task, prev_activation, token, data=data, seed=seed)
        task = _new_task(flow_task, prev_activation, token, data, seed)
        activation = cls(task)
        owner_permission = flow_task.calc_owner_permission(activation)
        if owner_permission:
            task.owner_permission = owner_permission
            task.owner_permission_obj = flow_task.calc_owner_permission_obj(activation)
        owner = flow_task.calc_owner(activation)
        if owner:
            task.owner = owner
            task.status = STATUS.ASSIGNED
        task.save()
        _link_previous(task, prev_activation.task)
        if flow_task._on_create is not None:
            flow_task._on_create(activation)
        return activation


class StepView(flow.View):
    """``flow.View`` whose tasks are created by ``StepViewActivation``."""

    activation_class = StepViewActivation
