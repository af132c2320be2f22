"""Demo site content in Chinese with its English translation: the home page, "About" and a
guide in the menu, a news section with two news, and the site settings.

Idempotent; called by ``manage.py seed_demo``. A page is looked up by its slug under its
parent (Chinese) or as a translation (English); whatever exists is left as it is.
"""

from datetime import date

from django.db import transaction
from wagtail.models import Locale, Page, Site

from cms.models import HomePage, NewsIndexPage, NewsPage, SiteSettings, StandardPage

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


ABOUT = {
    "slug": "about",
    "zh": {
        "title": "关于邻里",
        "intro": "邻里是一个公开的社区互助平台：把困难群众的微心愿和社区的微实事，交给愿意帮忙的人来认领。",
        "body": [
            ("heading", "我们做什么"),
            (
                "paragraph",
                "<p>过去，微心愿和微实事靠驿站社工、网格员和村居干部一张表、一通电话地办。邻里把这些环节搬到一个公开的平台上："
                "需求如何登记、谁核实、谁审批、谁认领、钱和物资去了哪里，每一步都有记录，每一笔钱都可追溯。</p>",
            ),
            ("heading", "一个需求的四条出路"),
            (
                "paragraph",
                "<ul><li><b>现行政策</b>：低保、医疗救助、教育资助等政策已经覆盖的，转介给责任部门并限时跟踪，首问负责人对结果负责。</li>"
                "<li><b>莞家速递</b>：小额急难需求由专项资金先行解决，不必等待认领。</li>"
                "<li><b>莞家直达</b>：适合社会参与的需求公开发布，由企业、社会组织、慈善机构和个人认领，直接送到受助人或社区。</li>"
                "<li><b>莞家驿站</b>：探访、心理疏导、维修等服务需求，由驿站组织志愿者上门。</li></ul>",
            ),
            ("heading", "公开，也保护隐私"),
            (
                "paragraph",
                "<p>公示的只是需求本身、所在社区和办理进度。受助人的姓名、住址、电话和证明材料只有经办的驿站和审核人员能看到。</p>",
            ),
        ],
    },
    "en": {
        "title": "About Linli",
        "intro": "Linli is an open platform for community help: the small wishes of people in hardship and the "
        "micro-projects of their communities, claimed by those who can help.",
        "body": [
            ("heading", "What we do"),
            (
                "paragraph",
                "<p>Micro-wishes and micro-projects used to run on paper forms and phone calls between station social "
                "workers, grid workers and village cadres. Linli puts every step on one open platform: how a need is "
                "recorded, who checks it, who approves it, who claims it, and where the money and goods went. Every "
                "step is on the record and every yuan is traceable.</p>",
            ),
            ("heading", "Four ways a need gets met"),
            (
                "paragraph",
                "<ul><li><b>Existing policy</b>: needs already covered by a public scheme (minimum living allowance, "
                "medical aid, education aid) are referred to the responsible department and tracked to a deadline; "
                "the officer who first accepted the request stays accountable.</li>"
                "<li><b>Express</b>: small urgent needs are paid at once from a special fund, without waiting for a "
                "donor.</li>"
                "<li><b>Direct</b>: needs that suit social participation are published and claimed by companies, "
                "charities and individuals, who deliver straight to the person or community.</li>"
                "<li><b>Station</b>: services such as visits, counselling and repairs are organised by the community "
                "station and its volunteers.</li></ul>",
            ),
            ("heading", "Open, and private where it matters"),
            (
                "paragraph",
                "<p>What is published is the need itself, its community and its progress. A recipient's name, "
                "address, phone number and documents are seen only by the station and the reviewers handling "
                "the case.</p>",
            ),
        ],
    },
}
GUIDE = {
    "slug": "how-to-claim-a-wish",
    "zh": {
        "title": "如何认领微心愿",
        "intro": "个人、企业和社会组织都可以认领已经公示的微心愿。从注册到交付，一共五步。",
        "body": [
            ("heading", "五个步骤"),
            (
                "paragraph",
                "<ol><li><b>注册</b>：用邮箱注册并验证；企业和社会组织由管理员在“我的邻里”中登记单位信息。</li>"
                "<li><b>浏览</b>：按镇街、社区和类别查看已公示的微心愿，每个心愿都写明需要资金、物资还是服务。</li>"
                "<li><b>认领</b>：选择认捐的金额、物资或服务时长，提交后驿站会在一个工作日内与您联系。</li>"
                "<li><b>交付</b>：物资送到驿站，或由驿站工作人员陪同上门；资金进入专户，由驿站按用途支付。</li>"
                "<li><b>反馈</b>：驿站登记交付情况，受助人确认并评价，您可以在“我的邻里”里看到结果。</li></ol>",
            ),
            ("heading", "时限"),
            (
                "paragraph",
                "<p>个人急难类微心愿自受理起 <b>5 个工作日内</b>办结；认领后请尽快与驿站约定交付时间。"
                "紧急情况下驿站会在 1 个工作日内到场。</p>",
            ),
            ("heading", "需要帮助？"),
            (
                "paragraph",
                "<p>拨打页面底部的服务热线，或到就近的莞家驿站咨询。</p>",
            ),
        ],
    },
    "en": {
        "title": "How to claim a wish",
        "intro": "Anyone, company or social organisation can claim a published micro-wish. From signing up to "
        "delivery it takes five steps.",
        "body": [
            ("heading", "Five steps"),
            (
                "paragraph",
                "<ol><li><b>Sign up</b> with your email address and confirm it. Companies and social organisations "
                "register through their administrator in My Linli.</li>"
                "<li><b>Browse</b> published wishes by town, community and category; each says whether it needs "
                "money, goods or a service.</li>"
                "<li><b>Claim</b> a wish with an amount, goods or hours of service. The station will contact you "
                "within one working day.</li>"
                "<li><b>Deliver</b> goods to the station, or visit with station staff; money goes to the special "
                "account and the station pays it out for the stated purpose.</li>"
                "<li><b>See the outcome</b>: the station records the delivery, the recipient confirms and rates "
                "it, and you see the result in My Linli.</li></ol>",
            ),
            ("heading", "Time limits"),
            (
                "paragraph",
                "<p>Urgent individual wishes are resolved <b>within 5 working days</b> of acceptance, so please agree "
                "a delivery time with the station soon after claiming. In an emergency the station is on site "
                "within 1 working day.</p>",
            ),
            ("heading", "Need help?"),
            (
                "paragraph",
                "<p>Call the hotline at the bottom of every page, or ask at your nearest community station.</p>",
            ),
        ],
    },
}
NEWS_INDEX = {
    "slug": "news",
    "zh": {"title": "新闻动态", "intro": "<p>邻里平台和各镇街莞家驿站的最新消息。</p>"},
    "en": {"title": "News", "intro": "<p>The latest from Linli and the community stations.</p>"},
}
NEWS = [
    {
        "slug": "first-stations-open",
        "date": date(2026, 9, 15),
        "zh": {
            "title": "首批八个莞家驿站在四个镇街挂牌启用",
            "summary": "莞城、南城、东城街道和石龙镇的八个社区驿站同日启用，居民可就近登记微心愿、捐赠物资、报名志愿服务。",
            "body": [
                (
                    "paragraph",
                    "<p>9 月 15 日，莞城街道北隅、兴塘，南城街道元美、胜和，东城街道主山、温塘，石龙镇西湖和黄洲村的八个莞家驿站挂牌启用。"
                    "驿站设在党群服务中心或村委会旁，工作日上午 9 点到 12 点、下午 2 点到 5 点半开放。</p>",
                ),
                ("heading", "驿站能办什么"),
                (
                    "paragraph",
                    "<ul><li>为自己或家人登记微心愿，驿站社工负责入户核实；</li>"
                    "<li>接收企业和居民捐赠的物资，登记后送到受助人手中；</li>"
                    "<li>报名成为志愿者，参与探访独居长者、辅导留守儿童等服务。</li></ul>",
                ),
            ],
        },
        "en": {
            "title": "First eight community stations open in four towns",
            "summary": "Stations in Guancheng, Nancheng, Dongcheng and Shilong opened on the same day: residents can "
            "record wishes, donate goods and sign up as volunteers close to home.",
            "body": [
                (
                    "paragraph",
                    "<p>On 15 September eight community stations opened: Beiyu and Xingtang in Guancheng Street, "
                    "Yuanmei and Shenghe in Nancheng Street, Zhushan and Wentang in Dongcheng Street, and Xihu and "
                    "Huangzhou Village in Shilong Town. They sit in community service centres or next to the "
                    "village committee and are open on working days, 9:00 to 12:00 and 14:00 to 17:30.</p>",
                ),
                ("heading", "What a station does"),
                (
                    "paragraph",
                    "<ul><li>records a wish for you or your family; a station social worker checks it at home;</li>"
                    "<li>receives goods donated by companies and residents and takes them to the recipients;</li>"
                    "<li>signs up volunteers for visits to elderly people living alone, tutoring for "
                    "left-behind children and more.</li></ul>",
                ),
            ],
        },
    },
    {
        "slug": "first-wishes-met",
        "date": date(2026, 10, 28),
        "zh": {
            "title": "试运行首月：46 个微心愿全部在 5 个工作日内办结",
            "summary": "企业、社会组织和志愿者认领 31 个，莞家速递专项资金解决 15 个。",
            "body": [
                (
                    "paragraph",
                    "<p>平台试运行第一个月，八个驿站共受理个人微心愿 46 个，全部在 5 个工作日内办结。"
                    "其中 31 个由企业、社会组织和志愿者认领，15 个小额急难需求通过莞家速递专项资金直接解决。</p>",
                ),
                ("heading", "认领了什么"),
                (
                    "paragraph",
                    "<p>认领最多的是助学文具和校服、轮椅和助行器、独居长者的上门探访。"
                    "东莞华信电子有限公司一次认领了元美社区 12 户家庭的助学心愿；南城心连心志愿者协会承担了 40 小时的探访服务。</p>",
                ),
                (
                    "paragraph",
                    "<p>每一个心愿的交付记录和受助人评价都已在平台公开，资金去向可以逐笔查询。</p>",
                ),
            ],
        },
        "en": {
            "title": "First month: all 46 wishes met within 5 working days",
            "summary": "Companies, social organisations and volunteers claimed 31; the express fund met the "
            "other 15.",
            "body": [
                (
                    "paragraph",
                    "<p>In the platform's first month the eight stations accepted 46 individual micro-wishes and "
                    "resolved every one within 5 working days. Companies, social organisations and volunteers "
                    "claimed 31 of them; 15 small urgent needs were paid straight from the express fund.</p>",
                ),
                ("heading", "What was claimed"),
                (
                    "paragraph",
                    "<p>The most claimed wishes were school supplies and uniforms, wheelchairs and walkers, and "
                    "home visits to elderly people living alone. Dongguan Huaxin Electronics claimed the school "
                    "wishes of 12 families in Yuanmei at once; the Nancheng Heart-to-Heart Volunteers gave 40 hours "
                    "of visits.</p>",
                ),
                (
                    "paragraph",
                    "<p>The delivery record and the recipient's rating of every wish are public on the platform, and "
                    "every payment can be traced.</p>",
                ),
            ],
        },
    },
]


def _child(parent: Page, model: type[Page], slug: str, fields: dict, **extra) -> Page:
    """The live child of *parent* with *slug*, created and published if missing."""
    page = model.objects.child_of(parent).filter(slug=slug).first()
    if page is None:
        page = model(slug=slug, **fields, **extra)
        parent.add_child(instance=page)
        page.save_revision().publish()
    return page


def _translation(page: Page, locale: Locale, fields: dict) -> Page:
    """The translation of *page* into *locale*, created and published if missing."""
    translation = page.get_translation_or_none(locale)
    if translation is None:
        translation = page.copy_for_translation(locale)
        for field, value in fields.items():
            setattr(translation, field, value)
        translation.save_revision().publish()
    return translation.specific


def _seed_pages(home: HomePage, en: Locale) -> None:
    for model, content in ((StandardPage, ABOUT), (StandardPage, GUIDE)):
        page = _child(home, model, content["slug"], content["zh"], show_in_menus=True)
        _translation(page, en, content["en"])
    news_index = _child(
        home, NewsIndexPage, NEWS_INDEX["slug"], NEWS_INDEX["zh"], show_in_menus=True
    )
    _translation(news_index, en, NEWS_INDEX["en"])
    for news in NEWS:
        page = _child(news_index, NewsPage, news["slug"], news["zh"], date=news["date"])
        _translation(page, en, news["en"])


@transaction.atomic
def seed_site() -> HomePage:
    zh, _ = Locale.objects.get_or_create(language_code="zh-hans")
    en, _ = Locale.objects.get_or_create(language_code="en")
    # Migrations create the tree's root; a database flushed since (tests that truncate
    # tables, a hand-cleared demo) has none, so put it back rather than fail.
    root = Page.get_first_root_node() or Page.add_root(
        instance=Page(title="Root", slug="root", locale=zh)
    )
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
    _translation(home, en, HOME_EN)
    _seed_pages(home, en)
    settings = SiteSettings.for_site(site)
    if not settings.contact_email:
        settings.hotline = "12345"
        settings.contact_email = "help@linli.local"
        settings.address = "东莞市南城街道元美路 9 号"
        settings.save()
    return home
