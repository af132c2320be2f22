from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    """Wagtail pages, snippets and blocks. Domain data never lives on a page."""

    name = "cms"
    verbose_name = _("Site content")
