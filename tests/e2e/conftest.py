"""Browser tests: pytest-playwright driving Debian's Chromium against pytest-django's live server.

No browser is ever downloaded: ``executable_path`` points at ``/usr/bin/chromium`` (the
Makefile's ``check-browser`` installs it with ``fonts-noto-cjk`` when missing).
"""

import os
import shutil

import pytest
from django.core import mail
from django.core.management import call_command

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made from
# the test (seeding, assertions) are safe there because nothing else runs in that thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
DEMO_PASSWORD = "linli-demo-2026"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.fail(
            f"{CHROMIUM} is missing: run `make test` as root, or apt-get install chromium "
            "fonts-noto-cjk (the browser tests never download a browser)."
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def page(page):
    page.set_default_timeout(10_000)
    page.set_default_navigation_timeout(15_000)
    return page


@pytest.fixture
def demo(live_server):
    """The demo city, its users and the Wagtail home pages, served by the live server.

    (``serialized_rollback`` cannot restore Wagtail's root page after the flush of an earlier
    transactional test: once Playwright's sync API runs, Django hands this thread a new
    connection object without the snapshot. ``seed_site`` puts the root back itself.)
    """
    call_command("seed_demo", "--force", "--quiet-logins")
    mail.outbox.clear()
    return live_server


@pytest.fixture
def outbox():
    """Mail sent so far by the live server (same process, locmem mailer)."""
    mail.outbox.clear()
    return mail.outbox
