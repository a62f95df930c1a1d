from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = _("Metrics")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # imports here: models and services load only once the app registry is ready (Django's rule)
        from processes.choices import ProjectPhase
        from processes.services import projects, work
        from processes.tombstones import track

        from .choices import MetricsWorkKind
        from .deliverables import iteration_deliverables
        from .models import Evaluation, Indicator, Measurement, Review
        from .services.indicators import ensure_seed_indicators
        from .services.reviews import action_finished, review_finished

        track(Indicator, department=None)  # organisation-wide
        for model in (Measurement, Evaluation):
            track(model, department="process.department_id")
        track(Review, department="project.department_id")

        # the iteration phase's effect evaluation, a deliverable the kernel's projects cannot import
        projects.deliverables_register(ProjectPhase.ITERATION, iteration_deliverables)
        post_migrate.connect(ensure_seed_indicators, sender=self, dispatch_uid="metrics.ensure_seed_indicators")

        # the periodic reviews' work in the inbox, and what closes a review or action when it is completed
        review, action = MetricsWorkKind.PERIODIC_REVIEW, MetricsWorkKind.ACTION
        work.kind_register(review.value, review.label, on_finished=review_finished, resolution=True)
        work.kind_register(action.value, action.label, on_finished=action_finished, resolution=True)
