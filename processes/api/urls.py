from rest_framework.routers import DefaultRouter

from .standards import ProcessViewSet, StandardVersionViewSet
from .views import DepartmentViewSet, UserViewSet

org = DefaultRouter()
org.register("departments", DepartmentViewSet, basename="department")
org.register("users", UserViewSet, basename="user")

processes = DefaultRouter()
processes.register("processes", ProcessViewSet, basename="process")
processes.register("standard-versions", StandardVersionViewSet, basename="standard-version")

org_urls = org.urls
process_urls = processes.urls
