"""The projects app's delivery URLs in the permission matrix (``tests/test_urls.py``)."""

from typing import Any

MATRIX: dict[str, str] = {}


def world(city, make_user, councils) -> dict[str, Any]:
    return {}


def cases(w) -> list:
    return []
