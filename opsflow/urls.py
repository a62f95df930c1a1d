from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog, set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from processes.api import urls as process_api

from . import views

admin.site.site_header = admin.site.site_title = settings.SITE_NAME
site = {"site_name": settings.SITE_NAME}

api_v1 = [
    path("org/", include(process_api.org_urls)),
    path("processes/", include(process_api.process_urls)),
    path("work/", include(process_api.work_urls)),
    path("projects/", include(process_api.project_urls)),
    path("metrics/", include("metrics.api.urls")),
    path("pilots/", include("pilots.api.urls.pilot")),
    path("rollouts/", include("pilots.api.urls.rollout")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("phases/<slug:slug>/", views.phase, name="phase"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "accounts/login/",
        login_not_required(
            auth_views.LoginView.as_view(
                redirect_authenticated_user=True, extra_context={"site_name": settings.SITE_NAME}
            )
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # a forgotten password is reset by e-mail (Django's views: the same answer for unknown addresses)
    path(
        "accounts/password-reset/",
        login_not_required(auth_views.PasswordResetView.as_view(extra_email_context=site)),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        login_not_required(auth_views.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        login_not_required(auth_views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        login_not_required(auth_views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
    # the admin site has its own templates under the default names: these pages use theirs
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(template_name="registration/password_change.html"),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_changed.html"),
        name="password_change_done",
    ),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # the split view serves its start-up script as a file: no inline script under the CSP
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("metrics/", include("metrics.urls")),
    path("reviews/", include("metrics.urls.reviews")),
    path("pilots/", include("pilots.urls.pilot")),
    path("rollouts/", include("pilots.urls.rollout")),
    path("integrations/", include("processes.urls.integrations")),
    path("", include("processes.urls")),
]

# the API answers its errors in JSON (opsflow.errors), pages as HTML
handler400 = "opsflow.errors.bad_request"
handler403 = "opsflow.errors.permission_denied"
handler404 = "opsflow.errors.page_not_found"
# a database outage answers 503 (page or JSON), not a server error
handler500 = "opsflow.errors.server_error"
