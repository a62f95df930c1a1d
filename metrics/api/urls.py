from rest_framework.routers import DefaultRouter

from .evaluation import EvaluationViewSet
from .indicators import IndicatorViewSet, MeasurementViewSet
from .reviews import ReviewViewSet

router = DefaultRouter()
router.register("indicators", IndicatorViewSet, basename="indicator")
router.register("measurements", MeasurementViewSet, basename="measurement")
router.register("evaluations", EvaluationViewSet, basename="evaluation")
router.register("reviews", ReviewViewSet, basename="review")

urlpatterns = router.urls
