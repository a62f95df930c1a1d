from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = _("Metrics")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from processes.tombstones import track

        from .models import Evaluation, Indicator, Measurement, Review
        from .services.indicators import ensure_seed_indicators

        track(Indicator, department=None)  # organisation-wide
        for model in (Measurement, Evaluation):
            track(model, department="process.department_id")
        track(Review, department="project.department_id")

        post_migrate.connect(ensure_seed_indicators, sender=self, dispatch_uid="metrics.ensure_seed_indicators")

        from processes.signals import work_item_finished

        from .services.reviews import on_work_finished

        work_item_finished.connect(
            lambda sender, item, user, at, note, **kwargs: on_work_finished(item=item, user=user, at=at, note=note),
            weak=False,
            dispatch_uid="metrics.reviews",
        )
