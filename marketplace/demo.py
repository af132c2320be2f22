"""Demo giving: on the demo's published listings, a claim, pledges in each state, and money
received by bank transfer with its receipt; then the money behind them — the city's special
fund, two towns' funds with their counterpart deposits, the charity federation's and a
company's matching campaigns, matched pledges, a refund, a payout and an express payment.
Idempotent; called by ``manage.py seed_demo``.

Everything goes through the services, so the demo's ledger, audit trail and counters are
those real use would leave.
"""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, Region, User
from marketplace import funds, services
from marketplace.models import (
    Campaign,
    CampaignStatus,
    Claim,
    Fund,
    FundOwner,
    LineKind,
    Listing,
    ListingStatus,
    PayeeKind,
    Pledge,
    TopUpKind,
)
from marketplace.payments import services as payments
from marketplace.payments.offline import offline_confirm
from stations.services import delivery_log


@transaction.atomic
def seed_giving() -> int:
    """Returns how many pledges were made (0 if there already are some)."""
    if Pledge.objects.exists() or Claim.objects.exists():
        return 0
    listings = list(Listing.objects.filter(status=ListingStatus.OPEN).order_by("pk"))
    if not listings:
        return 0
    donor = User.objects.get(email="donor@linli.local")
    company_admin = User.objects.get(email="company@linli.local")
    company = Organisation.objects.get(name="东莞华信电子有限公司")
    staff = User.objects.get(email="station.staff@linli.local")
    made = 0
    # The first listing: the company pledges half its money and pays by transfer; an
    # individual pledges anonymously and has not paid yet.
    first = listings[0]
    money = first.lines.filter(kind=LineKind.MONEY).first()
    if money is not None:
        half = (money.target / 2).quantize(Decimal("1"))
        paid = services.pledge_create(
            donor=company_admin, line=money, quantity=half, organisation=company
        )
        payment = payments.payment_start(pledge=paid, provider_id="offline")
        offline_confirm(actor=staff, payment=payment, receipt_number="ICBC-DEMO-0001")
        services.pledge_create(donor=donor, line=money, quantity=Decimal("100"), anonymous=True)
        made += 2
    return made


def seed_claim() -> bool:
    """A goods wish claimed whole by the individual donor (published after the funds' own
    wishes, so nobody has pledged to it). Returns whether it was made (once)."""
    from wishes.demo import Demo, _goods, _household, _run, demo_people
    from wishes.models import Route, Status

    if Claim.objects.exists():
        return False
    people = demo_people()
    wish = _run(
        Demo(
            status=Status.PUBLISHED,
            community="dg-nc-sg",
            household=_household(
                24,
                head_name="黎某芬（演示）",
                member_count=2,
                monthly_income_per_person=Decimal("900.00"),
                child_dependants=1,
            ),
            title="单亲家庭的孩子需要一张书桌和台灯",
            story="孩子上四年级，家里只有一张饭桌，每天趴在床边写作业。希望有一张书桌和一盏护眼台灯。",
            category="education",
            urgency="normal",
            needs=[_goods("儿童书桌", 1, "可调节高度"), _goods("护眼台灯", 1)],
            route=Route.DIRECT,
            reason="入户查看属实，物资清单明确，发布供社会认领。",
        ),
        **people,
    )
    listing = Listing.objects.of(wish).get()
    services.claim_create(donor=people["donor"], listing=listing)
    return True


# --- Funds, matching and the ledger --------------------------------------------------------

CITY_FUND = "东莞市民生微实事专项资金"
FEDERATION = "东莞市慈善会"
COMPANY = "东莞华信电子有限公司"
FEDERATION_CAMPAIGN = "charity-federation-1-to-1"


def fund_wishes():
    """Three more wishes in 南城街道, through the wishes services like the rest of the demo:
    one to be fully pledged, delivered and paid out, one left open (with a refund on it), and
    an express wish paid from the town's fund. (The wishes demo's own express wish stays
    waiting in the reviewer's queue, to be paid by hand.)"""
    from wishes.demo import Demo, _household, _money
    from wishes.models import Route, Status

    return [
        Demo(
            status=Status.PUBLISHED,
            community="dg-nc-ym",
            household=_household(
                21,
                head_name="邓某珍（演示）",
                monthly_income_per_person=Decimal("950.00"),
                disability_grade=4,
            ),
            title="独居老人家中加装扶手和防滑地面",
            story="老人八十五岁，独自居住，上个月在卫生间滑倒，所幸没有骨折。希望在卫生间和走廊加装扶手、"
            "铺设防滑地面，由专业师傅上门安装。",
            category="elder_care",
            urgency="urgent",
            needs=[_money("1600.00")],
            route=Route.DIRECT,
            reason="入户查看属实，改造项目和报价清楚，发布供社会认领。",
        ),
        Demo(
            status=Status.PUBLISHED,
            community="dg-nc-sg",
            household=_household(
                22,
                head_name="韦某才（演示）",
                member_count=2,
                monthly_income_per_person=Decimal("800.00"),
                serious_illness=True,
            ),
            title="慢阻肺老人需要一台家用制氧机",
            story="老人患慢性阻塞性肺病多年，出院后医生建议每天在家吸氧。租用制氧机费用高，家里想买一台"
            "医用级家用制氧机。",
            category="medical",
            urgency="urgent",
            needs=[_money("3200.00")],
            channel="home_visit",
            route=Route.DIRECT,
            reason="医院出院小结建议家庭氧疗，情况属实，发布认领。",
        ),
        Demo(
            status=Status.PUBLISHED,
            community="dg-nc-ym",
            household=_household(
                23,
                head_name="覃某英（演示）",
                member_count=3,
                monthly_income_per_person=Decimal("700.00"),
                child_dependants=1,
                disaster_loss=Decimal("6000.00"),
            ),
            title="暴雨后住房受淹，急需更换床铺和炉灶",
            story="连续暴雨使一楼住房进水半米，床铺、被褥和炉灶都泡坏了，一家三口暂时睡在地铺上。",
            category="daily_living",
            urgency="emergency",
            needs=[_money("1500.00")],
            channel="grid_worker",
            route=Route.EXPRESS,
            express_amount="1500.00",
            reason="突发灾情属实，走速递通道由街道民生微实事资金先行解决。",
        ),
    ]


def _pay(pledge: Pledge, *, confirmer: User, receipt: str):
    """The donor pays by bank transfer; staff confirm it with the bank's receipt number."""
    payment = payments.payment_start(pledge=pledge, provider_id="offline")
    return offline_confirm(actor=confirmer, payment=payment, receipt_number=receipt)


def _campaign(actor: User, fund: Fund, slug: str, **rules) -> Campaign:
    campaign = funds.campaign_create(
        actor=actor,
        fund=fund,
        rules=funds.CampaignRules(starts_at=timezone.now() - timedelta(days=7), **rules),
        slug=slug,
    )
    return funds.campaign_move(actor=actor, campaign=campaign, to=CampaignStatus.ACTIVE)


@transaction.atomic
def seed_funds() -> int:
    """Load the demo's funds, campaigns and the money through them, once. Returns how many
    funds were opened (0 if there already are some)."""
    from wishes.demo import _run, demo_people

    if Fund.objects.exists():
        return 0
    people = demo_people()
    staff, reviewer, donor = people["staff"], people["reviewer"], people["donor"]
    city_admin = User.objects.get(email="city.admin@linli.local")
    company_admin = User.objects.get(email="company@linli.local")
    volunteer = User.objects.get(email="volunteer@linli.local")
    council = User.objects.get(email="council@linli.local")
    regions = {r.code: r for r in Region.objects.filter(code__in=["dg", "dg-nc", "dg-dc"])}
    federation = Organisation.objects.get(name=FEDERATION)
    company = Organisation.objects.get(name=COMPANY)

    # The city's special fund, and what it passes to two towns, which put in their share.
    city = funds.fund_create(
        actor=city_admin,
        name=CITY_FUND,
        owner=FundOwner.CITY,
        region=regions["dg"],
        description="市财政安排的民生微实事专项资金，用于速递心愿和向各镇街分配。",
    )
    funds.fund_top_up(
        actor=city_admin,
        fund=city,
        kind=TopUpKind.APPROPRIATION,
        amount=Decimal("800000"),
        reference="东财〔2026〕18号",
        source="东莞市财政局",
    )
    nancheng = funds.fund_create(
        actor=city_admin,
        name="南城街道民生微实事资金",
        owner=FundOwner.TOWN,
        region=regions["dg-nc"],
        counterpart_ratio=Decimal("1.00"),
        description="市级分配资金与街道 1:1 配套资金。",
    )
    dongcheng = funds.fund_create(
        actor=city_admin,
        name="东城街道民生微实事资金",
        owner=FundOwner.TOWN,
        region=regions["dg-dc"],
        counterpart_ratio=Decimal("0.50"),
        description="市级分配资金与街道 1:0.5 配套资金。",
    )
    funds.fund_allocate(
        actor=city_admin,
        source=city,
        target=nancheng,
        amount=Decimal("100000"),
        reference="东民微〔2026〕5号",
    )
    funds.fund_allocate(
        actor=city_admin,
        source=city,
        target=dongcheng,
        amount=Decimal("60000"),
        reference="东民微〔2026〕6号",
    )
    # 南城 has deposited all of its ¥100,000; 东城 only ¥12,000 of the ¥30,000 it owes.
    funds.fund_top_up(
        actor=reviewer,
        fund=nancheng,
        kind=TopUpKind.COUNTERPART,
        amount=Decimal("100000"),
        reference="南财〔2026〕12号",
        source="南城街道财政分局",
    )
    funds.fund_top_up(
        actor=city_admin,
        fund=dongcheng,
        kind=TopUpKind.COUNTERPART,
        amount=Decimal("12000"),
        reference="东城财〔2026〕9号",
        source="东城街道财政分局",
    )

    # The charity federation matches every donor 1:1; a company matches education wishes in
    # its own town, half of each donor's first ¥50.
    federation_fund = funds.fund_create(
        actor=city_admin,
        name="东莞市慈善会配捐基金",
        owner=FundOwner.CHARITY_FEDERATION,
        region=regions["dg"],
        organisation=federation,
        description="市慈善会年度募集的配捐资金，为社会捐赠一元配一元。",
    )
    funds.fund_top_up(
        actor=city_admin,
        fund=federation_fund,
        kind=TopUpKind.DONATION,
        amount=Decimal("50000"),
        reference="慈善会拨付〔2026〕2号",
        source="东莞市慈善会年度募捐",
    )
    _campaign(
        city_admin,
        federation_fund,
        FEDERATION_CAMPAIGN,
        name="慈善会一元配一元",
        description="每位捐赠人捐一元，市慈善会配一元；每人最多配 500 元，每个心愿最多配 1000 元。",
        tiers=[{"up_to": None, "ratio": "1.00"}],
        pool_cap=Decimal("20000"),
        per_donor_cap=Decimal("500"),
        per_listing_cap=Decimal("1000"),
        region=regions["dg"],
    )
    company_fund = funds.fund_create(
        actor=company_admin,
        name="华信电子助学配捐金",
        owner=FundOwner.COMPANY,
        region=regions["dg-nc"],
        organisation=company,
        description="东莞华信电子有限公司为南城街道助学心愿设立的配捐金。",
    )
    funds.fund_top_up(
        actor=company_admin,
        fund=company_fund,
        kind=TopUpKind.DONATION,
        amount=Decimal("5000"),
        reference="华信转账-2026-001",
        source=COMPANY,
    )
    _campaign(
        company_admin,
        company_fund,
        "huaxin-education-match",
        name="华信助学配捐：每人首 50 元配 50%",
        description="南城街道的助学心愿，每位捐赠人捐赠的前 50 元，华信电子再配捐一半。",
        tiers=[{"up_to": "50", "ratio": "0.50"}],
        pool_cap=Decimal("2000"),
        region=regions["dg-nc"],
        categories=["education"],
    )

    # More needs to give to, published the way every demo wish is.
    repair, oxygen, flooded = (_run(demo, **people) for demo in fund_wishes())
    listings = {w.pk: Listing.objects.of(w).get() for w in (repair, oxygen)}
    education = (
        Listing.objects.filter(status=ListingStatus.OPEN, category="education")
        .order_by("pk")
        .first()
    )

    def money_line(listing: Listing):
        return listing.lines.get(kind=LineKind.MONEY)

    # Matched gifts, paid by transfer. The education wish gets both campaigns.
    if education is not None:
        gift = services.pledge_create(
            donor=volunteer, line=money_line(education), quantity=Decimal("200")
        )
        _pay(gift, confirmer=staff, receipt="ICBC-DEMO-0002")
    # The handrails: two donors and the federation's match fill it; it is delivered and the
    # installer is paid (requested by the station, approved by the town).
    handrails = listings[repair.pk]
    # donor@ reaches the federation's ¥500 cap per donor here: their later gifts are not
    # matched (the browser tests' progress bars count on that).
    gift = services.pledge_create(donor=donor, line=money_line(handrails), quantity=Decimal("500"))
    _pay(gift, confirmer=staff, receipt="ICBC-DEMO-0003")
    gift = services.pledge_create(
        donor=company_admin,
        line=money_line(handrails),
        quantity=Decimal("300"),
        organisation=company,
    )
    _pay(gift, confirmer=staff, receipt="ICBC-DEMO-0004")
    # Delivered through the station's log; the recipient has no phone: a visit is due.
    delivery_log(
        actor=staff,
        line=money_line(handrails),
        quantity=Decimal("1600"),
        note="扶手和防滑地面已安装完毕，驿站工作人员上门验收。",
    )
    # First asked for as a payment to the household, turned down: the installer is paid.
    asked = funds.disbursement_request(
        actor=staff,
        listing=handrails,
        amount=Decimal("1600"),
        payee_kind=PayeeKind.RECIPIENT,
        recipient_account="6217 0000 0000 0000 021（演示）",
    )
    funds.disbursement_reject(
        actor=reviewer,
        disbursement=asked,
        reason="改造款应直接支付给施工单位，请按施工单位重新申请。",
    )
    payout = funds.disbursement_request(
        actor=staff,
        listing=handrails,
        amount=Decimal("1600"),
        payee_kind=PayeeKind.SUPPLIER,
        payee_name="东莞市安康适老化工程有限公司（演示）",
    )
    funds.disbursement_approve(
        actor=reviewer, disbursement=payout, payment_reference="ICBC-PAYOUT-DEMO-0001"
    )
    # The oxygen concentrator: one gift refunded (its match goes back), one still standing.
    concentrator = listings[oxygen.pk]
    gift = services.pledge_create(
        donor=council, line=money_line(concentrator), quantity=Decimal("300")
    )
    refunded = _pay(gift, confirmer=reviewer, receipt="ICBC-DEMO-0005")
    payments.payment_refund(
        payment=refunded,
        actor=reviewer,
        reason="捐赠人申请撤回捐赠，款项已原路退回。",
        refund_reference="ICBC-REFUND-DEMO-0001",
    )
    gift = services.pledge_create(
        donor=volunteer, line=money_line(concentrator), quantity=Decimal("300")
    )
    _pay(gift, confirmer=reviewer, receipt="ICBC-DEMO-0006")

    # The flooded home is paid at once from the town's fund.
    from wishes.services import wish_express_pay

    wish_express_pay(
        actor=reviewer,
        wish=flooded,
        fund=nancheng,
        payee_name="覃某英（演示）",
        payee_account="6217 0000 0000 0000 023（演示）",
        payment_reference="南财速递-2026-001",
    )
    return Fund.objects.count()
