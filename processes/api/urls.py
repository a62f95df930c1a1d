from rest_framework.routers import DefaultRouter

from .execution import EscalationViewSet, NotificationViewSet, RunViewSet, WorkItemViewSet
from .standards import ProcessViewSet, StandardVersionViewSet
from .views import DepartmentViewSet, UserViewSet

org = DefaultRouter()
org.register("departments", DepartmentViewSet, basename="department")
org.register("users", UserViewSet, basename="user")

processes = DefaultRouter()
processes.register("processes", ProcessViewSet, basename="process")
processes.register("standard-versions", StandardVersionViewSet, basename="standard-version")

work = DefaultRouter()
work.register("runs", RunViewSet, basename="run")
work.register("items", WorkItemViewSet, basename="work-item")
work.register("escalations", EscalationViewSet, basename="escalation")
work.register("notifications", NotificationViewSet, basename="notification")

org_urls = org.urls
work_urls = work.urls
process_urls = processes.urls
