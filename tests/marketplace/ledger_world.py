"""A small city's money, built through the services, for the public ledger's tests.

``build()`` makes every kind of movement the ledger shows: an appropriation and a donation
to the city fund, an allocation to a town's fund with its counterpart deposit, a 1:1
matching campaign, paid and matched pledges on three listings, a refund (whose match goes
back to the fund), two disbursements (to a supplier, and to a recipient with a private
bank account) and an express payment to a private payee. Personal data is planted where
it is stored (the households, the recipient's account, the express payee, and a refund
reason a careless clerk wrote) so the privacy tests can look for it.

The figures, worked out by hand (yuan):

    donors      1,300 paid for listings (500 + 300 + 400 + 100) + 3,000 given to a fund
    public      100,000 appropriated + 20,000 counterpart deposit
    matched     500 + 300 + 400 + 100 − 100 returned = 1,200
    paid out    1,000 supplier + 600 recipient + 800 express = 2,400
    refunded    100
    held        escrow 800 (listing B) + city fund 81,800 + town fund 39,200 = 121,800
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Membership
from accounts.roles import Role
from marketplace import funds, services, staff_services
from marketplace.models import (
    Campaign,
    CampaignStatus,
    Fund,
    FundOwner,
    Listing,
    PayeeKind,
    Pledge,
    TopUpKind,
)
from marketplace.payments import services as payments
from tests.accounts.factories import OrganisationFactory, UserFactory
from tests.marketplace.money import pay
from tests.marketplace.test_browse import publish
from tests.wishes.factories import make_wish
from wishes.models import Route, Status, Wish
from wishes.services import NeedLine, wish_express_pay

RECIPIENT_ACCOUNT = "6222020200112233445"
EXPRESS_PAYEE = "收款人隐秘名PAYEE-PRIVATE"
EXPRESS_ACCOUNT = "6217000099887766554"
# A refund reason as a careless clerk might write it: it must never reach the public.
REFUND_REASON = "捐赠人张隐私REFUND-PRIVATE要求退款，电话13912345678"
DONOR_EMAIL_DOMAIN = "ledger-donor-private.example.org"
HIDDEN_DONOR = "匿名捐赠人真名HIDDEN-PRIVATE"
SUPPLIER = "康复器材有限公司"
COMPANY = "爱心公司"
NAMED_DONOR = "热心邻居"


@dataclass
class World:
    city_fund: Fund
    town_fund: Fund
    campaign: Campaign
    supplier_listing: Listing  # A: paid out to a supplier
    wish_listing: Listing  # W: a direct wish, paid out to the recipient
    open_listing: Listing  # B: open, money held in escrow, a refund
    wish: Wish
    express_wish: Wish
    refunded: Pledge


def campaign(fund: Fund, actor, slug: str, *, start: bool = True, **rules) -> Campaign:
    """``funds_helpers.make_campaign`` with a web address of its own (a Chinese name
    slugifies to nothing, and two such campaigns made in one second would collide)."""
    defaults = {
        "name": slug,
        "tiers": [{"up_to": None, "ratio": "1.00"}],
        "pool_cap": Decimal("10000"),
        "region": fund.region,
        "starts_at": timezone.now() - timedelta(hours=1),
    }
    defaults.update(rules)
    made = funds.campaign_create(
        actor=actor, fund=fund, rules=funds.CampaignRules(**defaults), slug=slug
    )
    if start:
        made = funds.campaign_move(actor=actor, campaign=made, to=CampaignStatus.ACTIVE)
    return made


def _money_pledge(listing: Listing, donor, amount: str, **options) -> Pledge:
    line = listing.lines.get(kind="money")
    pledge = services.pledge_create(donor=donor, line=line, quantity=Decimal(amount), **options)
    pay(pledge)
    return pledge


def build(city, make_user, city_admin, city_fund) -> World:
    staff = make_user(Role.STATION_STAFF, city.north_a)
    south_staff = make_user(Role.STATION_STAFF, city.south_a)
    reviewer = make_user(Role.TOWN_REVIEWER, city.north)

    town_fund = funds.fund_create(
        actor=city_admin,
        name="北城街道慈善基金",
        owner=FundOwner.TOWN,
        region=city.north,
        counterpart_ratio=Decimal("1.00"),
    )
    funds.fund_allocate(
        actor=city_admin,
        source=city_fund,
        target=town_fund,
        amount=Decimal("20000"),
        reference="东财拨〔2026〕3号",
    )
    funds.fund_top_up(
        actor=city_admin,
        fund=town_fund,
        kind=TopUpKind.COUNTERPART,
        amount=Decimal("20000"),
        reference="北财配〔2026〕1号",
        source="北城街道财政所",
    )
    funds.fund_top_up(
        actor=city_admin,
        fund=city_fund,
        kind=TopUpKind.DONATION,
        amount=Decimal("3000"),
        reference="捐-2026-001",
        source="东莞爱心基金会",
    )
    one_to_one = campaign(
        city_fund, city_admin, "yi-pei-yi", name="一元配一元", pool_cap=Decimal("2000")
    )

    named = UserFactory(display_name=NAMED_DONOR, email=f"named@{DONOR_EMAIL_DOMAIN}")
    hidden = UserFactory(display_name=HIDDEN_DONOR, email=f"hidden@{DONOR_EMAIL_DOMAIN}")
    member = UserFactory(display_name="员工", email=f"member@{DONOR_EMAIL_DOMAIN}")
    company = OrganisationFactory(name=COMPANY, region=city.north)
    Membership.objects.create(organisation=company, user=member)
    plain = UserFactory(display_name="退款人", email=f"plain@{DONOR_EMAIL_DOMAIN}")

    # A: ¥1,000, half given, half matched, delivered, paid to a supplier.
    supplier_listing = publish(city.north_a, title="社区康复器材", money="1000.00")
    _money_pledge(supplier_listing, named, "500")
    staff_services.listing_delivered(actor=staff, listing=supplier_listing, note="已送达")
    payout = funds.disbursement_request(
        actor=staff,
        listing=supplier_listing,
        amount=Decimal("1000"),
        payee_kind=PayeeKind.SUPPLIER,
        payee_name=SUPPLIER,
    )
    funds.disbursement_approve(actor=city_admin, disbursement=payout, payment_reference="付-001")

    # W: a direct wish of ¥600, given anonymously and matched, paid to the recipient.
    wish = make_wish(
        staff,
        city.north_a,
        status=Status.PUBLISHED,
        reviewer=reviewer,
        title="为独居老人添置助行器",
        needs=[NeedLine(kind="money", amount=Decimal("600.00"))],
    )
    wish_listing = Listing.objects.of(wish).get()
    _money_pledge(wish_listing, hidden, "300", anonymous=True)
    staff_services.listing_delivered(actor=staff, listing=wish_listing, note="已送达")
    payout = funds.disbursement_request(
        actor=staff,
        listing=wish_listing,
        amount=Decimal("600"),
        payee_kind=PayeeKind.RECIPIENT,
        recipient_account=RECIPIENT_ACCOUNT,
    )
    funds.disbursement_approve(actor=city_admin, disbursement=payout, payment_reference="付-002")

    # B: open; a company's gift is matched; another gift is refunded and its match returned.
    open_listing = publish(city.south_a, title="儿童课后辅导", money="2000.00")
    _money_pledge(open_listing, member, "400", organisation=company)
    refunded = _money_pledge(open_listing, plain, "100")
    payments.payment_refund(
        payment=refunded.payments.get(),
        actor=city_admin,
        reason=REFUND_REASON,
        refund_reference="退-001",
    )
    assert south_staff  # the south station exists, with its own staff

    # E: an express wish paid by the town's fund to a private payee.
    express_wish = make_wish(
        staff, city.north_a, status=Status.PUBLISHED, reviewer=reviewer, route=Route.EXPRESS
    )
    wish_express_pay(
        actor=reviewer,
        wish=express_wish,
        fund=town_fund,
        payee_name=EXPRESS_PAYEE,
        payee_account=EXPRESS_ACCOUNT,
        payment_reference="速-001",
    )
    return World(
        city_fund=city_fund,
        town_fund=town_fund,
        campaign=one_to_one,
        supplier_listing=supplier_listing,
        wish_listing=wish_listing,
        open_listing=open_listing,
        wish=wish,
        express_wish=express_wish,
        refunded=refunded,
    )
