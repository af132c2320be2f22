"""Load the demo city: regions, stations, organisations, one user per role, site content.

Idempotent: running it again changes nothing and prints the same logins. Dev only: it
refuses to run when DEBUG is off unless told ``--force``.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import services
from accounts.models import (
    Organisation,
    OrganisationKind,
    Region,
    RegionLevel,
    RoleAssignment,
    Station,
    User,
)
from accounts.roles import Role

DEMO_PASSWORD = "linli-demo-2026"  # noqa: S105 - printed on purpose, dev only

CITY = ("dg", "东莞市", "Dongguan")
TOWNS = [
    (
        "dg-gc",
        "莞城街道",
        "Guancheng Street",
        [
            ("dg-gc-by", "北隅社区", "Beiyu"),
            ("dg-gc-xy", "西隅社区", "Xiyu"),
            ("dg-gc-xt", "兴塘社区", "Xingtang"),
        ],
    ),
    (
        "dg-nc",
        "南城街道",
        "Nancheng Street",
        [
            ("dg-nc-ym", "元美社区", "Yuanmei"),
            ("dg-nc-sh", "胜和社区", "Shenghe"),
            ("dg-nc-sg", "石鼓社区", "Shigu"),
        ],
    ),
    (
        "dg-dc",
        "东城街道",
        "Dongcheng Street",
        [
            ("dg-dc-zs", "主山社区", "Zhushan"),
            ("dg-dc-sy", "桑园社区", "Sangyuan"),
            ("dg-dc-wt", "温塘社区", "Wentang"),
        ],
    ),
    (
        "dg-sl",
        "石龙镇",
        "Shilong Town",
        [
            ("dg-sl-xh", "西湖社区", "Xihu"),
            ("dg-sl-zsd", "中山东社区", "Zhongshan East"),
            ("dg-sl-hz", "黄洲村", "Huangzhou Village"),
        ],
    ),
]
STATIONS = [
    (
        "dg-gc-by",
        "北隅社区莞家驿站",
        "Beiyu Station",
        "莞城街道北隅社区服务中心一楼",
        "+8676922100001",
    ),
    ("dg-gc-xt", "兴塘社区莞家驿站", "Xingtang Station", "莞城街道兴塘路 18 号", "+8676922100002"),
    (
        "dg-nc-ym",
        "元美社区莞家驿站",
        "Yuanmei Station",
        "南城街道元美路 9 号党群服务中心",
        "+8676922100003",
    ),
    ("dg-nc-sh", "胜和社区莞家驿站", "Shenghe Station", "南城街道胜和路 112 号", "+8676922100004"),
    ("dg-dc-zs", "主山社区莞家驿站", "Zhushan Station", "东城街道主山大道 66 号", "+8676922100005"),
    ("dg-dc-wt", "温塘社区莞家驿站", "Wentang Station", "东城街道温塘社区文化楼", "+8676922100006"),
    ("dg-sl-xh", "西湖社区莞家驿站", "Xihu Station", "石龙镇西湖路 3 号", "+8676922100007"),
    ("dg-sl-hz", "黄洲村莞家驿站", "Huangzhou Station", "石龙镇黄洲村委会旁", "+8676922100008"),
]
ORGANISATIONS = [
    (
        "东莞华信电子有限公司",
        OrganisationKind.COMPANY,
        "dg-nc",
        "电子制造企业，长期认领社区微心愿。",
    ),
    (
        "松湖科技股份有限公司",
        OrganisationKind.COMPANY,
        "dg-dc",
        "科技企业，提供员工志愿服务与配捐。",
    ),
    ("东莞市慈善会", OrganisationKind.CHARITY, "dg", "全市慈善联合会，管理慈善配套资金。"),
    (
        "东莞市阳光社工服务中心",
        OrganisationKind.SOCIAL_ORGANISATION,
        "dg-gc",
        "驻站社工机构，开展入户核查与个案服务。",
    ),
    (
        "南城心连心志愿者协会",
        OrganisationKind.SOCIAL_ORGANISATION,
        "dg-nc",
        "社区志愿者队伍，服务独居长者与留守儿童。",
    ),
    (
        "石龙镇黄洲村股份经济联合社",
        OrganisationKind.VILLAGE_COLLECTIVE,
        "dg-sl-hz",
        "村集体经济组织，支持本村微实事。",
    ),
]
# (email, display name, role or None, region code, what the login is for)
PEOPLE = [
    ("admin@linli.local", "系统管理员", None, None, "Django and Wagtail admin (superuser)"),
    ("city.admin@linli.local", "陈建国", Role.CITY_ADMIN, "dg", "city administrator, Dongguan"),
    (
        "supervisor@linli.local",
        "王秀英",
        Role.SUPERVISOR,
        "dg",
        "supervisor (read-only auditor), Dongguan",
    ),
    (
        "town.reviewer@linli.local",
        "李志强",
        Role.TOWN_REVIEWER,
        "dg-nc",
        "town reviewer, Nancheng Street",
    ),
    (
        "station.staff@linli.local",
        "张丽华",
        Role.STATION_STAFF,
        "dg-nc-ym",
        "station staff, Yuanmei community",
    ),
    (
        "council@linli.local",
        "刘伟",
        Role.COUNCIL_MEMBER,
        "dg-nc-sh",
        "council member and secretary, Shenghe community",
    ),
    ("volunteer@linli.local", "黄敏", Role.VOLUNTEER, "dg-nc", "volunteer, Nancheng Street"),
    ("donor@linli.local", "周明", None, None, "individual donor"),
    (
        "company@linli.local",
        "吴海燕",
        None,
        None,
        "administrator of 东莞华信电子有限公司 (company donor)",
    ),
    ("resident@linli.local", "赵桂兰", None, None, "resident who raises wishes"),
]


class Command(BaseCommand):
    help = "Load the demo city (idempotent) and print one login per role."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the logins.")

    def handle(self, *args, force: bool = False, quiet_logins: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo loads demo users with a published password; use --force to run it here."
            )
        with transaction.atomic():
            regions = self._regions()
            self._stations(regions)
            users = self._people(regions)
            self._organisations(regions, users)
        from cms.demo import seed_site
        from marketplace.demo import seed_claim, seed_funds, seed_giving
        from projects.demo import seed_projects
        from stations.demo import seed_stations
        from wishes.demo import seed_wishes

        seed_wishes()
        seed_giving()
        seed_funds()
        seed_claim()
        seed_stations()
        seed_projects()
        seed_site()
        if not quiet_logins:
            self._print_logins()

    def _regions(self) -> dict[str, Region]:
        regions = {r.code: r for r in Region.objects.all()}

        def ensure(code, name, name_en, level, parent):
            if code not in regions:
                regions[code] = services.region_create(
                    actor=None, name=name, name_en=name_en, code=code, level=level, parent=parent
                )
            return regions[code]

        city = ensure(*CITY, RegionLevel.CITY, None)
        for code, name, name_en, communities in TOWNS:
            town = ensure(code, name, name_en, RegionLevel.TOWN, city)
            for c_code, c_name, c_name_en in communities:
                ensure(c_code, c_name, c_name_en, RegionLevel.COMMUNITY, town)
        return regions

    def _stations(self, regions: dict[str, Region]) -> None:
        for code, name, name_en, address, phone in STATIONS:
            Station.objects.get_or_create(
                community=regions[code],
                name=name,
                defaults={
                    "name_en": name_en,
                    "address": address,
                    "phone": phone,
                    "opening_hours": "周一至周五 9:00–12:00, 14:00–17:30",
                },
            )

    def _people(self, regions: dict[str, Region]) -> dict[str, User]:
        from allauth.account.models import EmailAddress

        users: dict[str, User] = {}
        for email, name, role, _region_code, _purpose in PEOPLE:
            user = User.objects.filter(email=email).first()
            if user is None:
                maker = (
                    User.objects.create_superuser
                    if role is None and email.startswith("admin@")
                    else User.objects.create_user
                )
                user = maker(email=email, password=DEMO_PASSWORD, display_name=name)
            EmailAddress.objects.get_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            users[email] = user
        admin = users["admin@linli.local"]
        for email, _name, role, region_code, _purpose in PEOPLE:
            if role is None:
                continue
            region = regions[region_code]
            user = users[email]
            if (
                not RoleAssignment.objects.active()
                .filter(user=user, role=role, region=region)
                .exists()
            ):
                services.role_assign(
                    actor=admin, user=user, role=role, region=region, reason="demo data"
                )
        return users

    def _organisations(self, regions: dict[str, Region], users: dict[str, User]) -> None:
        admin = users["admin@linli.local"]
        for name, kind, region_code, description in ORGANISATIONS:
            if Organisation.objects.filter(name=name).exists():
                continue
            first_admin = users["company@linli.local"] if name.startswith("东莞华信") else admin
            services.organisation_create(
                actor=admin,
                admin=first_admin,
                name=name,
                kind=kind,
                region=regions[region_code],
                description=description,
                is_verified=True,
            )

    def _campaign_url(self) -> str:
        """The public page of the demo's matching campaign ("" if the demo has none)."""
        from django.urls import reverse
        from django.utils import translation

        from marketplace.demo import FEDERATION_CAMPAIGN
        from marketplace.models import Campaign

        if not Campaign.objects.filter(slug=FEDERATION_CAMPAIGN).exists():
            return ""
        with translation.override(settings.LANGUAGE_CODE):
            path = reverse("marketplace:campaign_page", kwargs={"slug": FEDERATION_CAMPAIGN})
        return f"http://127.0.0.1:8000{path}"

    def _print_logins(self) -> None:
        out = self.stdout
        out.write("")
        out.write(
            self.style.SUCCESS(
                "Demo city loaded: 东莞市 Dongguan, 4 towns, 12 communities, 8 stations."
            )
        )
        out.write(f"Demo logins (dev only; every password is {DEMO_PASSWORD}):")
        width = max(len(p[0]) for p in PEOPLE)
        for email, name, _role, _region, purpose in PEOPLE:
            out.write(f"  {email:<{width}}  {name}  {purpose}")
        out.write(
            "Demo wishes in every status, in 南城街道: station.staff@ and town.reviewer@ have them in their queues."
        )
        campaign = self._campaign_url()
        if campaign:
            out.write(f"Matching: 东莞市慈善会 1:1 (city.admin@ manages it): {campaign}")
        out.write("Sign in by email and password, or by a one-time code sent to the console.")
        out.write("Site: http://127.0.0.1:8000/   Django admin: /admin/   Wagtail: /cms/admin/")
