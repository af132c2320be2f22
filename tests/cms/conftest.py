"""Fixtures for the editorial site: the demo pages in both languages."""

import pytest
from django.core.cache import cache
from wagtail.models import Locale

from cms.demo import seed_site
from cms.models import HomePage, NewsIndexPage


@pytest.fixture(autouse=True)
def _clear_cache():
    """Wagtail caches the site root paths in Django's cache, which outlives a test's data."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def demo_site(db) -> HomePage:
    """The seeded site: home, About, the guide, News with two news, in zh-hans and en."""
    return seed_site()


@pytest.fixture
def news_index(demo_site):
    """``news_index("en")``: the live news index page in that language."""

    def get(language_code: str = "zh-hans") -> NewsIndexPage:
        return NewsIndexPage.objects.get(locale=Locale.objects.get(language_code=language_code))

    return get
