"""The editorial pages as a visitor sees them, in Chinese and in English."""

import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from wagtail.models import Site

from cms.blocks import CallToActionBlock
from cms.models import NewsPage, SiteSettings, StandardPage


def _main_menu(html: str) -> str:
    match = re.search(r'<nav class="main-nav".*?</nav>', html, re.DOTALL)
    assert match, "the page has no main menu"
    return match.group(0)


def _add_news(index, count: int, start: int = 1) -> None:
    for number in range(start, start + count):
        index.add_child(
            instance=NewsPage(
                title=f"Test news {number:02d}",
                slug=f"test-news-{number:02d}",
                date=date(2025, 1, number),
                summary=f"Summary {number:02d}",
            )
        )


@pytest.mark.parametrize(
    ("url", "language", "title", "intro"),
    [
        ("/zh-hans/", "zh-hans", "邻里", "社区微心愿与微实事"),
        ("/en/", "en", "Linli", "Community wishes and micro-projects"),
    ],
)
def test_home_page_renders_in_its_language(client, demo_site, url, language, title, intro):
    # When a visitor opens the home page in a language
    response = client.get(url)

    # Then it is the home page of that language
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert re.search(rf"<title>{title} · ", html)
    assert f"<h1>{title}</h1>" in html
    assert intro in html
    assert response.context["page"].locale.language_code == language


def test_home_page_shows_the_latest_news_of_its_language(client, demo_site):
    # When a visitor opens the English home page
    html = client.get("/en/").content.decode()

    # Then the English news are listed, newest first, and the Chinese ones are not
    newest = html.index("First month: all 46 wishes met")
    older = html.index("First eight community stations open")
    assert newest < older
    assert 'href="/en/news/first-wishes-met/"' in html
    assert "首批八个莞家驿站" not in html


def test_menu_shows_the_pages_of_the_current_language(client, demo_site):
    # When a visitor opens the home page in each language
    zh = _main_menu(client.get("/zh-hans/").content.decode())
    en = _main_menu(client.get("/en/").content.decode())

    # Then each menu links the pages of its own language, in tree order
    assert re.findall(r'href="(/zh-hans/[^"]*)"', zh)[:3] == [
        "/zh-hans/about/",
        "/zh-hans/how-to-claim-a-wish/",
        "/zh-hans/news/",
    ]
    for title in ("关于邻里", "如何认领微心愿", "新闻动态"):
        assert f">{title}</a>" in zh
    assert re.findall(r'href="(/en/[^"]*)"', en)[:3] == [
        "/en/about/",
        "/en/how-to-claim-a-wish/",
        "/en/news/",
    ]
    for title in ("About Linli", "How to claim a wish", "News"):
        assert f">{title}</a>" in en
    assert "About Linli" not in zh
    assert "关于邻里" not in en


def test_menu_leaves_out_unpublished_and_unlisted_pages(client, demo_site):
    # Given the English "About" page is unpublished and the guide is taken out of the menu
    StandardPage.objects.get(slug="about", locale__language_code="en").unpublish()
    StandardPage.objects.filter(slug="how-to-claim-a-wish").update(show_in_menus=False)

    # When a visitor opens each home page
    en = _main_menu(client.get("/en/").content.decode())
    zh = _main_menu(client.get("/zh-hans/").content.decode())

    # Then the English menu has neither page, the Chinese one still has "About"
    assert "/en/about/" not in en
    assert "how-to-claim-a-wish" not in en
    assert "/zh-hans/about/" in zh
    assert "how-to-claim-a-wish" not in zh
    assert "/en/news/" in en


def test_menu_marks_the_current_page_and_its_section(client, demo_site):
    # When a visitor reads the "About" page, then a news item
    about = _main_menu(client.get("/en/about/").content.decode())
    news_item = _main_menu(client.get("/en/news/first-wishes-met/").content.decode())

    # Then "About" is the current page, and "News" is the current section
    assert '<a href="/en/about/" aria-current="page">' in about
    assert '<a href="/en/news/" aria-current="true">' in news_item
    assert 'aria-current="page"' not in news_item.split("/en/stations/")[0]


def test_standard_page_renders_its_stream(client, demo_site):
    # When a visitor opens the guide in Chinese
    response = client.get("/zh-hans/how-to-claim-a-wish/")

    # Then its headings and rich text are shown
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>如何认领微心愿</h1>" in html
    assert "<h2>五个步骤</h2>" in html
    assert "<ol><li><b>注册</b>" in html


def test_news_index_lists_news_newest_first(client, demo_site):
    # When a visitor opens the Chinese news index
    html = client.get("/zh-hans/news/").content.decode()

    # Then both news are listed, newest first, with machine-readable dates
    assert html.index("试运行首月") < html.index("首批八个莞家驿站")
    assert '<time datetime="2026-10-28">' in html
    assert 'class="pagination"' not in html


def test_news_index_paginates(client, news_index):
    # Given 12 more news in the English news index (14 in all, 10 a page)
    index = news_index("en")
    _add_news(index, 12)

    # When a visitor opens the first page, the second, and one past the end
    first = client.get("/en/news/")
    second = client.get("/en/news/?page=2")
    beyond = client.get("/en/news/?page=99")

    # Then the first page has 10 news and a link to the next page
    assert len(first.context["news"]) == 10
    first_html = first.content.decode()
    assert first_html.count('<li class="card">') == 10
    assert 'rel="next" href="?page=2"' in first_html
    assert 'rel="prev"' not in first_html
    # And the second has the 4 oldest and a link back
    assert [item.slug for item in second.context["news"]][-2:] == [
        "test-news-02",
        "test-news-01",
    ]
    second_html = second.content.decode()
    assert second_html.count('<li class="card">') == 4
    assert 'rel="prev" href="?page=1"' in second_html
    assert 'rel="next"' not in second_html
    # And a page number past the end shows the last page
    assert beyond.status_code == 200
    assert beyond.context["news"].number == 2


def test_news_index_without_news_shows_an_empty_state(client, news_index):
    # Given the English news index has no live news
    for news in NewsPage.objects.child_of(news_index("en")):
        news.unpublish()

    # When a visitor opens it
    response = client.get("/en/news/")

    # Then it says so instead of showing an empty list
    assert response.status_code == 200
    html = response.content.decode()
    assert '<p class="empty">No news yet.</p>' in html
    assert 'class="card-list"' not in html
    assert 'class="pagination"' not in html


def test_news_page_links_back_to_the_index(client, demo_site):
    # When a visitor reads an English news item
    response = client.get("/en/news/first-stations-open/")

    # Then it shows its date and summary and links back to all news
    html = response.content.decode()
    assert response.status_code == 200
    assert '<time datetime="2026-09-15">' in html
    assert '<p class="lead">Stations in Guancheng' in html
    assert '<p class="back-link"><a href="/en/news/">' in html


def test_footer_shows_the_hotline_from_site_settings(client, demo_site):
    # Given the site settings name another hotline
    settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    settings.hotline = "0769-22110000"
    settings.save()

    # When a visitor opens any page
    html = client.get("/zh-hans/about/").content.decode()

    # Then the footer shows it as a phone link
    footer = html[html.index('<footer class="site-footer">') :]
    assert 'href="tel:0769-22110000"' in footer
    assert ">0769-22110000</a>" in footer
    assert "help@linli.local" in footer


def test_call_to_action_needs_a_page_or_an_address():
    # Given a call to action without any link
    block = CallToActionBlock()
    value = block.to_python({"heading": "Help", "button_label": "Go", "link_url": ""})

    # When it is validated
    # Then it is refused
    with pytest.raises(ValidationError):
        block.clean(value)

    # And with an address it is accepted
    value = block.to_python({"heading": "Help", "button_label": "Go", "link_url": "/en/stations/"})
    assert block.clean(value)["link_url"] == "/en/stations/"
