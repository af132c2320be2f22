"""Settings shared by every environment, read from the environment (django-environ).

Only ``dev``, ``test`` and ``production`` import this module; none of them is meant to be
edited per deployment: a deployment sets environment variables (see docs/operations.md).
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Ours first, so that our templates override those of the libraries.
    "accounts",
    "marketplace",
    "wishes",
    "stations",
    "feedback",
    "volunteers",
    "projects",
    "donors",
    "cms",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django.contrib.postgres",  # PostgreSQL search and lookups; harmless on SQLite
    # Accounts
    "allauth",
    "allauth.account",
    "phonenumber_field",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.simple_translation",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail.locales",
    "wagtail",
    "modelcluster",
    "taggit",
    # Front end
    "django_htmx",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "accounts.middleware.AdminCSPMiddleware",
    "accounts.middleware.AuditContextMiddleware",
    "accounts.middleware.DomainErrorMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
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
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout keep the demo usable with the dev server's threads.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Redis and Celery -----------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "linli",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Without Redis, tasks run in the calling process: the demo needs no worker.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_RESULT_EXPIRES = 3600
# The whole periodic schedule, in one place (django-celery-beat does not support Django 6.1).
CELERY_BEAT_SCHEDULE = {
    "expire-invitations": {
        "task": "accounts.tasks.invitations_expire",
        "schedule": crontab(minute=15),
    },
    "expire-reservations": {
        "task": "marketplace.tasks.reservations_expire",
        "schedule": crontab(minute="*/5"),
    },
    "reconcile-payments": {
        "task": "marketplace.payments.tasks.payments_reconcile",
        "schedule": crontab(minute="*/5"),
    },
    "publish-wishes-after-notice": {
        "task": "wishes.tasks.wishes_publish_due",
        "schedule": crontab(minute="*/10"),
    },
    "feedback-follow-ups": {
        "task": "feedback.tasks.follow_ups_open",
        "schedule": crontab(hour=7, minute=30),
    },
    "remind-volunteer-shifts": {
        "task": "volunteers.tasks.shift_reminders_send",
        "schedule": crontab(minute=0),
    },
    "close-due-consultations": {
        "task": "projects.tasks.consultations_close_due",
        "schedule": crontab(minute=20),
    },
    "remind-project-deadlines": {
        "task": "projects.tasks.projects_remind",
        "schedule": crontab(hour=8, minute=0),
    },
}

# Recipients' feedback: how long a one-time link lives, and working days before a follow-up
# visit falls due, a visit must be made, and a complaint case must be handled.
FEEDBACK_LINK_DAYS = env.int("FEEDBACK_LINK_DAYS", default=14)
FEEDBACK_FOLLOW_UP_DAYS = env.int("FEEDBACK_FOLLOW_UP_DAYS", default=7)
FEEDBACK_VISIT_DAYS = env.int("FEEDBACK_VISIT_DAYS", default=5)
FEEDBACK_CASE_DAYS = env.int("FEEDBACK_CASE_DAYS", default=5)

# Wagtail's own background work (search index, references) runs on Django's TASKS.
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

# --- Users and allauth -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
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
LOGIN_REDIRECT_URL = "accounts:dashboard"
LOGOUT_REDIRECT_URL = "/"

ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "request_login_code": "20/m/ip,3/m/key",
    "change_password": "5/m/user",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[邻里 Linli] "
PHONENUMBER_DEFAULT_REGION = "CN"

# --- Internationalisation --------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "linli_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static and media ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Private files (evidence, documents about people) live outside MEDIA_ROOT and have no URL:
# only permission-checked, audited views stream them.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "private-media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Mail (Django 6.1 MAILERS) --------------------------------------------------------
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="邻里 Linli <noreply@linli.local>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}

SMS_BACKEND = env.str("SMS_BACKEND", default="accounts.sms.ConsoleSmsBackend")

# --- Security --------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Public pages: our own scripts and styles, inline only with the request's nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    # Paying by card posts to our page, which redirects to Stripe Checkout: browsers hold
    # that redirect to form-action too.
    "form-action": [CSP.SELF, "https://checkout.stripe.com"],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
# The Django and Wagtail admins still use inline styles and scripts; they get a looser
# policy (see accounts.middleware.AdminCSPMiddleware), never the public pages.
ADMIN_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.SELF],
    "frame-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
ADMIN_PATH_PREFIXES = ("/admin/", "/cms/admin/")

# --- Wagtail ---------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "邻里 Linli"
WAGTAILADMIN_BASE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ALLOW_UNICODE_SLUGS = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
WAGTAILEMBEDS_FINDERS: list[dict] = []  # no calls to outside hosts

# Personal data at rest (accounts/crypto.py). Development and test keys only; production
# refuses to start without its own.
PERSONAL_DATA_KEYS = env.list("PERSONAL_DATA_KEYS", default=[])
BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY", default="")

# How many reverse proxies append to X-Forwarded-For in front of the app (nginx: 1).
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)

# --- Linli -------------------------------------------------------------------------------
# Wishes: deadlines in mainland working days from acceptance, public notice in calendar days.
WISH_DEADLINE_WORKING_DAYS = {
    "emergency": 1,
    "urgent": 5,
    "normal": env.int("WISH_NORMAL_DEADLINE_DAYS", default=15),
}
WISH_NOTICE_DAYS = env.int("WISH_NOTICE_DAYS", default=5)
WISH_DUPLICATE_WINDOW_DAYS = env.int("WISH_DUPLICATE_WINDOW_DAYS", default=365)
WISH_TRACKING_LINK_DAYS = env.int("WISH_TRACKING_LINK_DAYS", default=180)
WISH_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
# Projects: a consultation nobody closed is closed by the beat this many days after voting.
PROJECTS_AUTO_CLOSE_DAYS = env.int("PROJECTS_AUTO_CLOSE_DAYS", default=3)
# Projects' delivery: remind this many working days before a deadline; survey links per call.
PROJECTS_REMIND_WORKING_DAYS = env.int("PROJECTS_REMIND_WORKING_DAYS", default=10)
PROJECTS_SURVEY_MAX_LINKS = env.int("PROJECTS_SURVEY_MAX_LINKS", default=200)
# Marketplace: a claim holds a listing this long; a pending pledge reserves capacity this
# long (aligned with the payment page's expiry); limits against hoarding.
CLAIM_DAYS = env.int("CLAIM_DAYS", default=7)
PLEDGE_RESERVATION_MINUTES = env.int("PLEDGE_RESERVATION_MINUTES", default=60)
PLEDGE_MINIMUM_YUAN = env.int("PLEDGE_MINIMUM_YUAN", default=10)
MAX_OPEN_PLEDGES_PER_DONOR = env.int("MAX_OPEN_PLEDGES_PER_DONOR", default=5)
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=14)
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_ENABLED = bool(STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET)
STRIPE_PAYMENT_METHODS = env.list(
    "STRIPE_PAYMENT_METHODS", default=["card"]
)  # + alipay, wechat_pay
# The account donors transfer to (the charity federation's); empty shows a marked demo account.
OFFLINE_BANK_ACCOUNT = env.str("OFFLINE_BANK_ACCOUNT", default="")
SITE_URL = WAGTAILADMIN_BASE_URL

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"level": "INFO"},
        "django.db.backends": {"level": "WARNING"},
        "django.tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING"},
    },
}
