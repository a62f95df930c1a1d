from rest_framework.routers import DefaultRouter

from .reviews import ReviewViewSet
from .views import EvaluationViewSet, IndicatorViewSet, MeasurementViewSet

router = DefaultRouter()
router.register("indicators", IndicatorViewSet, basename="indicator")
router.register("measurements", MeasurementViewSet, basename="measurement")
router.register("evaluations", EvaluationViewSet, basename="evaluation")
router.register("reviews", ReviewViewSet, basename="review")

urlpatterns = router.urls
