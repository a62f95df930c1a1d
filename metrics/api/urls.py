from rest_framework.routers import DefaultRouter

from .views import EvaluationViewSet, IndicatorViewSet, MeasurementViewSet

router = DefaultRouter()
router.register("indicators", IndicatorViewSet, basename="indicator")
router.register("measurements", MeasurementViewSet, basename="measurement")
router.register("evaluations", EvaluationViewSet, basename="evaluation")

urlpatterns = router.urls
