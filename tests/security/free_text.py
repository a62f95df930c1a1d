"""Script text planted in the free-text fields that pages show, and the pages that show them (shared by
the server-side escaping test and the browser test that checks the payload never runs)."""

from django.urls import reverse


def plant(payload: str) -> None:
    """``payload`` in every free-text field the pages show: names, steps, project, feedback, case."""
    from pilots.models import FeedbackItem
    from processes.models import Case, ImprovementProject, Process, Step

    Process.objects.update(name_en=payload[:200], description_en=payload)
    Step.objects.update(name_en=payload[:200])
    ImprovementProject.objects.update(name_en=payload[:200])
    FeedbackItem.objects.update(problem=payload, suggestion=payload)
    Case.objects.update(title_en=payload[:200], lesson_en=payload)


def pages() -> list[str]:
    """The pages that show those fields (the second one: a process, whose name is the payload)."""
    from pilots.models import Pilot
    from processes.models import Case, ImprovementProject, Process, StandardVersion

    version = StandardVersion.objects.order_by("pk").first()
    project = ImprovementProject.objects.order_by("pk").first()
    return [
        reverse("standards:process-list"),
        reverse("standards:process-detail", args=[Process.objects.order_by("pk").first().code]),
        reverse("standards:version-detail", args=[version.pk]),
        reverse("standards:version-sop", args=[version.pk]),
        reverse("projects:list"),
        reverse("projects:detail", args=[project.pk]),
        reverse("projects:template1", args=[project.pk]),
        reverse("pilots:detail", args=[Pilot.objects.order_by("pk").first().pk]),
        reverse("cases:list"),
        reverse("cases:detail", args=[Case.objects.order_by("pk").first().pk]),
        reverse("work:inbox"),
        reverse("work:run-list"),
        reverse("metrics:dashboard"),
        reverse("metrics:process-dashboard"),
    ]
