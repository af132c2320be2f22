"""The URL permission matrix: every URL pattern is classified, and protected ones are walked.

A new URL that is not listed here fails ``test_every_url_is_classified``: decide who may
see it, add it to the matrix, and the walk tests then check that decision.
"""

from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation

from accounts import services
from accounts.models import Membership
from accounts.roles import Role
from tests.feedback.url_cases import feedback_cases, feedback_world
from tests.projects import url_cases_consultations, url_cases_delivery, url_cases_proposals
from tests.projects.world import project_councils
from tests.stations.url_cases import stations_cases, stations_world
from tests.volunteers.url_cases import volunteers_cases, volunteers_world

PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = "signed_in"  # any signed-in user; anonymous is sent to the login page
SCOPED = "scoped"  # signed in and the right role/area/owner; others get 404
STAFF = "staff"  # the Django and Wagtail admins: is_staff users only

# Our own and the libraries' named URLs, one decision each.
MATRIX: dict[str, str] = {
    # Stations: the station workspace, delivery log, goods intake and private photos.
    "stations:workspace": SCOPED,
    "stations:listing_delivery": SCOPED,
    "stations:delivery_log": SCOPED,
    "stations:intake_record": SCOPED,
    "stations:photo_upload": SCOPED,
    "stations:delivery_attest": SCOPED,
    "stations:photo_share": SCOPED,
    "stations:photo": SCOPED,
    "stations:impact": SCOPED,  # a donor's or sponsor's view of the outcome
    "stations:shared_photo": SCOPED,
    # Feedback: the recipient's one-time link, public satisfaction, follow-ups and cases.
    "feedback:respond": PUBLIC,  # the one-time token in the URL is the key; throttled
    "feedback:thanks": PUBLIC,
    "feedback:satisfaction": PUBLIC,  # averages, counts and response rates only
    "feedback:follow_ups": SCOPED,
    "feedback:follow_up": SCOPED,
    "feedback:cases": SCOPED,
    "feedback:case": SCOPED,
    # Volunteers: a volunteer's own pages, and the station's shifts and hours.
    "volunteers:profile": SIGNED_IN,
    "volunteers:shifts": SIGNED_IN,
    "volunteers:my_hours": SIGNED_IN,
    "volunteers:certificate": SIGNED_IN,
    "volunteers:signup": SCOPED,
    "volunteers:cancel": SCOPED,
    "volunteers:station_shifts": SCOPED,
    "volunteers:shift": SCOPED,
    "volunteers:shift_cancel": SCOPED,
    "volunteers:shift_complete": SCOPED,
    "volunteers:check_in": SCOPED,
    "volunteers:check_out": SCOPED,
    "volunteers:verify": SCOPED,
    "volunteers:totals": SCOPED,
    "volunteers:totals_csv": SCOPED,
    # Operations and language
    "healthz": PUBLIC,
    "livez": PUBLIC,
    "set_language": PUBLIC,
    # Editorial pages (Wagtail) and their documents
    "wagtail_serve": PUBLIC,
    "wagtailcore_authenticate_with_password": PUBLIC,
    "wagtailcore_login": PUBLIC,
    "wagtaildocs_serve": PUBLIC,
    "wagtaildocs_authenticate_with_password": PUBLIC,
    # allauth
    "account_login": PUBLIC,
    "account_logout": PUBLIC,
    "account_inactive": PUBLIC,
    "account_signup": PUBLIC,
    "account_email_verification_sent": PUBLIC,
    "account_confirm_email": PUBLIC,
    "account_reset_password": PUBLIC,
    "account_reset_password_done": PUBLIC,
    "account_reset_password_from_key": PUBLIC,
    "account_reset_password_from_key_done": PUBLIC,
    "account_request_login_code": PUBLIC,
    "account_confirm_login_code": PUBLIC,
    "account_reauthenticate": SIGNED_IN,
    "account_email": SIGNED_IN,
    "account_change_password": SIGNED_IN,
    "account_set_password": SIGNED_IN,
    # Station directory
    "accounts:stations": PUBLIC,
    "accounts:station": PUBLIC,
    # The signed-in user's own pages
    "accounts:dashboard": SIGNED_IN,
    "accounts:profile": SIGNED_IN,
    "accounts:invitation": SIGNED_IN,
    # Organisation members and administrators
    "accounts:organisation": SCOPED,
    "accounts:organisation_invite": SCOPED,
    "accounts:invitation_revoke": SCOPED,
    "accounts:membership_admin": SCOPED,
    "accounts:membership_remove": SCOPED,
    # Staff workspace, by role and area
    "accounts:workspace": SCOPED,
    "accounts:region": SCOPED,
    "accounts:audit": SCOPED,
    "accounts:region_role_assign": SCOPED,
    "accounts:role_revoke": SCOPED,
    # Wishes: the public and the requester
    "wishes:notice": PUBLIC,
    "wishes:published": PUBLIC,
    "wishes:public": PUBLIC,
    "wishes:track": PUBLIC,  # a signed link is the key
    "wishes:new": SIGNED_IN,
    "wishes:mine": SIGNED_IN,
    "wishes:object": SIGNED_IN,
    "wishes:my_wish": SCOPED,
    "wishes:my_wish_withdraw": SCOPED,
    # Wishes: staff, by role and area
    "wishes:queue": SCOPED,
    "wishes:export": SCOPED,
    "wishes:intake": SCOPED,
    "wishes:formula": SCOPED,
    "wishes:staff_detail": SCOPED,
    "wishes:household": SCOPED,
    "wishes:accept": SCOPED,
    "wishes:verify": SCOPED,
    "wishes:refer": SCOPED,
    "wishes:review": SCOPED,
    "wishes:reject": SCOPED,
    "wishes:send_back": SCOPED,
    "wishes:answer": SCOPED,
    "wishes:withdraw": SCOPED,
    "wishes:aid_record": SCOPED,
    "wishes:objection_decide": SCOPED,
    "wishes:attachment_upload": SCOPED,
    "wishes:attachment": SCOPED,
    # Marketplace: the public, donors, staff, and the payment provider
    "marketplace:list": PUBLIC,
    "marketplace:detail": PUBLIC,
    # The open ledger (阳光账本) and its downloads
    "marketplace:ledger": PUBLIC,
    "marketplace:ledger_download": PUBLIC,
    "marketplace:ledger_fund": PUBLIC,
    "marketplace:ledger_fund_download": PUBLIC,
    "marketplace:campaign_page": PUBLIC,
    "marketplace:campaign_download": PUBLIC,
    "marketplace:listing_ledger": PUBLIC,
    "marketplace:listing_ledger_download": PUBLIC,
    "payments:stripe_webhook": PUBLIC,  # POST only; only a valid Stripe signature acts
    "marketplace:claim": SIGNED_IN,
    "marketplace:pledge": SIGNED_IN,
    "marketplace:giving": SIGNED_IN,
    "marketplace:pledge_detail": SCOPED,
    "marketplace:pledge_pay": SCOPED,
    "marketplace:pledge_cancel": SCOPED,
    "marketplace:claim_release": SCOPED,
    "marketplace:receipt": SCOPED,
    "marketplace:staff_list": SCOPED,
    "marketplace:staff_detail": SCOPED,
    "marketplace:staff_cancel": SCOPED,
    "marketplace:staff_extend": SCOPED,
    "marketplace:staff_offline_confirm": SCOPED,
    # Funds, matching campaigns and counterparts (fund managers; organisations' admins)
    "marketplace:funds": SCOPED,
    "marketplace:fund_create": SCOPED,
    "marketplace:counterparts": SCOPED,
    "marketplace:fund": SCOPED,
    "marketplace:fund_top_up": SCOPED,
    "marketplace:fund_allocate": SCOPED,
    "marketplace:campaign_create": SCOPED,
    "marketplace:campaign": SCOPED,
    "marketplace:campaign_edit": SCOPED,
    "marketplace:campaign_move": SCOPED,
    # Payouts from listings, confirmed delivery, express funding of wishes
    "marketplace:disbursement_request": SCOPED,
    "marketplace:disbursements": SCOPED,
    "marketplace:disbursement_approve": SCOPED,
    "marketplace:disbursement_reject": SCOPED,
    "wishes:express_pay": SCOPED,
    "wishes:express_fallback": SCOPED,
}
PROJECT_CASES = (url_cases_proposals, url_cases_consultations, url_cases_delivery)
for _module in PROJECT_CASES:
    MATRIX.update(_module.MATRIX)
STAFF_PREFIXES = ("admin/", "cms/admin/")


def _walk(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            yield prefix + str(p.pattern), name


def all_patterns() -> list[tuple[str, str | None]]:
    with translation.override("zh-hans"):
        return list(_walk(get_resolver().url_patterns))


def classify(route: str, name: str | None) -> str | None:
    if route.startswith(STAFF_PREFIXES):
        return STAFF
    return MATRIX.get(name or "")


def test_every_url_is_classified():
    unclassified = [
        (route, name) for route, name in all_patterns() if classify(route, name) is None
    ]
    assert not unclassified, f"Classify these URLs in tests/test_urls.py MATRIX: {unclassified}"


def test_matrix_has_no_stale_entries():
    names = {name for _route, name in all_patterns()}
    assert not set(MATRIX) - names


# --- The walk ---------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    kwargs: dict[str, Any]
    allowed: Any  # a user who gets 200
    wrong: Any  # a signed-in user of the wrong area/owner/role: 404
    method: str = "get"
    ok: int = 200
    data: dict[str, Any] | None = None


@pytest.fixture
def world(city, make_user, superuser):
    """Users on both sides of every line the matrix draws."""
    org_admin = make_user(email="boss@example.org")
    organisation = services.organisation_create(
        actor=org_admin, name="华信", kind="company", region=city.north
    )
    member = make_user(email="member@example.org")
    Membership.objects.create(organisation=organisation, user=member)
    invitation = services.organisation_invite(
        actor=org_admin, organisation=organisation, email="new@example.org"
    )
    return {
        "city": city,
        "organisation": organisation,
        "org_admin": org_admin,
        "member": member,
        "outsider": make_user(email="outsider@example.org"),
        "invitation": invitation,
        "north_staff": make_user(Role.STATION_STAFF, city.north_a),
        "south_staff": make_user(Role.STATION_STAFF, city.south_a),
        "supervisor": make_user(Role.SUPERVISOR, city.north),
        "volunteer": make_user(Role.VOLUNTEER, city.city),
        "city_admin": make_user(Role.CITY_ADMIN, city.city),
        "membership": organisation.memberships.get(user=member),
        **_wish_world(city, make_user),
        **_funds_world(city, make_user),
        **stations_world(city, make_user),
        **_projects_world(city, make_user),
        **volunteers_world(city, make_user),
    }


def _projects_world(city, make_user) -> dict[str, Any]:
    councils = project_councils(city, make_user, prefix="matrix.")
    world: dict[str, Any] = {"councils": councils}
    for module in PROJECT_CASES:
        world.update(module.world(city, make_user, councils))
    return world


def _funds_world(city, make_user) -> dict[str, Any]:
    """The city fund, the north town's fund and a draft campaign on it."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from marketplace import funds

    admin = make_user(Role.CITY_ADMIN, city.city, email="funds.admin@example.org")
    north = make_user(Role.TOWN_REVIEWER, city.north, email="funds.north@example.org")
    south = make_user(Role.TOWN_REVIEWER, city.south, email="funds.south@example.org")
    city_fund = funds.fund_create(actor=admin, name="市专项资金", owner="city", region=city.city)
    funds.fund_top_up(
        actor=admin, fund=city_fund, kind="appropriation", amount=Decimal("50000"), reference="拨-1"
    )
    north_fund = funds.fund_create(
        actor=admin,
        name="北城街道资金",
        owner="town",
        region=city.north,
        counterpart_ratio=Decimal("1.00"),
    )
    campaign = funds.campaign_create(
        actor=north,
        fund=north_fund,
        rules=funds.CampaignRules(
            name="北城配捐",
            tiers=[{"up_to": None, "ratio": "1.00"}],
            pool_cap=Decimal("1000"),
            region=city.north,
            starts_at=timezone.now() - timedelta(hours=1),
        ),
        slug="north-match",
    )
    from marketplace import services as market
    from marketplace.services import LineSpec
    from tests.marketplace.money import pay

    payout_staff = make_user(Role.STATION_STAFF, city.north_a, email="payout.staff@example.org")
    project = market.listing_publish(
        source=north_fund,  # any row will do as a stand-in project
        kind="project",
        title="小区健身角",
        story="为小区添置健身器材。",
        category="public_facility",
        community=city.north_a,
        lines=[LineSpec(kind="money", target=Decimal("3000"))],
    )
    pay(market.pledge_create(donor=admin, line=project.lines.get(), quantity=Decimal("500")))
    payout = funds.disbursement_request(
        actor=payout_staff,
        listing=project,
        amount=Decimal("100"),
        payee_kind="supplier",
        payee_name="某器材公司",
        stage="第一期",
    )
    return {
        "payout_staff": payout_staff,
        "project": project,
        "payout": payout,
        "funds_admin": admin,
        "funds_north": north,
        "funds_south": south,
        "city_fund": city_fund,
        "north_fund": north_fund,
        "campaign": campaign,
    }


def _wish_world(city, make_user) -> dict[str, Any]:
    """A wish in each state an action needs, all at the north station."""
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from tests.wishes.factories import make_household, make_wish
    from wishes import services as wish_services
    from wishes.attachments import attachment_add
    from wishes.models import Status
    from wishes.services import NeedLine

    staff = make_user(Role.STATION_STAFF, city.north_a, email="wish.staff@example.org")
    reviewer = make_user(Role.TOWN_REVIEWER, city.north, email="wish.reviewer@example.org")
    south_reviewer = make_user(Role.TOWN_REVIEWER, city.south, email="south.reviewer@example.org")
    requester = make_user(email="requester@example.org")

    def submitted():
        return wish_services.wish_submit(
            user=requester,
            household=make_household(city.north_a, requester),
            title="轮椅",
            story="需要一台轮椅方便出门。",
            category="elder_care",
            urgency="normal",
            needs=[NeedLine(kind="money", amount=1000)],
        )

    def wish(status=Status.ACCEPTED):
        return make_wish(staff, city.north_a, status=status, reviewer=reviewer)

    notice = wish(Status.NOTICE)
    objection = wish_services.objection_file(user=requester, wish=notice, text="有异议")
    image = BytesIO()
    Image.new("RGB", (8, 8), "red").save(image, "PNG")
    shown = wish()
    attachment = attachment_add(
        actor=staff, wish=shown, upload=SimpleUploadedFile("a.png", image.getvalue()), kind="photo"
    )
    return {
        "wish_staff": staff,
        "wish_reviewer": reviewer,
        "south_reviewer": south_reviewer,
        "requester": requester,
        "shown": shown,
        "attachment": attachment,
        "submitted": submitted(),
        "own": submitted(),
        "own_withdraw": submitted(),
        "accepted": {name: wish() for name in ("verify", "refer", "withdraw", "aid")},
        "verified": {name: wish(Status.VERIFIED) for name in ("review", "reject", "send_back")},
        "referred": wish(Status.REFERRED),
        "notice": notice,
        "objection": objection,
        **_market_world(requester, wish),
        **feedback_world(staff, wish),
    }


def _market_world(donor, publish) -> dict[str, Any]:
    """Listings from published wishes: pledges, a claim, a received payment, one to cancel."""
    from decimal import Decimal

    from marketplace import services as market
    from marketplace.models import Listing
    from marketplace.payments import services as payments
    from wishes.models import Status

    def listing():
        return Listing.objects.of(publish(Status.PUBLISHED)).get()

    first, claimed, doomed = listing(), listing(), listing()
    line = first.lines.get(kind="money")
    shown = market.pledge_create(donor=donor, line=line, quantity=Decimal("100"))
    to_cancel = market.pledge_create(donor=donor, line=line, quantity=Decimal("100"))
    offline = payments.payment_start(pledge=shown, provider_id="offline")
    paid_pledge = market.pledge_create(donor=donor, line=line, quantity=Decimal("100"))
    paid = payments.payment_succeeded(
        payment=payments.payment_start(pledge=paid_pledge, provider_id="offline")
    )
    return {
        "listing": first,
        "doomed_listing": doomed,
        "shown_pledge": shown,
        "pledge_to_cancel": to_cancel,
        "offline_payment": offline,
        "receipt": paid.receipt,
        "claim": market.claim_create(donor=donor, listing=claimed),
    }


def scoped_cases(w) -> list[Case]:
    org, inv = w["organisation"], w["invitation"]
    return [
        Case("accounts:organisation", {"pk": org.pk}, allowed=w["member"], wrong=w["outsider"]),
        Case(
            "accounts:organisation_invite",
            {"pk": org.pk},
            allowed=w["org_admin"],
            wrong=w["member"],
        ),
        Case(
            "accounts:invitation_revoke",
            {"pk": org.pk, "invitation_pk": inv.pk},
            allowed=w["org_admin"],
            wrong=w["member"],
            method="post",
            ok=302,
        ),
        Case(
            "accounts:membership_admin",
            {"pk": org.pk, "member_pk": w["membership"].pk},
            allowed=w["org_admin"],
            wrong=w["member"],
            method="post",
            ok=302,
            data={"is_admin": "1"},
        ),
        Case(
            "accounts:membership_remove",
            {"pk": org.pk, "member_pk": w["membership"].pk},
            allowed=w["org_admin"],
            wrong=w["outsider"],
            method="post",
            ok=302,
        ),
        Case("accounts:workspace", {}, allowed=w["north_staff"], wrong=w["volunteer"]),
        Case(
            "accounts:region",
            {"pk": w["city"].north_a.pk},
            allowed=w["north_staff"],
            wrong=w["south_staff"],
        ),
        Case("accounts:audit", {}, allowed=w["supervisor"], wrong=w["north_staff"]),
        Case(
            "accounts:region_role_assign",
            {"pk": w["city"].north_a.pk},
            allowed=w["city_admin"],
            wrong=w["supervisor"],  # may read the area, may not give roles in it
            method="post",
            ok=302,
            data={"email": w["outsider"].email, "role": Role.VOLUNTEER, "reason": "test"},
        ),
        Case(
            "accounts:role_revoke",
            {"pk": w["north_staff"].role_assignments.get().pk},
            allowed=w["city_admin"],
            wrong=w["supervisor"],
            method="post",
            ok=302,
        ),
        *wish_cases(w),
        *market_cases(w),
        *funds_cases(w),
        *stations_cases(w),
        *volunteers_cases(w),
        *feedback_cases(w),
        *[case for module in PROJECT_CASES for case in module.cases(w)],
    ]


def funds_cases(w) -> list[Case]:
    admin, north, south = w["funds_admin"], w["funds_north"], w["funds_south"]
    town, campaign = w["north_fund"], w["campaign"]
    return [
        Case("marketplace:funds", {}, allowed=north, wrong=w["north_staff"]),
        Case("marketplace:fund_create", {}, allowed=admin, wrong=w["supervisor"]),
        Case("marketplace:counterparts", {}, allowed=north, wrong=w["org_admin"]),
        Case("marketplace:fund", {"pk": town.pk}, allowed=north, wrong=south),
        Case(
            "marketplace:fund_top_up",
            {"pk": town.pk},
            allowed=north,
            wrong=south,
            method="post",
            ok=302,
            data={"kind": "counterpart", "amount": "1000", "reference": "配-1"},
        ),
        Case(
            "marketplace:fund_allocate",
            {"pk": w["city_fund"].pk},
            allowed=admin,
            wrong=north,
            method="post",
            ok=302,
            data={"target": town.pk, "amount": "2000", "reference": "划-1"},
        ),
        Case("marketplace:campaign_create", {"pk": town.pk}, allowed=north, wrong=south),
        Case("marketplace:campaign", {"pk": campaign.pk}, allowed=north, wrong=south),
        Case("marketplace:campaign_edit", {"pk": campaign.pk}, allowed=north, wrong=south),
        Case(
            "marketplace:disbursement_request",
            {"pk": w["project"].pk},
            allowed=w["payout_staff"],
            wrong=w["south_staff"],
            method="post",
            ok=400,
        ),
        Case("marketplace:disbursements", {}, allowed=north, wrong=w["north_staff"]),
        Case(
            "marketplace:disbursement_approve",
            {"pk": w["payout"].pk},
            allowed=north,
            wrong=south,
            method="post",
            ok=400,
        ),
        Case(
            "marketplace:disbursement_reject",
            {"pk": w["payout"].pk},
            allowed=north,
            wrong=south,
            method="post",
            ok=400,
        ),
        Case(
            "wishes:express_pay",
            {"pk": w["shown"].pk},
            allowed=w["wish_reviewer"],
            wrong=w["south_reviewer"],
            method="post",
            ok=400,
        ),
        Case(
            "wishes:express_fallback",
            {"pk": w["shown"].pk},
            allowed=w["wish_reviewer"],
            wrong=w["south_reviewer"],
            method="post",
            ok=400,
        ),
        Case(
            "marketplace:campaign_move",
            {"pk": campaign.pk},
            allowed=north,
            wrong=south,
            method="post",
            ok=302,
            data={"to": "active"},
        ),
    ]


def market_cases(w) -> list[Case]:
    from datetime import timedelta

    from django.utils import timezone

    donor, staff, reviewer = w["requester"], w["wish_staff"], w["wish_reviewer"]
    later = (timezone.localdate() + timedelta(days=90)).isoformat()
    return [
        Case(
            "marketplace:pledge_detail",
            {"pk": w["shown_pledge"].pk},
            allowed=donor,
            wrong=w["outsider"],
        ),
        Case(
            "marketplace:pledge_pay",
            {"pk": w["shown_pledge"].pk},
            allowed=donor,
            wrong=w["outsider"],
        ),
        Case(
            "marketplace:receipt",
            {"number": w["receipt"].number},
            allowed=donor,
            wrong=w["outsider"],
        ),
        Case(
            "marketplace:pledge_cancel",
            {"pk": w["pledge_to_cancel"].pk},
            allowed=donor,
            wrong=w["outsider"],
            method="post",
            ok=302,
        ),
        Case(
            "marketplace:claim_release",
            {"pk": w["claim"].pk},
            allowed=donor,
            wrong=w["outsider"],
            method="post",
            ok=302,
        ),
        Case("marketplace:staff_list", {}, allowed=staff, wrong=w["volunteer"]),
        Case(
            "marketplace:staff_detail",
            {"pk": w["listing"].pk},
            allowed=staff,
            wrong=w["south_staff"],
        ),
        Case(
            "marketplace:staff_offline_confirm",
            {"pk": w["offline_payment"].pk},
            allowed=staff,
            wrong=w["south_staff"],
            method="post",
            ok=302,
            data={"receipt_number": "BANK-2026-001"},
        ),
        Case(
            "marketplace:staff_extend",
            {"pk": w["listing"].pk},
            allowed=reviewer,
            wrong=w["south_reviewer"],
            method="post",
            ok=302,
            data={"deadline": later, "reason": "捐赠人需要更多时间"},
        ),
        Case(
            "marketplace:staff_cancel",
            {"pk": w["doomed_listing"].pk},
            allowed=reviewer,
            wrong=w["south_reviewer"],
            method="post",
            ok=302,
            data={"reason": "需求已由政府救助解决"},
        ),
    ]


def wish_cases(w) -> list[Case]:
    staff, reviewer, south_staff, south_reviewer = (
        w["wish_staff"],
        w["wish_reviewer"],
        w["south_staff"],
        w["south_reviewer"],
    )
    shown, acc, ver = w["shown"], w["accepted"], w["verified"]
    objection = w["objection"]

    def post(name, wish, allowed, wrong, data, ok=302):
        return Case(
            name, {"pk": wish.pk}, allowed=allowed, wrong=wrong, method="post", ok=ok, data=data
        )

    return [
        Case(
            "wishes:my_wish",
            {"reference": w["own"].reference},
            allowed=w["requester"],
            wrong=w["outsider"],
        ),
        Case(
            "wishes:my_wish_withdraw",
            {"reference": w["own_withdraw"].reference},
            allowed=w["requester"],
            wrong=w["outsider"],
            method="post",
            ok=302,
            data={"reason": "已解决"},
        ),
        Case("wishes:queue", {}, allowed=staff, wrong=w["volunteer"]),
        Case("wishes:export", {}, allowed=staff, wrong=w["volunteer"]),
        Case("wishes:intake", {}, allowed=staff, wrong=w["volunteer"]),
        Case("wishes:formula", {}, allowed=staff, wrong=w["volunteer"]),
        Case("wishes:staff_detail", {"pk": shown.pk}, allowed=staff, wrong=south_staff),
        Case("wishes:household", {"pk": shown.pk}, allowed=staff, wrong=south_staff),
        Case(
            "wishes:attachment", {"token": w["attachment"].token}, allowed=staff, wrong=south_staff
        ),
        post(
            "wishes:attachment_upload", shown, staff, south_staff, {"kind": "photo"}, ok=400
        ),  # no file
        post("wishes:accept", w["submitted"], staff, south_staff, {"accept": "1"}),
        post(
            "wishes:verify",
            acc["verify"],
            staff,
            south_staff,
            {"visited_on": "2026-11-20", "notes": "入户核实"},
        ),
        post(
            "wishes:refer",
            acc["refer"],
            staff,
            south_staff,
            {"to_station": w["city"].station_south.pk, "reason": "户籍在南城"},
        ),
        post(
            "wishes:withdraw",
            acc["withdraw"],
            staff,
            south_staff,
            {"withdraw-reason": "需求已解决"},
        ),
        post(
            "wishes:aid_record",
            acc["aid"],
            staff,
            south_staff,
            {
                "received_on": "2026-11-01",
                "value": "500",
                "source": "government",
                "description": "临时救助",
            },
        ),
        post(
            "wishes:review",
            ver["review"],
            reviewer,
            south_reviewer,
            {"route": "station", "reason": "符合条件", "duplicate_reason": "需求不同"},
        ),
        post(
            "wishes:reject",
            ver["reject"],
            reviewer,
            south_reviewer,
            {"reject-reason": "不符合条件"},
        ),
        post(
            "wishes:send_back",
            ver["send_back"],
            reviewer,
            south_reviewer,
            {"send_back-reason": "请补充材料"},
        ),
        post("wishes:answer", w["referred"], staff, south_staff, {"answer": "已纳入低保"}),
        post(
            "wishes:objection_decide",
            objection,
            reviewer,
            south_reviewer,
            {
                f"objection-{objection.pk}-decision": "dismiss",
                f"objection-{objection.pk}-reason": "经核实不成立",
            },
        ),
    ]


def test_every_scoped_url_is_walked(world):
    walked = {case.name for case in scoped_cases(world)}
    assert walked == {name for name, kind in MATRIX.items() if kind == SCOPED}


@pytest.mark.django_db
def test_scoped_urls_anonymous_wrong_area_right_role(client, world):
    for case in scoped_cases(world):
        url = reverse(case.name, kwargs=case.kwargs)
        method = getattr(client, case.method)

        def send(url=url, method=method, case=case):
            return method(url, case.data) if case.data else method(url)

        client.logout()
        response = send()
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], case.name
        client.force_login(case.wrong)
        assert send().status_code == 404, f"{case.name}: wrong area/owner must be 404"
        client.force_login(case.allowed)
        assert send().status_code == case.ok, case.name


@pytest.mark.django_db
def test_signed_in_urls_send_anonymous_to_login_and_serve_users(client, world):
    simple = {
        "volunteers:profile": {},
        "volunteers:shifts": {},
        "volunteers:my_hours": {},
        "volunteers:certificate": {},
        "accounts:dashboard": {},
        "accounts:profile": {},
        "accounts:invitation": {"token": world["invitation"].token},
        "account_email": {},
        "account_change_password": {},
        "wishes:new": {},
        "wishes:mine": {},
        "marketplace:giving": {},
        "marketplace:claim": {"reference": world["listing"].reference},
        "marketplace:pledge": {"reference": world["listing"].reference},
    }
    # Each part of the projects app hands over (name, kwargs, method, data, status) rows.
    project_rows = [row for module in PROJECT_CASES for row in module.signed_in_cases(world)]
    assert set(simple) | {row[0] for row in project_rows} | {
        "account_reauthenticate",
        "account_set_password",
        "wishes:object",
    } == {name for name, kind in MATRIX.items() if kind == SIGNED_IN}
    for name, kwargs, method, data, status in project_rows:
        url = reverse(name, kwargs=kwargs)
        send = getattr(client, method)
        client.logout()
        response = send(url, data) if data else send(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
        client.force_login(world["outsider"])
        response = send(url, data) if data else send(url)
        assert response.status_code == status, name
    for name, kwargs in simple.items():
        url = reverse(name, kwargs=kwargs)
        client.logout()
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
        client.force_login(world["outsider"])
        assert client.get(url).status_code == 200, name
    # These two only redirect a signed-in user elsewhere (they have a password already /
    # reauthentication needs a recent login flow); anonymous still goes to login.
    for name in ("account_reauthenticate", "account_set_password"):
        client.logout()
        assert "/accounts/login/" in client.get(reverse(name))["Location"]
    # Objecting is a POST from a wish's public page; anonymous is sent to sign in first.
    url = reverse("wishes:object", args=[world["notice"].reference])
    client.logout()
    assert "/accounts/login/" in client.post(url, {"text": "x"})["Location"]
    client.force_login(world["outsider"])
    assert client.post(url, {"text": "该户情况不符"}).status_code == 302


@pytest.mark.django_db
def test_public_urls_serve_anonymous(client, world):
    from cms.demo import seed_site

    seed_site()
    station = world["city"].station_north
    for url in [
        "/healthz",
        reverse("accounts:stations"),
        reverse("accounts:station", args=[station.pk]),
        "/zh-hans/",
        "/en/",
        reverse("account_login"),
        reverse("account_signup"),
        reverse("account_request_login_code"),
        reverse("account_reset_password"),
        reverse("feedback:satisfaction"),
        reverse("feedback:thanks"),
    ]:
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_admins_are_for_staff_only(client, world, superuser):
    for url in ("/admin/", "/admin/accounts/roleassignment/", "/cms/admin/"):
        client.logout()
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url
        client.force_login(world["supervisor"])  # a role is not admin access
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url
        client.force_login(superuser)
        assert client.get(url).status_code == 200, url
