"""Template tags for the site frame: the main menu from the page tree."""

from django import template
from django.utils.translation import get_language
from wagtail.models import Locale, Page, Site

register = template.Library()


@register.inclusion_tag("cms/includes/main_menu.html", takes_context=True)
def main_menu(context) -> dict:
    """Live pages marked "show in menus" directly under the home page, in the page's language.

    Two queries: the site's root page in the current locale, and its menu children.
    """
    request = context.get("request")
    site = Site.find_for_request(request) if request else None
    items: list[Page] = []
    if site is not None:
        root = site.root_page
        locale = Locale.objects.filter(language_code=get_language()).first()
        if locale is not None and root.locale_id != locale.pk:
            root = root.get_translation_or_none(locale) or root
        items = list(
            root.get_children().live().in_menu().specific(defer=True).only("title", "url_path")
        )
    current = getattr(context.get("page"), "pk", None)
    return {"items": items, "current": current, "request": request}
