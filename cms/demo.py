"""Demo site content: a home page in Chinese and its English translation, the site settings.

Idempotent; called by ``manage.py seed_demo``.
"""

from django.db import transaction
from wagtail.models import Locale, Page, Site

from cms.models import HomePage, SiteSettings

HOME_ZH = {
    "title": "邻里",
    "intro": "社区微心愿与微实事，由愿意帮忙的邻里、企业和慈善组织来认领。",
    "body": [
        ("heading", "每一个心愿都有人接住"),
        (
            "paragraph",
            "<p>居民、网格员和驿站社工把困难群众的微心愿和社区的微实事登记上来，经过核实、审核和公示后公开认领。"
            "企业、社会组织和志愿者认捐资金、物资或服务，驿站记录交付，受助人评价结果。每一笔钱都可追溯。</p>",
        ),
        (
            "call_to_action",
            {
                "heading": "找到身边的驿站",
                "text": "驿站就在社区里，可以登记需求、捐赠物资、报名志愿服务。",
                "link_url": "/zh-hans/stations/",
                "button_label": "查看驿站",
            },
        ),
    ],
}
HOME_EN = {
    "title": "Linli",
    "intro": "Community wishes and micro-projects, met by the neighbours, companies and charities who can help.",
    "body": [
        ("heading", "Every wish finds someone to meet it"),
        (
            "paragraph",
            "<p>Residents, grid workers and station social workers record the small wishes of people in hardship and the "
            "micro-projects of their communities. Once verified, reviewed and publicly noticed, they are open to claim. "
            "Companies, charities and volunteers pledge money, goods or service; stations log delivery; recipients rate "
            "the outcome. Every yuan is traceable.</p>",
        ),
        (
            "call_to_action",
            {
                "heading": "Find your community station",
                "text": "Stations take in requests, receive donated goods and organise volunteers.",
                "link_url": "/en/stations/",
                "button_label": "See stations",
            },
        ),
    ],
}


@transaction.atomic
def seed_site() -> HomePage:
    zh, _ = Locale.objects.get_or_create(language_code="zh-hans")
    en, _ = Locale.objects.get_or_create(language_code="en")
    root = Page.get_first_root_node()
    home = HomePage.objects.filter(locale=zh).first()
    if home is None:
        # Replace Wagtail's welcome page with our home page.
        for welcome in Page.objects.filter(depth=2).exclude(content_type__model="homepage"):
            Site.objects.filter(root_page=welcome).delete()
            welcome.delete()
        if root.locale_id != zh.pk:
            Page.objects.filter(pk=root.pk).update(locale=zh)
            root.refresh_from_db()
        home = HomePage(slug="home", locale=zh, **HOME_ZH)
        root.add_child(instance=home)
        home.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        site = Site.objects.create(
            hostname="localhost",
            port=80,
            root_page=home,
            is_default_site=True,
            site_name="邻里 Linli",
        )
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.save()
    if not home.get_translations().filter(locale=en).exists():
        english = home.copy_for_translation(en)
        for field, value in HOME_EN.items():
            setattr(english, field, value)
        english.save_revision().publish()
    settings = SiteSettings.for_site(site)
    if not settings.contact_email:
        settings.hotline = "12345"
        settings.contact_email = "help@linli.local"
        settings.address = "东莞市南城街道元美路 9 号"
        settings.save()
    return home
