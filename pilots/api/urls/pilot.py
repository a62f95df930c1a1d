from rest_framework.routers import SimpleRouter

from .. import pilot

router = SimpleRouter()
router.register("standups", pilot.StandUpViewSet, basename="pilot-standup")
router.register("feedback", pilot.FeedbackViewSet, basename="pilot-feedback")
router.register("surveys", pilot.SurveyViewSet, basename="pilot-survey")
router.register("interviews", pilot.InterviewViewSet, basename="pilot-interview")
router.register("", pilot.PilotViewSet, basename="pilot")
urlpatterns = router.urls
