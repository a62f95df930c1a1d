from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PilotsConfig(AppConfig):
    name = "pilots"
    verbose_name = _("Pilots and rollout")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # imports here: models and services load only once the app registry is ready (Django's rule)
        from metrics.selectors.dashboards import dashboard_register
        from processes.services import work
        from processes.tombstones import track

        from . import models as m
        from . import routing
        from .choices import PilotWorkKind
        from .selectors.dashboards import pilot_dashboard
        from .services import pilot, rollout

        # the pilots' work in the inbox, and what closes its record when it is completed
        for kind, on_finished, resolution in (
            (PilotWorkKind.FEEDBACK, pilot.feedback_finished, True),
            (PilotWorkKind.MILESTONE, rollout.milestone_finished, False),
            (PilotWorkKind.MONITORING_REVIEW, rollout.review_finished, True),
        ):
            work.kind_register(kind.value, kind.label, on_finished=on_finished, resolution=resolution)

        work.run_router_register(routing.run_route)  # runs in a pilot's scope use its trial version
        dashboard_register("pilot", pilot_dashboard)  # the pilot dashboard at /metrics/pilot/

        # deletions that syncing clients see, scoped by the department of the process tried or rolled out
        for model in (m.Pilot, m.RolloutPlan):
            track(model, department="version.process.department_id")
        for model in (m.StandUp, m.FeedbackItem, m.Survey, m.CustomerInterview):
            track(model, department="pilot.version.process.department_id")
        for model in (m.Milestone, m.DepartmentSwitch, m.TrainingSession, m.MonitoringReview):
            track(model, department="plan.version.process.department_id")
        track(m.Attendance, department="session.plan.version.process.department_id")
