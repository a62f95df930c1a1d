"""RunFlow: one generic viewflow flow that runs any published standard version step by step.

The flow holds routing only. Each step is a human task (``perform_step``) whose index in the run's
step list travels in ``task.data``; completing it moves ``process.data["next"]`` and the ``advance``
gate either creates the next step's task or ends the run. The work itself (who may claim, deadlines,
escalation, metrics) lives on ``WorkItem`` rows, written by ``processes.services.execution`` in the
same transaction as the flow's state change. No per-task timers: a due time on the work item and one
indexed sweep (DESIGN.md section 8).
"""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.flow.views import UpdateProcessView

from .models import RunProcess


class RunFlow(flow.Flow):
    """Runs a published standard: one task per step, in order, each for the step's department and role."""

    process_class = RunProcess
    lock_impl = lock.select_for_update_lock
    process_title = _("Process run")

    # fmt: off
    start = (
        flow.StartHandle(this.start_run)
        .Annotation(title=_("Start a run"), description=_("A person or a REST client starts a run of a standard."))
        .Next(this.perform_step, task_data=this.first_step)
    )
    perform_step = (
        flow.View(UpdateProcessView.as_view(fields=[]))
        .Annotation(title=_("Perform a step"), description=_("The current step of the standard, for its role."))
        .onCreate(this.step_created)
        .Next(this.advance)
    )
    advance = (
        flow.If(this.has_next_step)
        .Annotation(title=_("More steps?"))
        .Then(this.perform_step, task_data=this.next_step)
        .Else(this.end)
    )
    end = flow.End().Annotation(title=_("Run finished"))
    # fmt: on

    def start_run(self, activation, *, steps, run_id, levels):
        activation.process.data = {"steps": steps, "next": 0, "run": run_id, "levels": levels}
        return activation.process

    def first_step(self, activation):
        return {"index": 0}

    def has_next_step(self, activation):
        data = activation.process.data
        return data["next"] < len(data["steps"])

    def next_step(self, activation):
        return {"index": activation.process.data["next"]}

    def step_created(self, activation):
        from .services.execution import step_task_created

        step_task_created(activation=activation)
