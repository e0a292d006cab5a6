"""Settings for Attune, read from environment variables (see .env.example).

Development needs nothing set: DEBUG is on, the database is a SQLite file in the project and
e-mail is printed to the console. Production sets DEBUG=false and a real SECRET_KEY, and
then refuses to start on an insecure default.
"""

from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from attune.env import (
    cache_from_url,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    redis_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)

_DEV_SECRET_KEY = "django-insecure-attune-development-only-never-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY)
if not DEBUG and (
    SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5
):
    raise ImproperlyConfigured(
        "Set SECRET_KEY to a random value of 50+ characters when DEBUG=false."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "template_partials",
    "csp",
    "attune",
    "checkins",
    "therapists",
    "content",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "attune.middleware.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "attune.middleware.SignedInNoStoreMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "attune.middleware.UserTimezoneMiddleware",
]

ROOT_URLCONF = "attune.urls"
WSGI_APPLICATION = "attune.wsgi.application"
ASGI_APPLICATION = "attune.asgi.application"

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
                "attune.context_processors.notifications",
                "attune.context_processors.quick_exit",
            ],
        },
    },
]
# Forms render through the project's own field template: label, input, help and the error
# message together, with the input pointing at its error for screen readers.
FORM_RENDERER = "attune.forms.AttuneFormRenderer"

# --- Database -------------------------------------------------------------------------------
# SQLite in the project by default, so a first run needs nothing installed; PostgreSQL (via
# psycopg 3) in production and CI: DATABASE_URL=postgres://user@host:5432/name
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0 if DEBUG else 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Opt-in, off by default: server-side binding sends parameters apart from the SQL, and
    # with a prepare threshold psycopg prepares a statement on its connection once it has
    # run that many times, so PostgreSQL plans it once. Both help a busy node a little;
    # behind PgBouncer in transaction mode they need its max_prepared_statements.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=env_bool("DATABASE_SERVER_SIDE_BINDING", False),
        prepare_threshold=env_int("DATABASE_PREPARE_THRESHOLD", 0) or None,
    )
    # PostgreSQL compiles a query to machine code once its estimated cost passes a threshold;
    # Attune's heaviest reads (a year's patterns) pass it, and compiling took 20-30 ms of a
    # 115 ms page to save less. Off for Attune's connections unless DATABASE_JIT=true. (A
    # pooler that rejects the `options` start-up parameter: set jit=off on the role instead.)
    # The export reads in chunks through a server-side cursor; behind PgBouncer in
    # transaction mode, where a cursor cannot outlive its transaction, turn them off.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool(
        "DATABASE_DISABLE_SERVER_SIDE_CURSORS", False
    )
    if not env_bool("DATABASE_JIT", False):
        given = DATABASES["default"]["OPTIONS"].get("options", "")
        DATABASES["default"]["OPTIONS"]["options"] = f"{given} -c jit=off".strip()
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker process write while the web process reads.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# fields.W161 takes a fixed default date or time for a forgotten `now`, and warns whenever
# the clock reads within ten seconds of it: the quiet hours' 22:00 and 08:00 defaults are
# meant, and `check --deploy` failed at 08:00:00 UTC. Django cannot silence a check for one
# field, and a callable default would put hidden "initial" inputs in the settings form.
# Every other date and time field defaults to `timezone.now` (a callable, never checked), and
# tests/attune/test_settings.py fails if a field with a fixed date or time default appears.
SILENCED_SYSTEM_CHECKS = ["fields.W161"]

# Request limits. Attune's forms are small (a note is at most 1,000 characters; an article
# in the admin a few tens of KB), so a body over 512 KB or with over 200 fields is refused
# with a 400 before it is read into memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 512 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
FILE_UPLOAD_MAX_MEMORY_SIZE = 512 * 1024

# Where `manage.py backup` writes (see README, "Backups").
BACKUP_DIR = env_str("BACKUP_DIR", str(BASE_DIR / "backups"))

# --- Cache ----------------------------------------------------------------------------------
# The default cache holds what every node must agree on: allauth's rate-limit counters and
# Attune's own (attune/ratelimits.py). With one machine the database cache is shared by every
# web worker without another service (created by `manage.py createcachetable`); with several
# nodes, CACHE_URL=redis://host:6379/0 puts it in Redis through Django's own RedisCache.
CACHE_URL = env_str("CACHE_URL", "").strip()
CACHES = {
    "default": cache_from_url("CACHE_URL", CACHE_URL),
    # Rendered fragments, kept in each process: the empty check-in form's fields (the same
    # for everyone; about half of rendering a timeline) and timeline entries, each under a
    # key holding everything it shows (checkins/fragments.py). That is why a per-process
    # cache is safe on many nodes: nothing in it can go stale, because an answer, a rename
    # or a deletion on another node makes a new key or is never asked for again.
    "template_fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "attune-fragments",
        # Room for every open timeline's first page (twenty entries each) on a busy node;
        # Django's default of 300 would drop entries as fast as it kept them.
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    },
}

# --- Background work ------------------------------------------------------------------------
# `database` (django-tasks-db and its db_worker) is the one-machine default; `rq` sends tasks
# through Redis (RQ_URL) to `manage.py rqworker --with-scheduler` processes on any node.
# Either way a task is only a wake-up call: a reminder's own row decides (checkins/sweep.py).
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "dummy": "django_tasks.backends.dummy.DummyBackend",
}
TASKS_BACKEND = env_choice("TASKS_BACKEND", "database", set(_TASK_BACKENDS))
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND]}}
RQ_URL = env_str("RQ_URL", "").strip()
if TASKS_BACKEND == "rq" and not RQ_URL:
    raise ImproperlyConfigured("TASKS_BACKEND=rq needs RQ_URL, e.g. redis://127.0.0.1:6379/1")
if RQ_URL:
    redis_url("RQ_URL", RQ_URL)
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": RQ_URL, "DEFAULT_TIMEOUT": 300}}

# --- Web Push -------------------------------------------------------------------------------
# The VAPID key pair that signs every push (`python manage.py vapid_keys` makes one; keep the
# private half secret, and keep both for good: a new pair orphans every device's opt-in).
# Without them push is off and the settings page does not offer it.
VAPID_PUBLIC_KEY = env_str("VAPID_PUBLIC_KEY", "")
VAPID_PRIVATE_KEY = env_str("VAPID_PRIVATE_KEY", "")
VAPID_SUBJECT = env_str("VAPID_SUBJECT", "mailto:hello@attune.localhost")
PUSH_TIMEOUT_SECONDS = env_int("PUSH_TIMEOUT_SECONDS", 10)
# Browsers' push services are all https; plain http only for a push service on this machine
# (the tests' own).
PUSH_ALLOW_HTTP = env_bool("PUSH_ALLOW_HTTP", False)
# How long a push service keeps trying a phone that is off: a reminder a day late is noise.
PUSH_TTL_SECONDS = env_int("PUSH_TTL_SECONDS", 6 * 3600)

# --- Check-ins ------------------------------------------------------------------------------
# A check-in is its author's "current" state until they check in again or it is this old.
CHECKIN_CURRENT_HOURS = env_int("CHECKIN_CURRENT_HOURS", 3)
# How often an open timeline asks for news (only while the tab is visible).
TIMELINE_POLL_SECONDS = env_int("TIMELINE_POLL_SECONDS", 10)
# How often an open page refreshes the notification bell.
BELL_POLL_SECONDS = env_int("BELL_POLL_SECONDS", 30)

# --- Safety ---------------------------------------------------------------------------------
# "Leave quickly" replaces the page with this neutral site (any https address that says
# nothing about couples or abuse).
QUICK_EXIT_URL = env_str("QUICK_EXIT_URL", "https://www.bbc.com/weather")
if not QUICK_EXIT_URL.startswith("https://") or len(QUICK_EXIT_URL) < 12:
    raise ImproperlyConfigured(
        f"QUICK_EXIT_URL must be an https:// address, not {QUICK_EXIT_URL!r}"
    )

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "attune.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "checkins:timeline"  # therapists are sent on to their couples

ACCOUNT_ADAPTER = "attune.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "attune.forms.SignupForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# Sign-up, login and password reset answer the same whether or not an address is registered;
# the owner of an existing address gets an e-mail instead of the stranger getting an error.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Attune: "
# A changed password, a changed or removed address (told to the old one), a new passkey:
# each is e-mailed to the owner, so a partner who gets in cannot quietly take the account.
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/300s/key",
    # Sign-in codes: each goes to the address's own inbox, so the per-address limit guards
    # that inbox; a passkey is the way in no one else can use up.
    "request_login_code": "20/m/ip,5/m/key",
    "signup": "10/m/ip",
    "reset_password": "10/m/ip,3/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
    "confirm_email": "1/180s/key",
    # Attune's own: partner invitations sent, and invitation codes tried, by partners and
    # by therapists.
    "link_invite": "10/h/user,30/h/ip",
    "link_code": "10/10m/user,20/10m/ip",
    "therapist_code": "10/10m/user,20/10m/ip",
}
# Anyone who knows an address can use up its failed-password limit, so its owner always
# has a way in that only they have: a sign-in code sent to that address (or a passkey).
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
# Adding, removing or changing an address, changing the password and the two-factor pages
# ask for the password (or a passkey) again when the last sign-in is over five minutes old:
# a borrowed, signed-in phone is not enough to take the account over.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Attune"
# Passkeys on http://127.0.0.1 during development; production is https only.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("EMAIL_HOST", "")
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 10
# The address people reach Attune at, for links in e-mails sent by the worker.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Attune <hello@attune.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation and time ------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
# Attune is written in English and translates nothing.
USE_I18N = False
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security headers -----------------------------------------------------------------------
# HTTPS defaults to on in production. Set SECURE_HTTPS=false only to try production settings
# over plain http on your own machine (docker compose does); never on a public host.
SECURE_HTTPS = env_bool("SECURE_HTTPS", not DEBUG)
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind a proxy every request comes from the proxy's address, so the per-address sign-in
# limits would count everyone together: allauth then takes the client's address from the
# X-Forwarded-For entry this many proxies back (the one our own proxy appended). Set only
# when every request reaches the nodes through that many proxies: a client that can reach
# a node directly could write the header itself and choose its address. 0: the peer's.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if not 0 <= ALLAUTH_TRUSTED_PROXY_COUNT <= 5:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be between 0 and 5")
SECURE_SSL_REDIRECT = SECURE_HTTPS
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000) if SECURE_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# No inline script or style anywhere: htmx is configured through a <meta> tag (no eval, no
# injected indicator styles) and every script and stylesheet is a file under /static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "worker-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "publickey-credentials-get=(self), publickey-credentials-create=(self)"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
