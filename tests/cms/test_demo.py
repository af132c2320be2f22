"""The demo content: ``seed_site()`` builds the site in both languages, and only once."""

from collections import Counter

from wagtail.models import Page, Site

from cms.demo import seed_site
from cms.models import HomePage, NewsIndexPage, NewsPage, SiteSettings, StandardPage


def _inventory() -> Counter:
    pages = Counter(
        (page.specific_class.__name__, page.locale.language_code)
        for page in Page.objects.select_related("locale", "content_type").filter(depth__gt=1)
    )
    pages["sites"] = Site.objects.count()
    pages["settings"] = SiteSettings.objects.count()
    return pages


def test_seed_site_builds_every_page_in_both_languages(db):
    # When the demo site is seeded
    home = seed_site()

    # Then each page exists once in Chinese and once in English, all live
    assert _inventory() == Counter(
        {
            ("HomePage", "zh-hans"): 1,
            ("HomePage", "en"): 1,
            ("StandardPage", "zh-hans"): 2,
            ("StandardPage", "en"): 2,
            ("NewsIndexPage", "zh-hans"): 1,
            ("NewsIndexPage", "en"): 1,
            ("NewsPage", "zh-hans"): 2,
            ("NewsPage", "en"): 2,
            "sites": 1,
            "settings": 1,
        }
    )
    assert not Page.objects.filter(depth__gt=1, live=False).exists()
    # And the default site starts at the Chinese home page
    assert Site.objects.get(is_default_site=True).root_page_id == home.pk
    assert home.locale.language_code == "zh-hans"


def test_seed_site_is_idempotent(db):
    # Given a seeded site
    first = seed_site()
    before = _inventory()
    revisions = {page.pk: page.latest_revision_id for page in Page.objects.all()}

    # When it is seeded again
    second = seed_site()

    # Then nothing was added or republished
    assert second.pk == first.pk
    assert _inventory() == before
    assert {page.pk: page.latest_revision_id for page in Page.objects.all()} == revisions


def test_menu_pages_and_news_are_translations_of_each_other(db):
    # When the demo site is seeded
    seed_site()

    # Then every Chinese page below the home page has an English translation, same slug
    for model in (StandardPage, NewsIndexPage, NewsPage):
        for page in model.objects.filter(locale__language_code="zh-hans"):
            english = page.get_translation(page.locale.__class__.objects.get(language_code="en"))
            assert english.slug == page.slug
            assert english.title != page.title
    # And the menu pages are the two standard pages and the news index
    in_menu = HomePage.objects.get(locale__language_code="en").get_children().in_menu()
    assert sorted(in_menu.values_list("slug", flat=True)) == [
        "about",
        "how-to-claim-a-wish",
        "news",
    ]
