"""Exact query counts of the editorial pages, for an anonymous visitor.

Each test makes one warm-up request first. The first request after the data changes fills
caches that later requests reuse: Wagtail's site root paths (kept in Django's cache and
cleared whenever a site or site root page is saved) and Django's ContentType cache. The
counts below are the steady state that every later visitor gets.

Queries of the Chinese home page (9):
  1 the Site for the request          2 the Locale of the active language
  3 the home page (routing)           4 alias check on the page's ancestors (serve)
  5 view restrictions (serve)         6 view restrictions (``.public()`` for the news)
  7 the latest 3 news                 8 the main menu (one query, see cms_tags.main_menu)
  9 the SiteSettings of the request's site (footer)
A standard page one level down has two routing queries instead of the news (9); the news
index has two routing queries and, for the news, the view restrictions, the count and the
page of news (12). In English, routing first looks up the translation of the site's
(Chinese) home page: one more query on every page.
"""

import pytest
from wagtail.models import Locale

from cms.models import NewsPage, StandardPage

from .test_pages import _add_news

HOME_QUERIES = 9
STANDARD_PAGE_QUERIES = 9
NEWS_INDEX_QUERIES = 12
ENGLISH = 1  # the English home page, found from the site's Chinese one


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        ("/zh-hans/", HOME_QUERIES),
        ("/en/", HOME_QUERIES + ENGLISH),
        ("/zh-hans/about/", STANDARD_PAGE_QUERIES),
        ("/en/how-to-claim-a-wish/", STANDARD_PAGE_QUERIES + ENGLISH),
        ("/zh-hans/news/", NEWS_INDEX_QUERIES),
        ("/en/news/", NEWS_INDEX_QUERIES + ENGLISH),
    ],
)
def test_page_query_count(client, demo_site, django_assert_num_queries, url, queries):
    # Given the page has been served once (caches warm)
    assert client.get(url).status_code == 200

    # When it is served again, then it takes exactly this many queries
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("url", "queries"),
    [("/zh-hans/", HOME_QUERIES), ("/zh-hans/news/", NEWS_INDEX_QUERIES)],
)
def test_query_count_does_not_grow_with_the_news(
    client, news_index, django_assert_num_queries, url, queries
):
    # Given 25 more news (three pages' worth) and a warm cache
    _add_news(news_index("zh-hans"), 25)
    assert NewsPage.objects.live().filter(locale__language_code="zh-hans").count() == 27
    client.get(url)

    # When the page is served, then the number of queries is the same as with 2 news
    with django_assert_num_queries(queries):
        response = client.get(url)
    shown = response.context["news"] if "news" in url else response.context["latest_news"]
    assert len(shown) == (10 if "news" in url else 3)


def test_query_count_does_not_grow_with_the_menu(client, demo_site, django_assert_num_queries):
    # Given 6 more Chinese pages in the menu
    for number in range(6):
        demo_site.add_child(
            instance=StandardPage(
                title=f"页面 {number}",
                slug=f"page-{number}",
                show_in_menus=True,
                locale=Locale.objects.get(language_code="zh-hans"),
            )
        )
    client.get("/zh-hans/about/")

    # When a page is served, then the menu still costs one query
    with django_assert_num_queries(STANDARD_PAGE_QUERIES):
        response = client.get("/zh-hans/about/")
    assert response.content.decode().count('href="/zh-hans/page-') == 6
