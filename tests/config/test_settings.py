"""Settings per environment: production is deployable and strict, dev needs nothing, CSP holds.

Settings modules are imported in subprocesses with a clean environment, so neither the test
run's own settings nor the developer's shell variables leak in.
"""

import json
import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEPLOYMENT = {
    "ALLOWED_HOSTS": "linli.example.org",
    "DATABASE_URL": "postgres://u:p@db.example.org/linli",
    "REDIS_URL": "redis://cache.example.org:6379/0",
    "SITE_URL": "https://linli.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://linli.example.org",
    "PERSONAL_DATA_KEYS": "cHJvZHVjdGlvbi1rZXktZm9yLXRoZS10ZXN0LW9ubHk=",
    "BLIND_INDEX_KEY": "a-blind-index-key-of-at-least-32-characters",
    "OFFLINE_BANK_ACCOUNT": "东莞市慈善会 中国工商银行东莞分行 2010 0000 0000 0000 000",
}


def random_key(length: int = 64) -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def clean_env(settings_module: str, **variables: str) -> dict[str, str]:
    """Only what a process needs to start, plus *variables*: no DATABASE_URL, REDIS_URL…"""
    env = {
        key: os.environ[key]
        for key in ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR")
        if key in os.environ
    }
    env.update(DJANGO_SETTINGS_MODULE=settings_module, PYTHONDONTWRITEBYTECODE="1", **variables)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return run(["manage.py", *args], env)


# --- Production --------------------------------------------------------------------------


def test_production_passes_the_deployment_checks():
    env = clean_env("config.settings.production", SECRET_KEY=random_key(), **DEPLOYMENT)
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_security_settings():
    env = clean_env("config.settings.production", SECRET_KEY=random_key(), **DEPLOYMENT)
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS, 'engine': s.DATABASES['default']['ENGINE'],"
        "'cache': s.CACHES['default']['BACKEND'], 'broker': s.CELERY_BROKER_URL,"
        "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'ssl': s.SECURE_SSL_REDIRECT,"
        "'hsts': s.SECURE_HSTS_SECONDS, 'session_secure': s.SESSION_COOKIE_SECURE,"
        "'csrf_secure': s.CSRF_COOKIE_SECURE, 'csrf_origins': s.CSRF_TRUSTED_ORIGINS,"
        "'site_url': s.SITE_URL, 'mailer': s.MAILERS['default']['BACKEND']}))"
    )
    result = run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values == {
        "debug": False,
        "hosts": ["linli.example.org"],
        "engine": "django.db.backends.postgresql",
        "cache": "django.core.cache.backends.redis.RedisCache",
        "broker": "redis://cache.example.org:6379/0",
        "eager": False,
        "ssl": True,
        "hsts": 31536000,
        "session_secure": True,
        "csrf_secure": True,
        "csrf_origins": ["https://linli.example.org"],
        "site_url": "https://linli.example.org",
        "mailer": "django.core.mail.backends.smtp.EmailBackend",
    }


@pytest.mark.parametrize(
    ("change", "missing"),
    [
        pytest.param({"SECRET_KEY": None}, "SECRET_KEY", id="no-secret-key"),
        pytest.param({"SECRET_KEY": ""}, "SECRET_KEY", id="empty-secret-key"),
        pytest.param({"SECRET_KEY": "too-short-0123456789"}, "SECRET_KEY", id="short-secret-key"),
        pytest.param({"REDIS_URL": None}, "REDIS_URL", id="no-redis-url"),
        pytest.param({"DATABASE_URL": None}, "DATABASE_URL", id="no-database-url"),
        pytest.param(
            {"PERSONAL_DATA_KEYS": None}, "PERSONAL_DATA_KEYS", id="no-personal-data-keys"
        ),
        pytest.param({"BLIND_INDEX_KEY": "short"}, "BLIND_INDEX_KEY", id="short-blind-index-key"),
        pytest.param({"OFFLINE_BANK_ACCOUNT": None}, "OFFLINE_BANK_ACCOUNT", id="no-bank-account"),
    ],
)
def test_production_refuses_to_start_without(change, missing):
    variables = {"SECRET_KEY": random_key(), **DEPLOYMENT}
    for key, value in change.items():
        if value is None:
            variables.pop(key)
        else:
            variables[key] = value
    result = manage("check", env=clean_env("config.settings.production", **variables))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


# --- Development -------------------------------------------------------------------------

DEV_PROBE = (
    "import json; import django; django.setup(); from django.conf import settings as s;"
    "from config.celery import app; print(json.dumps({"
    "'debug': s.DEBUG, 'engine': s.DATABASES['default']['ENGINE'],"
    "'name': str(s.DATABASES['default']['NAME']), 'secret': bool(s.SECRET_KEY),"
    "'cache': s.CACHES['default']['BACKEND'], 'eager': s.CELERY_TASK_ALWAYS_EAGER,"
    "'app_eager': app.conf.task_always_eager, 'broker': app.conf.broker_url,"
    "'mailer': s.MAILERS['default']['BACKEND']}))"
)


def test_dev_settings_need_nothing_from_the_environment():
    result = run(["-c", DEV_PROBE], clean_env("config.settings.dev"))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["debug"] is True
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(BASE_DIR / "db.sqlite3")
    assert values["secret"] is True
    assert values["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    # Without Redis, Celery runs tasks in the calling process: no worker needed.
    assert values["eager"] is True
    assert values["app_eager"] is True
    assert values["broker"] == "memory://"
    assert values["mailer"] == "django.core.mail.backends.console.EmailBackend"


def test_dev_settings_use_redis_and_a_worker_when_given_redis_url():
    env = clean_env("config.settings.dev", REDIS_URL="redis://127.0.0.1:6379/5")
    result = run(["-c", DEV_PROBE], env)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["eager"] is False
    assert values["app_eager"] is False
    assert values["broker"] == "redis://127.0.0.1:6379/5"
    assert values["cache"] == "django.core.cache.backends.redis.RedisCache"


# --- Content Security Policy -------------------------------------------------------------


def parse_csp(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.django_db
def test_public_pages_allow_only_nonced_inline_scripts(client):
    response = client.get("/en/accounts/login/")
    assert response.status_code == 200
    assert CSP.HEADER_ENFORCE in response.headers
    policy = parse_csp(response.headers[CSP.HEADER_ENFORCE])
    script_src = policy["script-src"]
    nonces = [v for v in script_src if v.startswith("'nonce-")]
    assert len(nonces) == 1
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-inline'" not in policy["style-src"]
    assert "'unsafe-eval'" not in script_src
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    # The page's scripts carry the very nonce the header names, and it changes per response.
    nonce = nonces[0].removeprefix("'nonce-").removesuffix("'")
    assert f'nonce="{nonce}"' in response.text
    again = parse_csp(client.get("/en/accounts/login/").headers[CSP.HEADER_ENFORCE])
    assert nonces != [v for v in again["script-src"] if v.startswith("'nonce-")]


@pytest.mark.django_db
def test_public_policy_applies_on_chinese_pages_too(client):
    response = client.get("/zh-hans/accounts/signup/")
    assert response.status_code == 200
    policy = parse_csp(response.headers[CSP.HEADER_ENFORCE])
    assert "'unsafe-inline'" not in policy["script-src"]
    assert any(v.startswith("'nonce-") for v in policy["script-src"])


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/login/", "/cms/admin/login/"])
def test_admins_get_their_looser_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = parse_csp(response.headers[CSP.HEADER_ENFORCE])
    assert "'unsafe-inline'" in policy["script-src"]
    assert "'unsafe-inline'" in policy["style-src"]
    assert not any(v.startswith("'nonce-") for v in policy["script-src"])
    # Still locked down elsewhere: no outside origins, framed only by the site itself.
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
