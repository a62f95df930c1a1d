"""Read side of the improvement projects."""

from ..models import Bottleneck, CurrentStateAnalysis, Goal, ImprovementProject, Problem
from .base import with_changes


def history_for_project(project):
    """The audit trail of a project: the project, its goals, problems, template 1 rows and bottlenecks."""
    records = list(ImprovementProject.history.filter(id=project.pk).select_related("history_user"))
    for model in (Goal, Problem, CurrentStateAnalysis, Bottleneck):
        records += list(model.history.filter(project_id=project.pk).select_related("history_user")[:200])
    return with_changes(records)[:100]
