"""The projects app's consultations URLs in the permission matrix (``tests/test_urls.py``)."""

from typing import Any

MATRIX: dict[str, str] = {
    "projects:consultations": "public",  # placeholder until built
    "projects:consultation": "public",  # placeholder until built
    "projects:ballot": "public",  # placeholder until built
    "projects:council": "public",  # placeholder until built
    "projects:consultation_manage": "public",  # placeholder until built
}


def world(city, make_user, councils) -> dict[str, Any]:
    return {}


def cases(w) -> list:
    return []
