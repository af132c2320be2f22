"""Editorial pages. Domain data (wishes, projects, money) never lives on a page; pages show it."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

from cms.blocks import HomeStreamBlock, StandardStreamBlock


@register_setting(icon="site")
class SiteSettings(BaseSiteSetting):
    hotline = models.CharField(_("hotline"), max_length=30, default="12345")
    contact_email = models.EmailField(_("contact email"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)

    panels = [FieldPanel("hotline"), FieldPanel("contact_email"), FieldPanel("address")]

    class Meta:
        verbose_name = _("site settings")


class HomePage(Page):
    intro = models.CharField(_("introduction"), max_length=250, blank=True)
    body = StreamField(HomeStreamBlock(), verbose_name=_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    subpage_types = ["cms.StandardPage", "cms.NewsIndexPage"]
    parent_page_types = ["wagtailcore.Page"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("home page")


class StandardPage(Page):
    """Policies, guides, about."""

    intro = models.CharField(_("introduction"), max_length=250, blank=True)
    body = StreamField(StandardStreamBlock(), verbose_name=_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    subpage_types = ["cms.StandardPage"]

    class Meta:
        verbose_name = _("standard page")


class NewsIndexPage(Page):
    intro = RichTextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["cms.NewsPage"]
    parent_page_types = ["cms.HomePage"]

    class Meta:
        verbose_name = _("news index page")

    def get_context(self, request, *args, **kwargs):
        from django.core.paginator import Paginator

        context = super().get_context(request, *args, **kwargs)
        news = NewsPage.objects.child_of(self).live().order_by("-date", "-pk")
        context["news"] = Paginator(news, 10).get_page(request.GET.get("page"))
        return context


class NewsPage(Page):
    date = models.DateField(_("date"))
    summary = models.CharField(_("summary"), max_length=250, blank=True)
    body = StreamField(StandardStreamBlock(), verbose_name=_("body"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("date"),
        FieldPanel("summary"),
        FieldPanel("body"),
    ]
    subpage_types: list[str] = []
    parent_page_types = ["cms.NewsIndexPage"]

    class Meta:
        verbose_name = _("news page")
