"""The projects app's proposals URLs in the permission matrix (``tests/test_urls.py``)."""

from typing import Any

MATRIX: dict[str, str] = {
    "projects:proposals": "public",  # placeholder until built
    "projects:proposal": "public",  # placeholder until built
}


def world(city, make_user, councils) -> dict[str, Any]:
    return {}


def cases(w) -> list:
    return []
