"""Production: secrets come from the environment only; ``check --deploy`` passes."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import INSECURE_KEY_PREFIX, env, env_either

DEBUG = env_either(["DJANGO_DEBUG", "DEBUG"], cast=bool, default=False)
SECRET_KEY = env_either(["DJANGO_SECRET_KEY", "SECRET_KEY"])
if not SECRET_KEY or SECRET_KEY.startswith(INSECURE_KEY_PREFIX) or len(set(SECRET_KEY)) < 5 or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "Set DJANGO_SECRET_KEY to a long random value (50+ characters) in production; the development key is refused."
    )
ALLOWED_HOSTS = env_either(["DJANGO_ALLOWED_HOSTS", "ALLOWED_HOSTS"], cast=list, default=[])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set DJANGO_ALLOWED_HOSTS in production.")

# SECURITY
# ------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

WHITENOISE_USE_FINDERS = False  # collectstatic fills STATIC_ROOT
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# collectstatic leaves out the npm folders bundled in viewflow's wheel (see opsflow.apps.StaticFilesConfig)
INSTALLED_APPS = [  # noqa: F405
    "opsflow.apps.StaticFilesConfig" if app == "django.contrib.staticfiles" else app
    for app in INSTALLED_APPS  # noqa: F405
]
