"""The projects app's delivery URLs in the permission matrix (``tests/test_urls.py``)."""

from typing import Any

MATRIX: dict[str, str] = {
    "projects:list": "public",  # placeholder until built
    "projects:detail": "public",  # placeholder until built
    "projects:decide": "public",  # placeholder until built
    "projects:review_queue": "public",  # placeholder until built
    "projects:manage": "public",  # placeholder until built
}


def world(city, make_user, councils) -> dict[str, Any]:
    return {}


def cases(w) -> list:
    return []
