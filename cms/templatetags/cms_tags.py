"""Template tags for the site frame: the main menu from the page tree."""

from dataclasses import dataclass

from django import template
from django.db.models import Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import get_language
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Page, Site

register = template.Library()


@dataclass(frozen=True)
class MenuItem:
    page: Page
    current: bool  # this very page is shown
    in_section: bool  # a page below it is shown (a news item under "News")


def menu_pages(site: Site, language_code: str | None) -> list[Page]:
    """Live "show in menus" children of *site*'s home page in *language_code*, in tree order.

    One query, whatever the number of pages or languages: the home page's translation is
    found in a subquery (falling back to the site's own home page when it has none).
    """
    root = site.root_page
    try:
        language_code = get_supported_content_language_variant(language_code)
    except LookupError:
        language_code = None
    translated_path = Page.objects.filter(
        translation_key=root.translation_key, locale__language_code=language_code
    ).values("path")[:1]
    root_path = Coalesce(Subquery(translated_path), Value(root.path))
    return list(
        Page.objects.live()
        .in_menu()
        .filter(depth=root.depth + 1, path__startswith=root_path)
        .order_by("path")
        .only("id", "title", "url_path", "path", "depth")
    )


@register.inclusion_tag("cms/includes/main_menu.html", takes_context=True)
def main_menu(context) -> dict:
    """The menu items for the request's site in the active language (one query)."""
    request = context.get("request")
    site = Site.find_for_request(request) if request else None
    if site is None:
        return {"items": [], "request": request}
    page = context.get("page")
    shown_path = getattr(page, "url_path", None) if isinstance(page, Page) else None
    items = [
        MenuItem(
            page=item,
            current=item.url_path == shown_path,
            in_section=bool(shown_path)
            and shown_path != item.url_path
            and shown_path.startswith(item.url_path),
        )
        for item in menu_pages(site, get_language())
    ]
    return {"items": items, "request": request}
