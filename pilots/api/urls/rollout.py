from rest_framework.routers import DefaultRouter

from .. import rollout

router = DefaultRouter()
router.include_root_view = False
router.register("plans", rollout.RolloutPlanViewSet, basename="rollout-plan")
router.register("milestones", rollout.MilestoneViewSet, basename="rollout-milestone")
router.register("department-switches", rollout.DepartmentSwitchViewSet, basename="rollout-department-switch")
router.register("training-sessions", rollout.TrainingSessionViewSet, basename="rollout-training-session")
router.register("attendance", rollout.AttendanceViewSet, basename="rollout-attendance")
router.register("monitoring-reviews", rollout.MonitoringReviewViewSet, basename="rollout-monitoring-review")

urlpatterns = router.urls
