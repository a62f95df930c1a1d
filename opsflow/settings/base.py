"""Settings shared by every environment, read from the environment (12-factor).

With no variable set OpsFlow runs on embedded defaults: SQLite in ``var/`` and a Celery broker on
the filesystem, so a fresh checkout works with nothing else installed. ``DATABASE_URL`` and
``REDIS_URL`` switch it to PostgreSQL and Redis.
"""

import contextlib
from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

from opsflow.fastpath.switches import from_env as fast_path_from_env

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("OPSFLOW_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()


def env_either(names, cast=str, default=None):
    """Read the first of several variable names that is set (``DJANGO_DEBUG`` or ``DEBUG``)."""
    for name in names:
        if name in env.ENVIRON:
            return env.get_value(name, cast=cast)
    return default


# Marks the development key: production.py refuses to start with it.
INSECURE_KEY_PREFIX = "django-insecure-"

# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env_either(["DJANGO_DEBUG", "DEBUG"], cast=bool, default=True)
SECRET_KEY = env_either(
    ["DJANGO_SECRET_KEY", "SECRET_KEY"], default=INSECURE_KEY_PREFIX + "opsflow-local-development-only"
)
ALLOWED_HOSTS = env_either(
    ["DJANGO_ALLOWED_HOSTS", "ALLOWED_HOSTS"], cast=list, default=["localhost", "127.0.0.1", "[::1]"]
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
TIME_ZONE = env_either(["DJANGO_TIME_ZONE", "TIME_ZONE"], default="Asia/Shanghai")
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
SITE_NAME = "OpsFlow"

# DATABASES
# ------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # WAL and immediate transactions let the web process and the Celery worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # Persistent connections, checked before each request reuses them: after a PostgreSQL restart the
    # first request of each thread notices the dead connection and opens a new one (no web restart).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A server that does not answer fails the request (503) after this many seconds instead of hanging it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DJANGO_DB_CONNECT_TIMEOUT", default=5)
    )
# The hottest reads (a step completion's locking read, a user's roles and scope) run as server-side
# prepared statements on PostgreSQL (opsflow.fastpath.compiled.execute); off behind a connection pooler in
# transaction mode, such as PgBouncer's, which does not keep a session's statements.
OPSFLOW_PREPARED_STATEMENTS = env.bool("OPSFLOW_PREPARED_STATEMENTS", default=True)
# The fast path's other tricks (opsflow/fastpath/__init__.py lists them), each on unless named in
# OPSFLOW_FAST_PATH_OFF ("decided_if,step_view", or "all"): off, the plain Django/viewflow/DRF path runs.
OPSFLOW_FAST_PATH = fast_path_from_env(env.str("OPSFLOW_FAST_PATH_OFF", default=""))
# No ATOMIC_REQUESTS: viewflow's flow lock must be the outermost transaction.
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# APPS
# ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django.contrib.humanize",
    "axes",
    "csp",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "viewflow",
    "viewflow.workflow",
    "opsflow",
    "processes",
    "pilots",
    "metrics",
]

AUTH_USER_MODEL = "processes.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "opsflow.middleware.LoginRequiredMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # last: turns a login refused for too many failures into the login page with the lockout message
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "opsflow.urls"
WSGI_APPLICATION = "opsflow.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "opsflow.context_processors.site",
            ],
        },
    },
]

# Axes first: it refuses a login while the username + address is locked out, before any password check.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# SECURITY
# ------------------------------------------------------------------------------
# Headers sent in every environment (production.py adds HTTPS, HSTS and secure cookies).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content Security Policy (django-csp): scripts only from our own static files, never inline, no eval
# (chart data travels in <script type="application/json"> blocks, which are not executed). Styles allow
# 'unsafe-inline': plotly.js injects its own <style> rules when it loads (modebar, hover labels) and
# Swagger UI's page carries one; inline CSS cannot run code, and every user text is escaped anyway.
# No plugin, no framing, forms post only to us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from one
# address, that pair is refused for AXES_COOLOFF_TIME (each further try restarts the wait). Failures
# are stored in the database (admin site: Axes) and logged by opsflow.security.
AXES_FAILURE_LIMIT = env.int("OPSFLOW_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("OPSFLOW_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # opsflow.security logs each failure and lockout once
AXES_LOCKOUT_CALLABLE = "opsflow.security.lockout_response"
AXES_COOLOFF_MESSAGE = _("Too many failed logins for this user from your address. Try again in %(minutes)s minutes.")
AXES_CLIENT_IP_CALLABLE = "opsflow.security.client_ip"
# Behind reverse proxies: how many of them append to X-Forwarded-For, so the client's address counts
# rather than the proxy's. 0 (the default) trusts no header: a client could forge it.
OPSFLOW_PROXY_COUNT = env.int("OPSFLOW_PROXY_COUNT", default=0)
# Webhook targets inside the network (loopback, link-local, private, metadata) are refused unless
# listed here (host names or networks, comma-separated: "erp.intra,10.20.0.0/16") or all allowed.
OPSFLOW_WEBHOOK_ALLOWED_TARGETS = env.list("OPSFLOW_WEBHOOK_ALLOWED_TARGETS", default=[])
OPSFLOW_WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("OPSFLOW_WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False)

# STATIC
# ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Static files are served by WhiteNoise; outside production straight from the app folders.
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# EMAIL
# ------------------------------------------------------------------------------
EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="OpsFlow <opsflow@localhost>")

# NOTIFICATIONS
# ------------------------------------------------------------------------------
# The channels that deliver every notification besides the notification centre, each a module with a
# deliver() function (processes/channels/__init__.py says what a channel is). Each delivers a
# notification once; its state is a NotificationDelivery row (admin: Notifications).
OPSFLOW_NOTIFICATION_CHANNELS = ["processes.channels.email"]

# CACHES AND CELERY
# ------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # Redis is only a cache and a broker here, never the record: while it is away, cache reads miss and
    # writes are dropped (and logged) instead of failing the page or the API call (DRF throttling, the
    # holiday calendar and import previews use it); short socket timeouts keep a hung Redis from holding
    # requests.
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_timeout": 5, "socket_connect_timeout": 3}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    for folder in ("queue", "processed", "control"):
        with contextlib.suppress(OSError):  # /healthz then reports the broker as down
            (VAR_DIR / "broker" / folder).mkdir(parents=True, exist_ok=True)
    # Embedded default: a broker that needs no server (Celery's filesystem transport).
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(VAR_DIR / "broker" / "queue"),
        "data_folder_out": str(VAR_DIR / "broker" / "queue"),
        "processed_folder": str(VAR_DIR / "broker" / "processed"),
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "store_processed": False,
    }
CELERY_TIMEZONE = TIME_ZONE
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the message for another worker
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Every periodic job lives here; the next issues add the sweep, reminders and snapshots.
CELERY_BEAT_SCHEDULE = {
    # Every 5 minutes (*/5 * * * *): a heartbeat that proves worker and beat are alive for /healthz.
    "heartbeat": {"task": "opsflow.heartbeat", "schedule": 300.0},
    # Every 30 seconds: escalate overdue work (fans large batches out to the workers).
    "escalation-sweep": {"task": "processes.escalation_sweep", "schedule": 30.0},
    # Every 5 minutes: queue again the notification deliveries whose task was lost or whose retry is due.
    "notifications-resend": {"task": "processes.notifications_resend", "schedule": 300.0},
    # Every hour: open the periodic review of the month or quarter just ended (projects in phase 6).
    "periodic-reviews": {"task": "metrics.periodic_reviews", "schedule": 3600.0},
    # Every hour: open the rollout reviews whose period ended (daily while young, then weekly); hourly so
    # a day's review is there early in the morning, and a run missed while beat was down is caught up.
    "rollout-reviews": {"task": "pilots.rollout_reviews", "schedule": 3600.0},
    # Every 30 seconds: send the webhook deliveries whose (next) attempt is due. Retry times live in the
    # database rather than in delayed broker messages, so a lost message or a Redis restart loses none.
    "webhook-deliveries": {"task": "processes.webhook_deliveries_due", "schedule": 30.0},
}

# REST FRAMEWORK
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # personal API tokens (django-rest-knox: named, expiring, revocable); failures are logged
        "opsflow.api.authentication.TokenAuthentication",
        # the browser: the login session, with CSRF checks on writes
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["processes.api.permissions.RolePermission"],
    "DEFAULT_SCHEMA_CLASS": "opsflow.api.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "opsflow.api.sync.UpdatedSinceFilter",
    ],
    # The API speaks JSON only (files are imported in the pages), held to DATA_UPLOAD_MAX_MEMORY_SIZE
    # (413 above it). One request format also keeps generated clients simple: with form and multipart
    # offered too, openapi-python-client sends the same body three ways.
    "DEFAULT_PARSER_CLASSES": ["opsflow.api.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "opsflow.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "opsflow.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["opsflow.api.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env.str("OPSFLOW_API_RATE", default="6000/minute")},
}
# API tokens: django-rest-knox with our model (a name and the last use added). Clients still send
# "Authorization: Token <token>"; the prefix lets secret scanners recognise a leaked token.
KNOX_TOKEN_MODEL = "processes.ApiToken"
REST_KNOX = {"TOKEN_TTL": timedelta(days=90), "TOKEN_PREFIX": "opsflow_", "AUTH_HEADER_PREFIX": "Token"}
# knox's own token model is swapped out; its migrations would only create an unused table.
MIGRATION_MODULES = {"knox": None}
SPECTACULAR_SETTINGS = {
    "TITLE": "OpsFlow API",
    "DESCRIPTION": "Processes, standards, runs, pilots and metrics of OpsFlow.",
    "VERSION": "1.0.0",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "opsflow.api.schema.declare_common_errors",
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "TimeUnitEnum": "processes.choices.TimeUnit",
        "VersionStatusEnum": "processes.choices.VersionStatus",
        "RoleEnum": "processes.choices.Role",
        "VerdictEnum": "metrics.choices.Verdict",
        "LevelEnum": "processes.choices.Level",
        "TeamRoleEnum": "processes.choices.TeamRole",
        "TargetKindEnum": "metrics.choices.TargetKind",
        "StandardTargetKindEnum": "processes.choices.TargetKind",
        "RunSourceEnum": "processes.choices.RunSource",
        "WorkStatusEnum": "processes.choices.WorkStatus",
        "RunStatusEnum": "processes.choices.RunStatus",
        "WorkKindEnum": "processes.kinds.kind_choices",
        "ReviewCadenceEnum": "processes.choices.ReviewCadence",
        "MonitoringCadenceEnum": "pilots.choices.Cadence",
        "ReviewActionKindEnum": "metrics.choices.ActionKind",
        "QuestionKindEnum": "pilots.choices.QuestionKind",
        "NoteKindEnum": "processes.choices.NoteKind",
        "BottleneckKindEnum": "processes.choices.BottleneckKind",
        "WebhookEventEnum": "processes.models.integrations.WebhookEvent",
        "WebhookDeliveryStatusEnum": "processes.models.integrations.DeliveryStatus",
    },
}

# LOGGING
# ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# plotly.js is served from the installed plotly package (no CDN, always the matching version)
import plotly as _plotly  # noqa: E402

STATICFILES_DIRS.append(("plotly", Path(_plotly.__file__).resolve().parent / "package_data"))
