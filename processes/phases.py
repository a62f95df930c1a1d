"""The six lifecycle phases of an improvement project, defined once: their slug and title are the
``ProjectPhase`` choices (a project's ``phase`` column), their number is their place in ``PHASES``;
this module adds what the pages tell about each (icon, purpose, deliverables). Everything that lists
the phases (the services' gate order, the site menu, the phase pages, the pages' "Phase n: title"
headings) reads them from here."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .choices import ProjectPhase


@dataclass(frozen=True)
class Phase:
    value: ProjectPhase
    icon: str
    purpose: str
    deliverables: tuple

    @property
    def slug(self) -> str:
        return self.value.value

    @property
    def title(self):
        return self.value.label

    @property
    def number(self) -> int:
        return ORDER.index(self.value) + 1

    @property
    def heading(self) -> str:
        """ "Phase 3: Standard setting", as the menu and the pages' eyebrows say it."""
        return _("Phase %(number)s: %(title)s") % {"number": self.number, "title": self.title}


PHASES = (
    Phase(
        ProjectPhase.PREPARATION,
        "flag",
        _(
            "Set optimization goals with numeric targets tied to strategy, form a cross-department project team "
            "led by the operations director, and collect baseline data into the current-state problem list."
        ),
        (
            _("Goals with numeric targets"),
            _("Project team with roles"),
            _("Baseline data"),
            _("Current-state problem list"),
        ),
    ),
    Phase(
        ProjectPhase.MAPPING,
        "map",
        _(
            "Draw the as-is flow end to end with the responsible role and time of each step, then find break "
            "points, duplicated steps and resource choke points."
        ),
        (_("Current-state analysis (template 1)"), _("As-is flowchart"), _("Bottleneck analysis table")),
    ),
    Phase(
        ProjectPhase.STANDARDS,
        "rule",
        _(
            "Fix the optimized process as a versioned specification: goal, scope, steps with role and time limit, "
            "inputs and outputs, quality standards, the SOP and the exception plans."
        ),
        (_("Process standard specification (template 2)"), _("SOP document"), _("Exception plans")),
    ),
    Phase(
        ProjectPhase.PILOT,
        "science",
        _(
            "Run the new process in a chosen scope for one or two cycles, record actual durations, exceptions and "
            "feedback, hold short daily stand-ups and adjust details."
        ),
        (_("Pilot feedback table (template 3)"), _("Surveys"), _("Pilot feedback report")),
    ),
    Phase(
        ProjectPhase.ROLLOUT,
        "campaign",
        _(
            "Roll the process out with a timetable and owners, train management, execution and support staff in "
            "tiers, and monitor daily at first, then weekly."
        ),
        (_("Rollout plan"), _("Tiered training"), _("Monitoring reviews")),
    ),
    Phase(
        ProjectPhase.ITERATION,
        "autorenew",
        _(
            "Evaluate key indicators before and after every month or quarter, adjust the standard when new problems "
            "appear, and capture the lessons in the process case library."
        ),
        (_("Effect evaluation (template 4)"), _("Periodic reviews"), _("Process case library")),
    ),
)

# The order of the phases (``ProjectPhase`` lists ``CLOSED`` after them, which is no phase).
ORDER = tuple(phase.value for phase in PHASES)
PHASES_BY_SLUG = {phase.slug: phase for phase in PHASES}
