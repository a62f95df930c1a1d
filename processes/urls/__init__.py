"""The pages of the processes app, one module per topic; ``opsflow/urls.py`` includes this module at
the site's root (and ``processes.urls.integrations`` under ``/integrations/``, its own namespace)."""

from django.urls import include, path

from . import org

urlpatterns = [
    *org.urlpatterns,
    path("cases/", include("processes.urls.cases")),
    path("standards/", include("processes.urls.standards")),
    path("work/", include("processes.urls.work")),
    path("projects/", include("processes.urls.projects")),
]
