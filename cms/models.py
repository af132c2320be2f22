"""Editorial pages. Domain data (wishes, projects, money) never lives on a page; pages show it."""

from django.core.paginator import Paginator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

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
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    subpage_types = ["cms.StandardPage", "cms.NewsIndexPage"]
    parent_page_types = ["wagtailcore.Page"]
    max_count_per_parent = 1
    template = "cms/home_page.html"

    latest_news_count = 3

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # One query: the newest live news anywhere under this (language's) home page.
        context["latest_news"] = list(
            NewsPage.objects.descendant_of(self)
            .live()
            .public()
            .order_by("-date", "-pk")[: self.latest_news_count]
        )
        return context


class StandardPage(Page):
    """Policies, guides, about."""

    intro = models.CharField(_("introduction"), max_length=250, blank=True)
    body = StreamField(StandardStreamBlock(), verbose_name=_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["cms.HomePage", "cms.StandardPage"]
    subpage_types = ["cms.StandardPage"]
    template = "cms/standard_page.html"

    class Meta:
        verbose_name = _("standard page")


class NewsIndexPage(Page):
    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    subpage_types = ["cms.NewsPage"]
    parent_page_types = ["cms.HomePage"]
    max_count_per_parent = 1
    template = "cms/news_index_page.html"

    per_page = 10

    class Meta:
        verbose_name = _("news index page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # Two queries whatever the number of news: the count and the page of news.
        news = NewsPage.objects.child_of(self).live().public().order_by("-date", "-pk")
        context["news"] = Paginator(news, self.per_page).get_page(request.GET.get("page"))
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
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.FilterField("date"),
    ]
    subpage_types: list[str] = []
    parent_page_types = ["cms.NewsIndexPage"]
    template = "cms/news_page.html"

    class Meta:
        verbose_name = _("news page")
