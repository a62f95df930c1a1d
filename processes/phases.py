"""The six lifecycle phases of an improvement project, as the plan describes them."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Phase:
    slug: str
    number: int
    title: str
    icon: str
    purpose: str
    deliverables: tuple


PHASES = (
    Phase(
        "preparation",
        1,
        _("Preparation"),
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
        "mapping",
        2,
        _("Process mapping"),
        "map",
        _(
            "Draw the as-is flow end to end with the responsible role and time of each step, then find break "
            "points, duplicated steps and resource choke points."
        ),
        (_("Current-state analysis (template 1)"), _("As-is flowchart"), _("Bottleneck analysis table")),
    ),
    Phase(
        "standards",
        3,
        _("Standard setting"),
        "rule",
        _(
            "Fix the optimized process as a versioned specification: goal, scope, steps with role and time limit, "
            "inputs and outputs, quality standards, the SOP and the exception plans."
        ),
        (_("Process standard specification (template 2)"), _("SOP document"), _("Exception plans")),
    ),
    Phase(
        "pilot",
        4,
        _("Pilot run"),
        "science",
        _(
            "Run the new process in a chosen scope for one or two cycles, record actual durations, exceptions and "
            "feedback, hold short daily stand-ups and adjust details."
        ),
        (_("Pilot feedback table (template 3)"), _("Surveys"), _("Pilot feedback report")),
    ),
    Phase(
        "rollout",
        5,
        _("Full rollout"),
        "campaign",
        _(
            "Roll the process out with a timetable and owners, train management, execution and support staff in "
            "tiers, and monitor daily at first, then weekly."
        ),
        (_("Rollout plan"), _("Tiered training"), _("Monitoring reviews")),
    ),
    Phase(
        "iteration",
        6,
        _("Continuous optimization"),
        "autorenew",
        _(
            "Evaluate key indicators before and after every month or quarter, adjust the standard when new problems "
            "appear, and capture the lessons in the process case library."
        ),
        (_("Effect evaluation (template 4)"), _("Periodic reviews"), _("Process case library")),
    ),
)

PHASES_BY_SLUG = {phase.slug: phase for phase in PHASES}
