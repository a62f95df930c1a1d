from rest_framework.routers import DefaultRouter

from .cases import CaseViewSet
from .events import EventViewSet
from .integration_accounts import IntegrationAccountViewSet
from .integrations import WebhookDeliveryViewSet, WebhookSubscriptionViewSet
from .mapping import AnalysisViewSet, BottleneckViewSet
from .org import DeletionViewSet, DepartmentViewSet, UserViewSet
from .projects import (
    GoalViewSet,
    ProblemViewSet,
    ProjectNoteViewSet,
    ProjectViewSet,
    TeamMemberViewSet,
)
from .standards import ProcessViewSet, StandardVersionViewSet
from .work import EscalationViewSet, NotificationViewSet, RunViewSet, WorkItemViewSet

org = DefaultRouter()
org.register("departments", DepartmentViewSet, basename="department")
org.register("users", UserViewSet, basename="user")
org.register("webhooks", WebhookSubscriptionViewSet, basename="webhook")
org.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")
org.register("deletions", DeletionViewSet, basename="deletion")

processes = DefaultRouter()
processes.register("processes", ProcessViewSet, basename="process")
processes.register("standard-versions", StandardVersionViewSet, basename="standard-version")
processes.register("cases", CaseViewSet, basename="case")

work = DefaultRouter()
work.register("runs", RunViewSet, basename="run")
work.register("items", WorkItemViewSet, basename="work-item")
work.register("escalations", EscalationViewSet, basename="escalation")
work.register("notifications", NotificationViewSet, basename="notification")
work.register("events", EventViewSet, basename="event")
work.register("integration-accounts", IntegrationAccountViewSet, basename="integration-account")

project_router = DefaultRouter()
project_router.register("projects", ProjectViewSet, basename="project")
project_router.register("goals", GoalViewSet, basename="goal")
project_router.register("problems", ProblemViewSet, basename="problem")
project_router.register("analyses", AnalysisViewSet, basename="analysis")
project_router.register("bottlenecks", BottleneckViewSet, basename="bottleneck")
project_router.register("notes", ProjectNoteViewSet, basename="project-note")
project_router.register("team-members", TeamMemberViewSet, basename="team-member")

project_urls = project_router.urls
org_urls = org.urls
work_urls = work.urls
process_urls = processes.urls
