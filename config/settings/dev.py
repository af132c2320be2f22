"""Local development and the demo served by ``make run``: SQLite, eager Celery, console mail."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
# A development-only key: production refuses to start without its own SECRET_KEY.
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-never-use-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# Development-only keys for personal data; production sets its own (see docs/operations.md).
PERSONAL_DATA_KEYS = env.list(
    "PERSONAL_DATA_KEYS", default=["ZGV2LW9ubHktcGVyc29uYWwtZGF0YS1rZXktMzJieXQ="]
)
BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY", default="dev-only-blind-index-key")
