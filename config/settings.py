"""Portcullis settings: one module, every knob from the environment.

Embedded defaults make `make run` work on a laptop (SQLite, in-process background
work, console email). `PORTCULLIS_ENV=production` switches to production mode,
which refuses to start with insecure settings (see `config/production_guard.py`).
"""

from __future__ import annotations

import secrets
import sys
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.devsecrets import development_secret
from config.production_guard import ImproperlyConfiguredForProduction, check_production_settings
from config.storage import private_storage

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

PORTCULLIS_ENV = env.str("PORTCULLIS_ENV", default="development")
PRODUCTION = PORTCULLIS_ENV == "production"
# Under pytest the settings module is imported before tests/conftest.py can set
# PORTCULLIS_TESTING, so being imported by pytest counts as testing too.
TESTING = env.bool("PORTCULLIS_TESTING", default="pytest" in sys.modules)

DEBUG = env.bool("DEBUG", default=not PRODUCTION)

# SECURITY: production requires one. In development, when none is given, one is generated
# once into SECRET_KEY_FILE (under var/, never in git), so that a restart of `make run`
# keeps people signed in and the links already emailed (invitations, password resets)
# working; tests use a random key per process.
SECRET_KEY = env.str("SECRET_KEY", default="")
SECRET_KEY_FILE = Path(env.str("SECRET_KEY_FILE", default=str(BASE_DIR / "var" / "secret.key")))
if not SECRET_KEY and not PRODUCTION:
    if TESTING:
        SECRET_KEY = "dev-insecure-" + secrets.token_urlsafe(40)
    else:
        SECRET_KEY = development_secret(
            SECRET_KEY_FILE, lambda: ("dev-insecure-" + secrets.token_urlsafe(40)).encode()
        ).decode()

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The address people reach the service at: links in emails (report ready, invitations).
# In development, unset, it is the address `make run` serves (its PORT, which the Makefile
# passes), so that email links lead to the running app.
SITE_URL = env.str(
    "SITE_URL",
    default="" if PRODUCTION else f"http://127.0.0.1:{env.int('PORT', default=8000)}",
).rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "apps.accounts",
    "apps.audit",
    "apps.catalogue",
    "apps.assessments",
    "apps.scoring",
    "apps.reports",
    "apps.privacy",
    "apps.compliance",
    "apps.core",
    "apps.api",
]

MIDDLEWARE = [
    # Outermost: work deferred during the request runs once the response has gone.
    "apps.core.after_response.AfterResponseMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "apps.core.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.accounts.middleware.SessionLifetimeMiddleware",
    "apps.accounts.middleware.MFARequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "apps.audit.middleware.RefusedAccessAuditMiddleware",
    "apps.core.middleware.NoStoreForAuthenticatedMiddleware",
    # axes must be last: it turns a lockout signal into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "csp.context_processors.nonce",
                "apps.accounts.context_processors.current_membership",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------
from config.database import database_from_env  # noqa: E402

try:
    DATABASES = {"default": database_from_env(env, BASE_DIR)}
except ImproperlyConfigured as exc:
    # A clear one-line message on stderr and a non-zero exit, not a traceback.
    sys.exit(f"Portcullis cannot start: {exc}")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and authentication -------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # SECURITY: axes first, so a locked-out account is refused even with the right password.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING and not PRODUCTION:
    # Hashing with the production hasher makes every login in the suite ~100x slower.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
# SECURITY: accounts are created by invitation only; no open sign-up.
ACCOUNT_ADAPTER = "apps.accounts.adapters.AccountAdapter"
ACCOUNT_PREVENT_ENUMERATION = True
# Invitation-only service: a reset request for an unknown address sends nothing (the page
# shown is the same either way), so the form cannot be used to mail arbitrary addresses.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# SECURITY: adding, removing or changing an email address (where reset links and alerts
# go) needs the password again within that window, like second-factor changes do.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
# SECURITY: django-axes is the per-account-and-address lockout (AXES_FAILURE_LIMIT below).
# allauth's limits here are per address only. There is deliberately no per-account hard
# limit: failures spread over many addresses would then lock the real person out (anyone
# could keep an MP from signing in before a vote). Guesses spread over many addresses meet
# apps/accounts/sign_in_guard.py instead: an alert to the person and their org admins, and
# past a higher threshold an emailed one-time link the holder uses to pass.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reauthenticate": "10/m/user",
    "change_password": "5/m/user",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Portcullis] "
# SECURITY: the client's address (audit rows, axes, allauth's and the API's rate limits) is
# the socket address unless the service sits behind this many trusted reverse proxies, each
# appending to X-Forwarded-For (apps/core/client_address.py). Production refuses
# BEHIND_TLS_PROXY without it: every client would otherwise be the proxy.
try:
    TRUSTED_PROXY_COUNT = int(env.str("TRUSTED_PROXY_COUNT", default="") or 0)
except ValueError:
    sys.exit("Portcullis cannot start: TRUSTED_PROXY_COUNT must be a whole number (e.g. 1).")
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
# Failures for one account from any number of addresses (password and second-factor steps):
# at the alert threshold the person and their org admins are emailed; at the guard threshold
# signing in to that account also needs the one-time link emailed to the person.
SIGN_IN_ALERT_THRESHOLD = env.int("SIGN_IN_ALERT_THRESHOLD", default=20)
SIGN_IN_GUARD_THRESHOLD = env.int("SIGN_IN_GUARD_THRESHOLD", default=100)
SIGN_IN_FAILURE_WINDOW = env.int("SIGN_IN_FAILURE_WINDOW", default=24 * 3600)

MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_TOTP_ISSUER = "Portcullis"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_ADAPTER = "apps.accounts.adapters.MFAAdapter"
MFA_FORMS = {"authenticate": "apps.accounts.forms.GuardedAuthenticateForm"}
# SECURITY: TOTP keys and recovery-code seeds are stored encrypted (apps/accounts/
# secrets_at_rest.py). Comma-separated Fernet keys, newest first; required in production.
# Outside production a key is generated once into MFA_ENCRYPTION_KEY_FILE.
MFA_ENCRYPTION_KEYS = env.list("MFA_ENCRYPTION_KEYS", default=[])
MFA_ENCRYPTION_KEY_FILE = Path(
    env.str("MFA_ENCRYPTION_KEY_FILE", default=str(BASE_DIR / "var" / "mfa-encryption.key"))
)

# django-axes: lock an account from one address after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "login"
# allauth authenticates with `email=...`, not `username=...`: without this callable axes
# would key every attempt on an empty username and never lock the account.
AXES_USERNAME_CALLABLE = "apps.accounts.lockout.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_HTTP_RESPONSE_CODE = 429
# SECURITY: the same client address as everywhere else (TRUSTED_PROXY_COUNT); a forged
# X-Forwarded-For from the client does not change the lockout key.
AXES_CLIENT_IP_CALLABLE = "apps.core.client_address.axes_client_ip"

# --- Sessions and cookies --------------------------------------------------------------
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
if PRODUCTION:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# --- Security headers -------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
# Orchestrator probes may speak plain HTTP to the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# SECURITY: no powerful browser feature for anyone, except WebAuthn (security keys) for
# this origin itself (apps.core.middleware.PermissionsPolicyMiddleware sends it).
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), encrypted-media=(), "
    "fullscreen=(), geolocation=(), gyroscope=(), hid=(), identity-credentials-get=(), "
    "idle-detection=(), magnetometer=(), microphone=(), midi=(), payment=(), "
    "picture-in-picture=(), publickey-credentials-create=(self), "
    "publickey-credentials-get=(self), screen-wake-lock=(), serial=(), "
    "storage-access=(), usb=(), web-share=(), xr-spatial-tracking=()"
)

from csp.constants import NONE, SELF  # noqa: E402

# SECURITY: no inline script or style anywhere; every asset comes from this origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
        "upgrade-insecure-requests": PRODUCTION,
    }
}

# --- Static, media and private files ---------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "static_build")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Outside production the app serves assets straight from the source folders.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG and not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
# SECURITY: reports live outside MEDIA_ROOT and are only served through an authorised view
# (filesystem by default, an S3-compatible bucket by settings: config/storage.py).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": private_storage(env, default_root=BASE_DIR / "var" / "private"),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Email ------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url_config(env.str("EMAIL_URL", default="") or "consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Portcullis <no-reply@portcullis.localhost>"
)

# --- Cache ------------------------------------------------------------------------------
# SECURITY: rate limits, allauth's TOTP replay markers and the sign-in guard's counters live
# in the cache. Every web process must share it (Redis, e.g. redis://127.0.0.1:6379/1):
# production refuses an in-process one.
# An empty CACHE_URL/EMAIL_URL means the embedded default (which production then refuses).
try:
    CACHES = {
        "default": env.cache_url_config(
            env.str("CACHE_URL", default="") or "locmemcache://portcullis"
        )
    }
except ImproperlyConfigured as exc:
    sys.exit(f"Portcullis cannot start: CACHE_URL is not a cache address ({exc}).")

# --- Celery -----------------------------------------------------------------------------
# Embedded default: no broker configured -> tasks run in-process (eager), after the
# transaction commits, so `make run` needs no Redis. Set CELERY_BROKER_URL for a real queue.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=env.str("REDIS_URL", default=""))
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# In-process work (the report, with no broker) runs after the response on a thread of its
# own (apps/core/after_response.py), so the results page never waits for the PDF. Tests
# using the test client run it before the response returns (browser tests turn it on).
AFTER_RESPONSE_THREAD = env.bool("AFTER_RESPONSE_THREAD", default=not TESTING)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# If the worker loses the broker mid-task, the unacknowledged message is delivered again
# elsewhere: stop the local copy rather than let two renders of one report race.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=120)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=90)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 300}
# `celery -A config beat` (or `make worker`, which embeds it) runs these.
CELERY_BEAT_SCHEDULE = {
    "reports-sweep": {"task": "reports.sweep", "schedule": 300.0},
    # Nightly, at a quiet hour: apps/privacy/services.py retention_apply.
    "privacy-retention": {
        "task": "privacy.apply_retention",
        "schedule": crontab(hour=3, minute=17),
    },
    # Campaign reminders, next rounds, late joiners and the nightly snapshot: safe to run
    # often (each reminder step goes once; one snapshot per organisation per night).
    "compliance-round": {"task": "compliance.round", "schedule": 3600.0},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing happens in web requests (after a submit commits): a broker outage must cost the
# person a second or two, not a hung page. The job stays queued; the sweep sends it later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}

# --- REST framework (the API for IT teams: apps/api) -------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.api.authentication.ApiKeyAuthentication",
        "apps.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.api.problems.problem_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "apps.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.api.throttling.KeyRateThrottle",
        "apps.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        # Counted in the shared cache (CACHE_URL), so every web process sees the same count.
        "api_key": env.str("API_THROTTLE_KEY_RATE", default="600/min"),
        "api_user": env.str("API_THROTTLE_USER_RATE", default="300/min"),
    },
    # SECURITY: throttles key on the client's address as the trusted proxies report it.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT or None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
API_PAGE_SIZE_MAX = env.int("API_PAGE_SIZE_MAX", default=200)
# SECURITY: API keys are stored as HMAC-SHA256 under this secret. Empty in production:
# derived from SECRET_KEY (required there; rotating it then invalidates every key). Empty
# elsewhere: generated once into API_KEY_HMAC_KEY_FILE, so keys survive a restart.
API_KEY_HMAC_KEY = env.str("API_KEY_HMAC_KEY", default="")
API_KEY_HMAC_KEY_FILE = Path(
    env.str("API_KEY_HMAC_KEY_FILE", default=str(BASE_DIR / "var" / "api-key-hmac.key"))
)
SPECTACULAR_SETTINGS = {
    "TITLE": "Portcullis API",
    "DESCRIPTION": (
        "The organisation API for IT teams: compliance, assessments, verified answers, "
        "scores, plans and reports. Authenticate with `Authorization: Bearer <key>` (an "
        "organisation API key) or a signed-in session. Errors are RFC 9457 problem details."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # SECURITY: the schema and its viewers are for signed-in people and key holders only.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SERVE_AUTHENTICATION": [
        "apps.api.authentication.ApiKeyAuthentication",
        "apps.api.authentication.SessionAuthentication",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {},
}

# --- Portcullis -------------------------------------------------------------------------
CATALOGUE_PACKS_DIR = BASE_DIR / "apps" / "catalogue" / "packs"
INVITATION_MAX_AGE = env.int("INVITATION_MAX_AGE", default=7 * 24 * 3600)
# SECURITY: invitations answer alike whether or not the address has an account; this
# limit (per org admin, in the shared cache) keeps them from being a fast lookup anyway.
INVITATIONS_PER_ADMIN_PER_HOUR = env.int("INVITATIONS_PER_ADMIN_PER_HOUR", default=30)
# Retention, in days (0 keeps for ever); applied nightly by celery beat and by
# `manage.py apply_retention [--dry-run]` (apps/privacy/services.py retention_apply).
DATA_RETENTION_DAYS = env.int("DATA_RETENTION_DAYS", default=3 * 365)
DEACTIVATED_ACCOUNT_RETENTION_DAYS = env.int("DEACTIVATED_ACCOUNT_RETENTION_DAYS", default=365)
INVITATION_RETENTION_DAYS = env.int("INVITATION_RETENTION_DAYS", default=90)
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=6 * 365)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every CSS property it ignores at INFO: noise, not news.
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}},
}

if PRODUCTION:
    problems = check_production_settings(
        debug=DEBUG,
        secret_key=SECRET_KEY,
        allowed_hosts=ALLOWED_HOSTS,
        site_url=SITE_URL,
        mfa_encryption_keys=MFA_ENCRYPTION_KEYS,
        celery_broker_url=CELERY_BROKER_URL,
        cache_backend=CACHES["default"]["BACKEND"],
        email_backend=EMAIL_CONFIG["EMAIL_BACKEND"],
        behind_tls_proxy=BEHIND_TLS_PROXY,
        trusted_proxy_count=TRUSTED_PROXY_COUNT,
    )
    if problems:
        # SECURITY: refuse to start. sys.exit prints the message (naming each setting to
        # fix) on stderr and exits non-zero, without a traceback to read through.
        sys.exit(str(ImproperlyConfiguredForProduction(problems)))

# --- Organisation compliance ---------------------------------------------------------------
# No aggregate (chart, table, export) over fewer submitted people than this is shown.
AGGREGATE_MIN_PEOPLE = env.int("AGGREGATE_MIN_PEOPLE", default=5)
