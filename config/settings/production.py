"""Production: every secret from the environment; refuses to start without them.

Passes ``manage.py check --deploy --fail-level WARNING`` (tests/config/test_settings.py).
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import BLIND_INDEX_KEY, DATABASES, PERSONAL_DATA_KEYS, REDIS_URL, env

DEBUG = False

SECRET_KEY = env.str("SECRET_KEY", default="")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random string of at least 50 characters in production."
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and not env.bool(
    "ALLOW_SQLITE", default=False
):
    raise ImproperlyConfigured("Set DATABASE_URL to PostgreSQL in production (or ALLOW_SQLITE=1).")
if not REDIS_URL:
    raise ImproperlyConfigured(
        "Set REDIS_URL in production: rate limits, the cache and Celery need Redis."
    )
if not PERSONAL_DATA_KEYS or len(BLIND_INDEX_KEY) < 32:
    raise ImproperlyConfigured(
        "Set PERSONAL_DATA_KEYS (Fernet keys) and BLIND_INDEX_KEY (32+ random characters): "
        "recipients' personal data is encrypted with them."
    )
if not env.str("OFFLINE_BANK_ACCOUNT", default=""):
    raise ImproperlyConfigured(
        "Set OFFLINE_BANK_ACCOUNT: donors paying by bank transfer are shown this account."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$"]
CONN_HEALTH_CHECKS = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": env.str("SMTP_HOST", default="localhost"),
            "port": env.int("SMTP_PORT", default=587),
            "username": env.str("SMTP_USER", default=""),
            "password": env.str("SMTP_PASSWORD", default=""),
            "use_tls": env.bool("SMTP_USE_TLS", default=True),
            "timeout": 20,
        },
    }
}
