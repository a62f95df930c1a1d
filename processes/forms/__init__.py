"""The forms of the processes app's pages, one module per topic; the public names are re-exported here."""

from .mapping import AnalysisForm, AsIsStepForm, BottleneckForm, asis_formset
from .projects import GoalForm, NoteForm, ProblemForm, ProjectForm, TeamMemberForm
from .standards import (
    ROW_TABLES,
    BaseRowFormSet,
    EscalationLevelForm,
    ExceptionPlanForm,
    ProcessForm,
    RowForm,
    StepForm,
    TargetForm,
    VersionForm,
    row_formset,
    version_formsets,
)
from .work import StartRunForm

__all__ = [
    "ROW_TABLES",
    "AnalysisForm",
    "AsIsStepForm",
    "BaseRowFormSet",
    "BottleneckForm",
    "EscalationLevelForm",
    "ExceptionPlanForm",
    "GoalForm",
    "NoteForm",
    "ProblemForm",
    "ProcessForm",
    "ProjectForm",
    "RowForm",
    "StartRunForm",
    "StepForm",
    "TargetForm",
    "TeamMemberForm",
    "VersionForm",
    "asis_formset",
    "row_formset",
    "version_formsets",
]
