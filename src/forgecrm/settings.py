"""Forge CRM settings.

Every value comes from the environment (see README, "Configuration"). A malformed value
fails at start-up instead of being silently replaced by a default.
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("FORGECRM_VAR_DIR", default=str(BASE_DIR / "var")))
# Local state (SQLite database, queue, uploads) lives here; a fresh clone has no such folder.
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean, refusing anything but an explicit true/false spelling."""
    raw = env.str(name, default="")
    if raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false)")


DEBUG = env_bool("DEBUG", default=False)

_DEV_SECRET_KEY = "dev-only-insecure-key-forgecrm-local-use-only"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
SITE_URL = env.url("SITE_URL", default="http://127.0.0.1:8000").geturl().rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "axes",
    "auditlog",
    "django_htmx",
    "crispy_forms",
    "crispy_bootstrap5",
    "phonenumber_field",
    "huey.contrib.djhuey",
    "ninja",  # the API docs from its own static files, not a CDN (offline, and the CSP)
    "forgecrm.core",
    "forgecrm.accounts",
    "forgecrm.clients",
    "forgecrm.sales",
    "forgecrm.emails",
    "forgecrm.campaigns",
    "forgecrm.followups",
    "forgecrm.events",
    "forgecrm.timeline",
    "forgecrm.reports",
    "forgecrm.notifications",
    "forgecrm.mailbox",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "forgecrm.accounts.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy: scripts only from this site, so markup that slipped through
# (a name, an e-mail's HTML) cannot run. Styles may be inline: e-mail previews and the
# calendar and editor libraries set them. Images may come from anywhere over HTTPS, as
# e-mail bodies reference them. A response with its own policy (downloads) keeps it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "https:"],
        "font-src": [SELF, "data:"],  # the calendar's icon font is inlined
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "forgecrm.urls"
WSGI_APPLICATION = "forgecrm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "forgecrm.core.context_processors.navigation",
                "forgecrm.mailbox.context_processors.mailbox_warning",
            ],
        },
    },
]

# Database: SQLite (WAL) by default, anything dj-database-url understands via DATABASE_URL.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'forgecrm.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=wal; PRAGMA synchronous=normal;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background work (Huey): Redis when REDIS_URL is set, else a SQLite queue file.
REDIS_URL = env.str("REDIS_URL", default="")
HUEY = {
    "name": "forgecrm",
    "immediate": env_bool("HUEY_IMMEDIATE", default=False),
    "consumer": {"workers": env.int("HUEY_WORKERS", default=2), "worker_type": "thread"},
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "huey.sqlite3")})

# Outgoing mail. Without EMAIL_URL nothing is delivered: mail is kept in the outbox.
EMAIL_URL = env.str("EMAIL_URL", default="")
EMAIL_DELIVERY_ENABLED = bool(EMAIL_URL)
if EMAIL_URL:
    globals().update(env.email_url_config(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Pixel Forge <hello@pixelforgebd.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# Stay within the mailbox provider's sending limits (0 = no limit).
EMAIL_RATE_LIMIT_PER_MINUTE = env.int("EMAIL_RATE_LIMIT_PER_MINUTE", default=20)
EMAIL_RATE_LIMIT_PER_HOUR = env.int("EMAIL_RATE_LIMIT_PER_HOUR", default=300)
# Temporary SMTP failures are retried after 1, 2, 4 ... minutes, this many attempts in all.
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=6)
EMAIL_ATTACHMENTS_MAX_BYTES = env.int("EMAIL_ATTACHMENTS_MAX_MB", default=10) * 1024 * 1024
# Incoming mail: the IMAP mailbox the reader polls (imaps://user:password@host:993; imap://
# for plain connections). Without IMAP_URL nothing is read.
IMAP_URL = env.str("IMAP_URL", default="")
# Folders read besides INBOX and the Sent folder (comma list).
IMAP_FOLDERS = [f.strip() for f in env.list("IMAP_FOLDERS", default=[]) if f.strip()]
# The folder of mail sent from a mail app; empty: the one flagged \Sent, else "Sent".
IMAP_SENT_FOLDER = env.str("IMAP_SENT_FOLDER", default="")
if IMAP_URL and not IMAP_URL.startswith(("imap://", "imaps://")):
    raise ImproperlyConfigured("IMAP_URL must start with imaps:// (or imap:// unencrypted)")
IMAP_POLL_MINUTES = env.int("IMAP_POLL_MINUTES", default=5)
if not 1 <= IMAP_POLL_MINUTES <= 59:
    raise ImproperlyConfigured(f"IMAP_POLL_MINUTES={IMAP_POLL_MINUTES} must be 1 to 59")
# Admins see a warning on every page when the mailbox has not been read for this long.
MAILBOX_STALE_MINUTES = env.int("MAILBOX_STALE_MINUTES", default=30)
if MAILBOX_STALE_MINUTES < 1:
    raise ImproperlyConfigured(f"MAILBOX_STALE_MINUTES={MAILBOX_STALE_MINUTES} must be 1 or more")
# An address is suppressed (no more sends) at this many soft bounces; one hard bounce is enough.
SOFT_BOUNCE_LIMIT = env.int("SOFT_BOUNCE_LIMIT", default=3)
# The JSON API carries attachments base64-encoded (4/3 of their size) in the request body.
DATA_UPLOAD_MAX_MEMORY_SIZE = EMAIL_ATTACHMENTS_MAX_BYTES * 4 // 3 + 1024 * 1024

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login rate limit (django-axes): lock a username+IP pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# How many reverse proxies stand in front (nginx, Caddy: 1), each appending the address it
# saw to X-Forwarded-For; 0 when Django is reached directly. See core/addresses.py.
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)
AXES_CLIENT_IP_CALLABLE = "forgecrm.core.addresses.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Dhaka")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/tom-select", NODE_MODULES / "tom-select" / "dist"),
    ("vendor/fullcalendar", NODE_MODULES / "fullcalendar"),
    ("vendor/quill", NODE_MODULES / "quill" / "dist"),
    ("vendor/chart.js", NODE_MODULES / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env_bool("STATIC_MANIFEST", default=True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"

PHONENUMBER_DEFAULT_REGION = env.str("PHONENUMBER_DEFAULT_REGION", default="BD")
PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "INTERNATIONAL"

AUDITLOG_INCLUDE_ALL_MODELS = False

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Public holidays of these countries (ISO codes of the `holidays` library, checked when the
# events app starts; empty for none) are shown besides the built-in greeting holidays.
HOLIDAY_COUNTRIES = [c.strip().upper() for c in env.list("HOLIDAY_COUNTRIES", default=["BD"]) if c]

# Greetings are prepared (for approval) for occasions up to this many days ahead.
GREETINGS_PREPARE_DAYS = env.int("GREETINGS_PREPARE_DAYS", default=7)

# Clients are soft-deleted and purged for good after this many days.
SOFT_DELETE_RETENTION_DAYS = env.int("SOFT_DELETE_RETENTION_DAYS", default=30)
CLIENT_DOCUMENT_MAX_BYTES = env.int("CLIENT_DOCUMENT_MAX_MB", default=20) * 1024 * 1024

# Security: strict by default outside DEBUG; `manage.py check --deploy` passes.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
