"""Django settings for Rectify.

Everything that differs between a laptop and a deployment is read from the
environment through the typed helpers in ``rectify.env``; see docs/configuration.md.
"""

import datetime
import hashlib
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from rectify.env import env_bool, env_database, env_date, env_dates, env_int, env_list, env_rate, env_str
from rectify.schedule import beat_schedule, check_visibility_timeout

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("RECTIFY_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment (DEBUG=true allows a development key)."
        )
    SECRET_KEY = "development-only-key-never-use-in-production"

# The audit chain's key (HMAC): kept outside the database so that whoever can write the tables
# cannot recompute the chain after an edit. Required in production, like SECRET_KEY; with DEBUG
# a key derived from SECRET_KEY. Checkpoints of the chain's head, signed with the same key, are
# written under AUDIT_CHECKPOINT_DIR, a folder the database's owner cannot write (docs/security.md).
AUDIT_KEY = env_str("AUDIT_KEY")
if not AUDIT_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "AUDIT_KEY is not set. Set AUDIT_KEY in the environment (DEBUG=true derives a development key)."
        )
    AUDIT_KEY = hashlib.sha256(f"rectify-audit:{SECRET_KEY}".encode()).hexdigest()

# The date the ledger treats as today (warning levels, the current week, the jobs'
# periods). Unset in production; `make run` sets it to the demo's late-2017 week so the
# demo ledger is seen as it stood then rather than everything overdue years later.
RECTIFY_TODAY = env_date("RECTIFY_TODAY")
# With a pinned today, the ledger's clock (tasks/clock.py) stands on that day too, at the real time
# of day, so what a visitor does is stamped on the demo's date. On whenever RECTIFY_TODAY comes from
# the environment (`make run`); tests that pin only today keep the real (or travelled) clock.
RECTIFY_CLOCK_ON_TODAY = env_bool("RECTIFY_CLOCK_ON_TODAY", RECTIFY_TODAY is not None)

# The warning levels' thresholds (tasks/models/levels.py, docs/ledger.md#warning-levels): red after
# this many reporting weeks without a report; yellow when due within this many days and below the
# expected progress; reports owed and progress expected from this date (the plan's feedback week).
LEVEL_RED_WEEKS = env_int("LEVEL_RED_WEEKS", 2)
LEVEL_YELLOW_DAYS = env_int("LEVEL_YELLOW_DAYS", 30)
LEVEL_START = env_date("LEVEL_START") or datetime.date(2017, 7, 31)
if LEVEL_RED_WEEKS < 1 or LEVEL_YELLOW_DAYS < 0:
    raise ImproperlyConfigured("LEVEL_RED_WEEKS must be at least 1 and LEVEL_YELLOW_DAYS at least 0")

# The monthly bulletin as a document (dispatch/document.py): the 文号's prefix (晋督察办〔2017〕12号), the
# default 印发范围, and how long LibreOffice may take to make its PDF (reports/convert.py).
BULLETIN_NUMBER_PREFIX = env_str("BULLETIN_NUMBER_PREFIX", "晋督察办")
BULLETIN_DISTRIBUTION = env_str("BULLETIN_DISTRIBUTION", "各市人民政府，省直有关部门，省督察办各成员单位")
SOFFICE_TIMEOUT = env_int("SOFFICE_TIMEOUT", 120)
# A weekly workbook of more rows than this is built by a worker, with a progress page (reports.exports).
EXPORT_BACKGROUND_ROWS = env_int("EXPORT_BACKGROUND_ROWS", 2000)

# With DEBUG true (the demo), a not-found address or a crash still answers the site's Chinese pages,
# as in production; SITE_ERROR_PAGES=false shows Django's debug pages (rectify.middleware).
SITE_ERROR_PAGES = env_bool("SITE_ERROR_PAGES", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "django.contrib.humanize",
    "rest_framework",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "outbox.apps.OutboxConfig",
    "tasks.apps.TasksConfig",
    "accountability.apps.AccountabilityConfig",
    "dispatch.apps.DispatchConfig",
    "reports.apps.ReportsConfig",
    "accounts.apps.AccountsConfig",
    "web.apps.WebConfig",
    "demo.apps.DemoConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # /static/ with DEBUG false too (before anything that reads the session or the database).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # NUL, JSON nesting and the body-size limit, refused before anything reads the request.
    "rectify.middleware.InputGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "rectify.middleware.AuditActorMiddleware",
    # Cache-Control: no-store on private answers, and the Permissions-Policy header.
    "rectify.headers.PrivacyHeadersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # With DEBUG (the demo) too, not-found and crashes answer the site's own pages (SITE_ERROR_PAGES).
    "rectify.middleware.SiteErrorPagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused by the lockout into the 429 page or JSON (accounts/lockout.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "rectify.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.context_processors.waiting",
            ],
        },
    },
]

WSGI_APPLICATION = "rectify.wsgi.application"
ASGI_APPLICATION = "rectify.asgi.application"

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'rectify.sqlite3'}")}
# A persistent connection the database dropped (a restart, a failover) is tested at the start of
# each request and replaced, instead of answering one 500 per stale connection.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # var/ is not in git; SQLite needs its folder
    # Several processes (web, worker, beat) share the file in development.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # Every transaction takes the write lock when it begins (BEGIN IMMEDIATE), so a writer meeting
    # another process's or thread's write waits out the timeout above. With SQLite's default
    # (deferred) a transaction that read first and then writes while another one wrote fails at
    # once with "database is locked": a worker's job beside a page's request, on a bare machine.
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# The cache holds the API throttle's counters: per process unless CACHE_URL names a Redis
# database shared by every process (e.g. redis://127.0.0.1:6379/1).
_cache_url = env_str("CACHE_URL")
if _cache_url and not _cache_url.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured(f"CACHE_URL must be a redis:// URL, not {_cache_url!r}")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
    if _cache_url
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Every place a password is set checks these: the password-change page, the admin, add_user
# (tasks/services/accounts.py), Django's createsuperuser and changepassword.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Brute force (django-axes, docs/security.md): a login is locked for AXES_COOLOFF_MINUTES after
# AXES_FAILURE_LIMIT failures from one account or from one address, on every sign-in path (the
# login page, the admin's, POST /api/auth/token/); the right password is refused while locked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429

LANGUAGE_CODE = "zh-hans"
LOCALE_PATHS = [BASE_DIR / "rectify" / "locale"]  # our corrections to Django's zh_Hans wording
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
AUDIT_CHECKPOINT_DIR = Path(env_str("AUDIT_CHECKPOINT_DIR", str(VAR_DIR / "audit-checkpoints")))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "rectify@localhost")

# The external channels of the event messages (dispatch/channels.py, docs/dispatch.md#channels).
# SITE_URL makes the links in an email, a robot message or a text absolute.
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")
# Each delivery is tried CHANNEL_MAX_ATTEMPTS times in all, waiting CHANNEL_RETRY_BACKOFF seconds
# after the first failure, doubled after each next one (capped at CELERY_RETRY_BACKOFF_MAX).
CHANNEL_MAX_ATTEMPTS = env_int("CHANNEL_MAX_ATTEMPTS", 5)
CHANNEL_RETRY_BACKOFF = env_int("CHANNEL_RETRY_BACKOFF", 10)
CHANNEL_TIMEOUT = env_int("CHANNEL_TIMEOUT", 10)  # seconds an HTTP channel (robot, SMS) may take
# The SMS gateway: an HTTP endpoint receiving {"phone", "text", "template"} as JSON; empty: no SMS.
SMS_GATEWAY_URL = env_str("SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = env_str("SMS_GATEWAY_TOKEN", "")  # sent as "Authorization: Bearer …" when set
# The weekly chaser escalates a row whose unit ignored this many earlier chasers (no report since):
# to the unit's leaders, then to the office (dispatch.services.chase_reports).
CHASER_ESCALATE_LEADERS = env_int("CHASER_ESCALATE_LEADERS", 2)
CHASER_ESCALATE_OFFICE = env_int("CHASER_ESCALATE_OFFICE", 3)
# 签收: what a unit has not acknowledged after this many working days is flagged.
ACK_DUE_WORKING_DAYS = env_int("ACK_DUE_WORKING_DAYS", 3)
# Working days are Mon–Fri less the public holidays plus the make-up days (调休) of tasks/workdays.py
# (2017–2026 as the State Council published them); a year not there yet, or a local holiday, here.
PUBLIC_HOLIDAYS = env_dates("PUBLIC_HOLIDAYS")  # e.g. 2027-01-01,2027-02-05
MAKEUP_WORKDAYS = env_dates("MAKEUP_WORKDAYS")  # weekend days worked instead
SMS_TEMPLATE = env_str("SMS_TEMPLATE", "【整改台账】{subject}。详见 {link}")

# Evidence uploads: what a liaison may attach to a report or a sign-off request.
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 20 * 1024 * 1024)
EVIDENCE_EXTENSIONS = env_list(
    "EVIDENCE_EXTENSIONS", ["pdf", "jpg", "jpeg", "png", "doc", "docx", "xls", "xlsx", "zip"]
)
# Deadline extensions (延期申请): the new date at most this many days beyond the current deadline,
# and a reason of at least this many characters (whitespace not counted).
EXTENSION_MAX_DAYS = env_int("EXTENSION_MAX_DAYS", 365)
EXTENSION_REASON_MIN_CHARS = env_int("EXTENSION_REASON_MIN_CHARS", 10)
# A page form's one-time key (tasks.services.formkeys) is good for this long after the page was served.
FORM_KEY_MAX_AGE = env_int("FORM_KEY_MAX_AGE", 7 * 24 * 3600)

# The one limit of a request's body other than uploaded files, for forms and JSON alike
# (rectify.middleware.InputGuardMiddleware applies it to JSON, which Django itself does not).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous caller gets 401 with a WWW-Authenticate header. Tokens expire
        # and are revoked (accounts/authentication.py, docs/security.md); only their hash is stored.
        "accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # POST /api/auth/token/ per client address (docs/security.md).
    "DEFAULT_THROTTLE_RATES": {"token": env_rate("API_TOKEN_THROTTLE_RATE", "20/min")},
    "DEFAULT_PAGINATION_CLASS": "tasks.api.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["tasks.api.filters.FilterBackend"],
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tasks.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# How long an API token from POST /api/auth/token/ stays valid (it is revoked sooner on a password,
# role or unit change and on signing out).
API_TOKEN_LIFETIME_HOURS = env_int("API_TOKEN_LIFETIME_HOURS", 12)
if API_TOKEN_LIFETIME_HOURS < 1:
    raise ImproperlyConfigured(f"API_TOKEN_LIFETIME_HOURS must be at least 1, not {API_TOKEN_LIFETIME_HOURS}")

SPECTACULAR_SETTINGS = {
    "TITLE": "Rectify 整改台账 API",
    "DESCRIPTION": "Ledger of the Shanxi 2017 rectification plan: tasks, assignments, sign-off.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Every operation documents its refusals (400, 401, 403, 404, 429; writes also 409, 412, 413, 415).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tasks.api.schema.document_errors",
    ],
    # The schema and its docs describe every endpoint: signed-in callers only, unless DEBUG.
    "SERVE_PERMISSIONS": ["tasks.api.schema.SignedInUnlessDebug"],
    # Several apps have a field named "status": name each choice set after its owner.
    "ENUM_NAME_OVERRIDES": {
        "AssignmentStatusEnum": "tasks.choices.Status",
        "CaseStatusEnum": "accountability.models.CaseStatus",
        "BulletinStatusEnum": "dispatch.models.BulletinStatus",
        "ExtensionStatusEnum": "tasks.choices.ExtensionStatus",
        "SignOffStatusEnum": "tasks.choices.SignOffStatus",
        "TaskStatusEnum": "tasks.choices.TaskStatus",
    },
    # A row id in a path (rectify/converters.py): an integer a primary key can hold.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}},
    # Served from the sidecar package: the system runs on a closed intranet, no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery. Without a broker URL the embedded file broker under var/ is used, so a
# bare machine runs worker and beat without Redis.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or env_str("REDIS_URL") or "filesystem://"
_broker_dir = VAR_DIR / "broker"
# A job not acknowledged within the visibility timeout is delivered again (Redis): every
# task acknowledges late, so a job whose worker died runs again after at most 5 minutes.
# The jobs take seconds; the timeout must stay above the retry backoff cap (checked below).
# A Redis that takes the connection but never answers (hung, or a half-open proxy) would hold a
# request's hand-over (outbox/services.py) and a worker's reconnection for ever: each read and
# connect on a broker socket gives up after these seconds and the outbox leaves the message to
# the sweep. The worker's own waits (BRPOP, one second) stay below them.
_broker_socket_timeout = env_int("CELERY_BROKER_SOCKET_TIMEOUT", 5)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 300),
    "socket_timeout": _broker_socket_timeout,
    "socket_connect_timeout": _broker_socket_timeout,
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        {
            "data_folder_in": str(_broker_dir / "queue"),
            "data_folder_out": str(_broker_dir / "queue"),
            "processed_folder": str(_broker_dir / "processed"),
            "control_folder": str(_broker_dir / "control"),
            "store_processed": False,
        }
    )
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The one beat schedule (rectify/schedule.py), each cron overridable from the environment.
CELERY_BEAT_SCHEDULE = beat_schedule()
# A visibility timeout not above the retry backoff cap would redeliver a waiting retry.
check_visibility_timeout(CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"], CELERY_BEAT_SCHEDULE)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- The production profile (docs/security.md#headers-and-the-production-profile) --------------
# Every security setting comes from the environment; deploy/production.env is the documented set
# with which `manage.py check --deploy` prints nothing (tests/test_production_profile.py).
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the pages' forms carry the token; no script reads the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# SECURE_COOKIES (the first release's switch) still sets both cookie flags at once.
_secure_cookies = env_bool("SECURE_COOKIES", False) and not DEBUG
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _secure_cookies)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _secure_cookies)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)  # a working day
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_REFERRER_POLICY = env_str("SECURE_REFERRER_POLICY", "same-origin")
SECURE_CROSS_ORIGIN_OPENER_POLICY = env_str("SECURE_CROSS_ORIGIN_OPENER_POLICY", "same-origin")
# Behind a TLS-terminating proxy: the header it sets and the value meaning HTTPS, e.g.
# "HTTP_X_FORWARDED_PROTO,https". Only set it if the proxy always overwrites that header.
_proxy_header = env_list("SECURE_PROXY_SSL_HEADER", [])
if _proxy_header and len(_proxy_header) != 2:
    raise ImproperlyConfigured(
        "SECURE_PROXY_SSL_HEADER must be two items: HEADER,value (HTTP_X_FORWARDED_PROTO,https)"
    )
SECURE_PROXY_SSL_HEADER = tuple(_proxy_header) if _proxy_header else None
# Features no page uses, refused to every page and anything it might embed (rectify/headers.py).
PERMISSIONS_POLICY = env_str(
    "PERMISSIONS_POLICY",
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()",
)

# Content-Security-Policy (django-csp 4): scripts and styles from our own static files only, no
# inline script, style element or style attribute anywhere (templates use classes of site.css).
_csp_self = ["'self'"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": _csp_self,
        "script-src": _csp_self,
        "style-src": _csp_self,
        "img-src": [*_csp_self, "data:"],
        "font-src": _csp_self,
        "connect-src": _csp_self,
        "object-src": ["'none'"],
        "base-uri": _csp_self,
        "form-action": _csp_self,
        "frame-ancestors": ["'none'"],
    }
}
if env_bool("CSP_UPGRADE_INSECURE_REQUESTS", False):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["upgrade-insecure-requests"] = True
_csp_report_uri = env_str("CSP_REPORT_URI")
if _csp_report_uri:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = _csp_report_uri

# /static/ is served by WhiteNoise from STATIC_ROOT (`collectstatic`; `make serve` runs it), with
# DEBUG false too; with DEBUG it reads the apps' static folders directly.
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", DEBUG)
