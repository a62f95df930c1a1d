"""RunFlow: one generic viewflow flow that runs any published standard version step by step.

The flow holds routing only. Each step is a human task (``perform_step``) whose index in the run's
step list travels in ``task.data``; completing it hands the next index to the ``advance`` gate (in the
gate task's data), which either creates the next step's task or ends the run. The work itself (who may claim, deadlines,
escalation, metrics) lives on ``WorkItem`` rows, written by ``processes.services.work`` in the
same transaction as the flow's state change. No per-task timers: a due time on the work item and one
indexed sweep (DESIGN.md section 8).

``StepView`` and ``DecidedIf`` are viewflow's ``View`` and ``If`` with fewer statements per step
(``opsflow.fastpath.nodes``; the fast path's index is ``opsflow/fastpath/__init__.py``).
"""

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.flow.views import UpdateProcessView
from viewflow.workflow.models import Process as FlowProcess

from opsflow.fastpath.nodes import DecidedIf, StepView

from .models import RunProcess, RunTask


class RunFlow(flow.Flow):
    """Runs a published standard: one task per step, in order, each for the step's department and role."""

    process_class = RunProcess
    task_class = RunTask
    lock_impl = lock.select_for_update_lock
    process_title = _("Process run")

    # fmt: off
    start = (
        flow.StartHandle(this.start_run)
        .Annotation(title=_("Start a run"), description=_("A person or a REST client starts a run of a standard."))
        .Next(this.perform_step, task_data=this.first_step)
    )
    perform_step = (
        StepView(UpdateProcessView.as_view(fields=[]))
        .Annotation(title=_("Perform a step"), description=_("The current step of the standard, for its role."))
        .onCreate(this.step_created)
        .Next(this.advance, task_data=this.step_done)
    )
    advance = (
        DecidedIf(this.has_next_step)
        .Annotation(title=_("More steps?"))
        .Then(this.perform_step, task_data=this.next_step)
        .Else(this.end)
    )
    end = flow.End().Annotation(title=_("Run finished"))
    # fmt: on

    def start_run(self, activation, *, steps, run_id, levels, process_id=None):
        activation.process.data = {
            "steps": steps,
            "run": run_id,
            "process": process_id,
            "levels": levels,
        }
        return activation.process

    def first_step(self, activation):
        return {"index": 0}

    def step_done(self, activation):
        return {"next": activation.task.data["index"] + 1}

    def has_next_step(self, activation):
        return activation.task.data["next"] < len(activation.process.data["steps"])

    def next_step(self, activation):
        return {"index": activation.task.data["next"]}

    def step_created(self, activation):
        from .services.work import step_task_created  # here: the kernel imports this module (breaks the cycle)

        step_task_created(activation=activation)


class ProjectProcess(FlowProcess):
    """viewflow's process row of an improvement project (proxy: the project's facts live on the project)."""

    class Meta:
        proxy = True
        verbose_name = _("project process")
        verbose_name_plural = _("project processes")
        app_label = "processes"


class ProjectFlow(flow.Flow):
    """The six phases of an improvement project: each phase is work for the lead, then a manager's gate."""

    process_class = ProjectProcess
    lock_impl = lock.select_for_update_lock
    process_title = _("Improvement project")

    # fmt: off
    start = (
        flow.StartHandle(this.start_project)
        .Annotation(title=_("Start a project"))
        .Next(this.phase_work, task_data=this.first_phase)
    )
    phase_work = (
        flow.View(UpdateProcessView.as_view(fields=[]))
        .Annotation(title=_("Work on the phase"), description=_("The lead delivers what the phase asks for."))
        .onCreate(this.work_created)
        .Next(this.phase_gate, task_data=this.same_phase)
    )
    phase_gate = (
        flow.View(UpdateProcessView.as_view(fields=[]))
        .Annotation(title=_("Phase gate"), description=_("A manager checks the deliverables and approves."))
        .onCreate(this.gate_created)
        .Next(this.decide)
    )
    decide = (
        flow.If(this.approved)
        .Annotation(title=_("Approved?"))
        .Then(this.advance)
        .Else(this.phase_work, task_data=this.same_phase)
    )
    advance = (
        flow.If(this.more_phases)
        .Annotation(title=_("More phases?"))
        .Then(this.phase_work, task_data=this.next_phase)
        .Else(this.end)
    )
    end = flow.End().Annotation(title=_("Project closed"))
    # fmt: on

    def start_project(self, activation, *, project_id):
        activation.process.data = {"project": project_id, "phase": 0, "approved": False}
        return activation.process

    def first_phase(self, activation):
        return {"phase": 0}

    def same_phase(self, activation):
        return {"phase": activation.process.data["phase"]}

    def next_phase(self, activation):
        activation.process.data["phase"] += 1
        activation.process.save(update_fields=["data"])
        return {"phase": activation.process.data["phase"]}

    def approved(self, activation):
        return bool(activation.process.data.get("approved"))

    def more_phases(self, activation):
        from .services.projects import PHASES  # here: projects imports this module (breaks the cycle)

        return activation.process.data["phase"] + 1 < len(PHASES)

    def work_created(self, activation):
        from .services.projects import phase_work_created  # here: breaks the cycle, as above

        activation.process.data["phase"] = activation.task.data["phase"]
        phase_work_created(activation=activation)

    def gate_created(self, activation):
        from .services.projects import gate_created  # here: breaks the cycle, as above

        gate_created(activation=activation)
