"""What metrics adds to an improvement project's phase checklist (registered in MetricsConfig.ready)."""

from django.utils.translation import gettext_lazy as _

from processes.services.projects import Deliverable

from .models import Evaluation


def iteration_deliverables(project, processes) -> list[Deliverable]:
    """The iteration phase needs an effect evaluation (template 4) of one of the project's processes."""
    evaluated = Evaluation.objects.filter(process__in=processes).exists()
    return [Deliverable(_("An effect evaluation (template 4)"), evaluated)]
