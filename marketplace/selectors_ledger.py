"""Reads of the public ledger (阳光账本): the city's totals, every fund and campaign, one
listing's money, the transactions behind them, and the matching a pledge would get now.

Every figure is summed from ledger lines (or from the balances and counters cached from
them under their row locks, which always equal them), in a fixed number of queries however
much data there is. Nothing personal is loaded: never a household, a recipient's account or
the payee of an express payment (those columns are left out of every query), never a
donor's email. Donors appear only as the listing page already names supporters: a display
name, an organisation, or "anonymous donor".

Free-text memos written by staff (a refund's reason, a reversal's) are never shown: the
public memo of those transactions is the pledge's or the reversed transaction's reference.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import (
    DecimalField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Region, RegionLevel
from accounts.money import money
from marketplace.models import (
    AccountKind,
    Campaign,
    CampaignStatus,
    Disbursement,
    DisbursementStatus,
    Fund,
    FundAllocation,
    FundGrant,
    FundTopUp,
    LedgerLine,
    LedgerTransaction,
    Listing,
    Match,
    TransactionKind,
)

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=14, decimal_places=2)
# Fund → escrow, and back: what matching put into listings.
MATCH_KINDS = (TransactionKind.MATCH, TransactionKind.HOURS_MATCH, TransactionKind.MATCH_RETURN)
# Transactions whose memo is a person's free text: shown by a reference instead.
FREE_TEXT_MEMOS = (TransactionKind.REFUND, TransactionKind.MATCH_RETURN, TransactionKind.REVERSAL)


def _zero(expression) -> Coalesce:
    return Coalesce(expression, Value(ZERO), output_field=_MONEY)


def _sum(queryset: QuerySet, group: str, column: str = "amount") -> Subquery:
    """The correlated sum of *column* over *queryset*, grouped by *group* (null if none)."""
    totals = queryset.order_by().values(group).annotate(total=Sum(column)).values("total")
    return Subquery(totals, output_field=_MONEY)


# --- Scope --------------------------------------------------------------------------------


def towns() -> list[Region]:
    """The towns a visitor may narrow the ledger to (one query)."""
    return list(
        Region.objects.filter(level=RegionLevel.TOWN)
        .only("name", "name_en", "path")
        .order_by("path")
    )


def _above(region: Region) -> list[str]:
    """The paths of the regions *region* lies in (``/dg/`` for ``/dg/dg-n/``)."""
    codes = region.path.strip("/").split("/")
    return ["/" + "/".join(codes[:n]) + "/" for n in range(1, len(codes))]


def _within(path: str, prefix: str = "") -> Q:
    """Transactions (with *prefix*, lines of them) for a listing or a fund in *path*."""
    return Q(**{f"{prefix}listing__community__path__startswith": path}) | Q(
        **{f"{prefix}fund__region__path__startswith": path}
    )


# --- Totals -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    """What came in, went out and is held, summed from the lines (all positive figures)."""

    donors: Decimal  # money in from donors: payments for listings and donations to funds
    donor_payments: Decimal
    fund_donations: Decimal
    public: Decimal  # appropriations and counterpart deposits
    appropriations: Decimal
    counterparts: Decimal
    matched: Decimal  # what funds put into listings by matching, less what went back
    paid_out: Decimal  # disbursements and express payments
    disbursed: Decimal
    granted: Decimal
    refunded: Decimal
    fees: Decimal
    in_escrow: Decimal
    in_funds: Decimal
    in_clearing: Decimal

    @property
    def money_in(self) -> Decimal:
        return self.donors + self.public

    @property
    def held(self) -> Decimal:
        return self.in_escrow + self.in_funds + self.in_clearing

    def as_dict(self) -> dict[str, str]:
        names = [*self.__dataclass_fields__, "money_in", "held"]
        return {name: str(getattr(self, name)) for name in names}


def _grouped(lines: QuerySet) -> dict[tuple[str, str], Decimal]:
    rows = (
        lines.order_by()
        .values_list("account__kind", "transaction__kind")
        .annotate(total=Sum("amount"))
    )
    return {(account, kind): total for account, kind, total in rows}


def city_totals(town: Region | None = None) -> Totals:
    """The city's (or one town's) totals: one query, two for a town.

    For a town, money in and out counts the transactions of its listings and funds, and
    what is held is the balance of those listings' escrows and those funds.
    """
    if town is None:
        flows = _grouped(LedgerLine.objects.all())
        held = {}
        for (account, _kind), total in flows.items():
            held[account] = held.get(account, ZERO) + total
    else:
        flows = _grouped(LedgerLine.objects.filter(_within(town.path, "transaction__")))
        held = dict(
            LedgerLine.objects.filter(
                Q(account__listing__community__path__startswith=town.path)
                | Q(account__fund__region__path__startswith=town.path)
            )
            .order_by()
            .values_list("account__kind")
            .annotate(total=Sum("amount"))
        )

    def flow(account: str, kind: str | None = None) -> Decimal:
        return money(
            sum(
                (t for (a, k), t in flows.items() if a == account and (kind is None or k == kind)),
                ZERO,
            )
        )

    return Totals(
        donors=-flow(AccountKind.DONATIONS_IN),
        donor_payments=-flow(AccountKind.DONATIONS_IN, TransactionKind.PAYMENT),
        fund_donations=-flow(AccountKind.DONATIONS_IN, TransactionKind.TOP_UP),
        public=-flow(AccountKind.PUBLIC_IN),
        appropriations=-flow(AccountKind.PUBLIC_IN, TransactionKind.TOP_UP),
        counterparts=-flow(AccountKind.PUBLIC_IN, TransactionKind.COUNTERPART),
        matched=sum((flow(AccountKind.ESCROW, kind) for kind in MATCH_KINDS), ZERO),
        paid_out=flow(AccountKind.PAYOUTS),
        disbursed=flow(AccountKind.PAYOUTS, TransactionKind.DISBURSEMENT),
        granted=flow(AccountKind.PAYOUTS, TransactionKind.GRANT),
        refunded=flow(AccountKind.REFUNDS),
        fees=flow(AccountKind.FEES),
        in_escrow=money(held.get(AccountKind.ESCROW) or ZERO),
        in_funds=money(held.get(AccountKind.FUND) or ZERO),
        in_clearing=money(held.get(AccountKind.CLEARING) or ZERO),
    )


# --- Funds --------------------------------------------------------------------------------


def _fund_figures(now: datetime) -> dict:
    lines = LedgerLine.objects.filter(account_id=OuterRef("account_id"))
    reserved = Match.objects.filter(campaign__fund=OuterRef("pk")).reserving(now)
    return {
        "inflow": _zero(_sum(lines.filter(amount__gt=0), "account")),
        "outflow_signed": _zero(_sum(lines.filter(amount__lt=0), "account")),
        "committed": _zero(_sum(reserved, "campaign__fund")),
    }


def _fund_finish(fund: Fund) -> Fund:
    # SQLite hands sums back unscaled (Decimal('100')): every figure leaves here in cents.
    fund.inflow = money(fund.inflow)
    fund.committed = money(fund.committed)
    fund.outflow = money(-fund.outflow_signed)
    fund.held = fund.inflow - fund.outflow
    fund.available = max(fund.held - fund.committed, ZERO)
    return fund


_FUND_FIELDS = (
    "name",
    "owner",
    "description",
    "counterpart_ratio",
    "account",
    "region__name",
    "region__name_en",
    "region__path",
    "organisation__name",
)


def funds(town: Region | None = None, *, now: datetime | None = None) -> list[Fund]:
    """Every fund (in *town*, if given) with ``inflow``, ``outflow``, ``held`` (its balance
    from the lines), ``committed`` (matches reserved) and ``available``. One query."""
    now = now or timezone.now()
    rows = Fund.objects.select_related("region", "organisation").only(*_FUND_FIELDS)
    if town is not None:
        rows = rows.filter(region__path__startswith=town.path)
    rows = rows.annotate(**_fund_figures(now)).order_by("region__path", "name")
    return [_fund_finish(fund) for fund in rows]


def public_fund(pk: int, *, now: datetime | None = None) -> Fund:
    """One fund with its figures (as :func:`funds`).

    Raises:
        Http404: no such fund.
    """
    now = now or timezone.now()
    fund = (
        Fund.objects.select_related("region", "organisation")
        .only(*_FUND_FIELDS)
        .annotate(**_fund_figures(now))
        .filter(pk=pk)
        .first()
    )
    if fund is None:
        raise Http404
    return _fund_finish(fund)


def fund_top_ups(fund: Fund, limit: int) -> list[FundTopUp]:
    return list(
        FundTopUp.objects.filter(fund=fund)
        .only("kind", "amount", "reference", "source", "received_on")
        .order_by("-received_on", "-pk")[:limit]
    )


def fund_allocations(fund: Fund, limit: int) -> list[FundAllocation]:
    """Allocations into and out of *fund*, newest first; ``incoming`` says which."""
    rows = list(
        FundAllocation.objects.filter(Q(source=fund) | Q(target=fund))
        .select_related("source", "target")
        .only(
            "amount",
            "reference",
            "allocated_on",
            "source",
            "target",
            "source__name",
            "target__name",
        )
        .order_by("-allocated_on", "-pk")[:limit]
    )
    for row in rows:
        row.incoming = row.target_id == fund.pk
    return rows


def fund_grants(fund: Fund, limit: int) -> list[FundGrant]:
    """Express payments: amount, date and community only (the payee is never loaded)."""
    return list(
        FundGrant.objects.filter(fund=fund)
        .select_related("region")
        .only("amount", "created_at", "region__name", "region__name_en")
        .order_by("-created_at", "-pk")[:limit]
    )


def fund_lines(fund: Fund) -> QuerySet[LedgerLine]:
    """The lines of the fund's account, newest first, with their transactions."""
    return (
        LedgerLine.objects.filter(account_id=fund.account_id)
        .select_related("transaction__listing", "transaction__campaign")
        .only(
            "amount",
            "transaction",
            "transaction__listing",
            "transaction__campaign",
            "transaction__reference",
            "transaction__kind",
            "transaction__created_at",
            "transaction__listing__reference",
            "transaction__listing__status",
            "transaction__campaign__name",
            "transaction__campaign__slug",
            "transaction__campaign__status",
        )
        .order_by("-transaction__created_at", "-pk")
    )


# --- Campaigns ----------------------------------------------------------------------------


def campaign_figures(now: datetime) -> dict:
    """Annotations for campaigns: ``reserved`` (its unexpired reserved matches) and
    ``fund_committed`` (those of every campaign of its fund), as subqueries."""
    reserved = Match.objects.filter(campaign=OuterRef("pk")).reserving(now)
    committed = Match.objects.filter(campaign__fund=OuterRef("fund_id")).reserving(now)
    return {
        "reserved": _zero(_sum(reserved, "campaign")),
        "fund_committed": _zero(_sum(committed, "campaign__fund")),
    }


def campaign_finish(campaign: Campaign, now: datetime) -> Campaign:
    """Set ``remaining`` and ``state`` on a campaign read with :func:`campaign_figures`."""
    campaign.reserved = money(campaign.reserved)
    campaign.fund_committed = money(campaign.fund_committed)
    campaign.remaining = remaining(campaign)
    campaign.state = campaign_state(campaign, now)
    return campaign


def remaining(campaign: Campaign) -> Decimal:
    """Match remaining: pool − matched − reserved, never below 0 and never more than the
    sponsor fund has free. *campaign* carries ``reserved`` and ``fund_committed`` and its
    fund's account."""
    pool = campaign.pool_cap - campaign.matched - campaign.reserved
    free = campaign.fund.account.balance - campaign.fund_committed
    return max(min(pool, free), ZERO)


def campaign_state(campaign: Campaign, now: datetime) -> str:
    """``matching``, ``used_up``, ``paused``, ``closed``, ``not_started`` or ``ended``."""
    if campaign.status in (CampaignStatus.PAUSED, CampaignStatus.CLOSED):
        return campaign.status
    if campaign.status == CampaignStatus.DRAFT or campaign.starts_at > now:
        return "not_started"
    if campaign.ends_at is not None and campaign.ends_at <= now:
        return "ended"
    return "matching" if campaign.remaining > 0 else "used_up"


def _campaigns() -> QuerySet[Campaign]:
    return Campaign.objects.select_related("fund__account", "fund__organisation", "region").defer(
        "created_by", "fund__description"
    )


def campaigns(
    town: Region | None = None, *, fund: Fund | None = None, now: datetime | None = None
) -> list[Campaign]:
    """Every campaign that is not a draft (in *town*, or of *fund*), with ``reserved``,
    ``remaining`` and ``state``. One query."""
    now = now or timezone.now()
    rows = _campaigns().exclude(status=CampaignStatus.DRAFT)
    if town is not None:  # campaigns that match there: in the town, or over all of it
        rows = rows.filter(Q(region__path__startswith=town.path) | Q(region__path__in=_above(town)))
    if fund is not None:
        rows = rows.filter(fund=fund)
    rows = rows.annotate(**campaign_figures(now)).order_by("-starts_at", "pk")
    return [campaign_finish(c, now) for c in rows]


def public_campaign(slug: str, *, now: datetime | None = None) -> Campaign:
    """One campaign that is not a draft, with its figures (as :func:`campaigns`).

    Raises:
        Http404: no such campaign, or a draft.
    """
    now = now or timezone.now()
    campaign = (
        _campaigns()
        .exclude(status=CampaignStatus.DRAFT)
        .filter(slug=slug)
        .annotate(**campaign_figures(now))
        .first()
    )
    if campaign is None:
        raise Http404
    return campaign_finish(campaign, now)


def campaign_listings(campaign: Campaign) -> QuerySet:
    """The listings *campaign* matched (``listing__reference``, ``listing__title``,
    ``listing__status``, ``total``), most matched first: the ledger's escrow lines of its
    matching transactions, net of what went back."""
    return (
        LedgerLine.objects.filter(
            transaction__campaign=campaign,
            transaction__kind__in=MATCH_KINDS,
            account__kind=AccountKind.ESCROW,
        )
        .order_by()
        .values(
            "transaction__listing__reference",
            "transaction__listing__title",
            "transaction__listing__status",
        )
        .annotate(total=Sum("amount"))
        .filter(total__gt=0)
        .order_by("-total", "transaction__listing__reference")
    )


# --- One listing's money ------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignShare:
    name: str
    slug: str
    fund: str
    amount: Decimal


@dataclass
class ListingMoney:
    """Where a listing's money came from and went (all positive figures)."""

    donors: Decimal = ZERO
    matched: list[CampaignShare] = field(default_factory=list)
    refunded: Decimal = ZERO
    paid_out: Decimal = ZERO
    escrow: Decimal = ZERO
    clearing: Decimal = ZERO  # received but not taken for the listing: waits to go back
    disbursements: list[Disbursement] = field(default_factory=list)

    @property
    def matched_total(self) -> Decimal:
        return sum((share.amount for share in self.matched), ZERO)

    @property
    def money_in(self) -> Decimal:
        return self.donors + self.matched_total

    @property
    def any(self) -> bool:
        return bool(self.money_in or self.refunded or self.paid_out or self.escrow)

    def as_dict(self) -> dict:
        return {
            "donors": str(self.donors),
            "matched": str(self.matched_total),
            "matched_by_campaign": [
                {"campaign": s.slug, "name": s.name, "fund": s.fund, "amount": str(s.amount)}
                for s in self.matched
            ],
            "money_in": str(self.money_in),
            "refunded": str(self.refunded),
            "paid_out": str(self.paid_out),
            "escrow": str(self.escrow),
            "waiting_to_be_refunded": str(self.clearing),
        }


def listing_money(listing: Listing, *, payouts: bool = True) -> ListingMoney:
    """The listing's money from its ledger lines (one query) and, with *payouts*, the
    disbursements paid from it, named by their public payee (one more)."""
    rows = (
        LedgerLine.objects.filter(transaction__listing=listing)
        .order_by()
        .values_list(
            "account__kind",
            "transaction__kind",
            "transaction__campaign__slug",
            "transaction__campaign__name",
            "transaction__fund__name",
        )
        .annotate(total=Sum("amount"))
    )
    result = ListingMoney()
    shares: dict[str, list] = {}
    for account, kind, slug, name, fund, total in rows:
        total = money(total)
        if account == AccountKind.DONATIONS_IN:
            result.donors -= total
        elif account == AccountKind.REFUNDS:
            result.refunded += total
        elif account == AccountKind.PAYOUTS:
            result.paid_out += total
        elif account == AccountKind.CLEARING:
            result.clearing += total
        elif account == AccountKind.ESCROW:
            result.escrow += total
            if kind in MATCH_KINDS and slug:
                share = shares.setdefault(slug, [name, fund or "", ZERO])
                share[2] += total
    result.matched = [
        CampaignShare(name=name, slug=slug, fund=fund, amount=amount)
        for slug, (name, fund, amount) in sorted(shares.items(), key=lambda s: -s[1][2])
        if amount
    ]
    if payouts:
        result.disbursements = list(
            Disbursement.objects.filter(listing=listing, status=DisbursementStatus.PAID)
            .only("amount", "payee_kind", "payee_name", "stage", "decided_at")
            .order_by("decided_at", "pk")
        )
    return result


def public_listing_ref(reference: str) -> Listing:
    """A visible listing by reference, with only what its ledger page shows.

    Raises:
        Http404: no such listing, or cancelled.
    """
    listing = (
        Listing.objects.visible()
        .filter(reference=reference)
        .select_related("community__parent")
        .only(
            "reference",
            "kind",
            "title",
            "status",
            "community__name",
            "community__name_en",
            "community__parent__name",
            "community__parent__name_en",
        )
        .first()
    )
    if listing is None:
        raise Http404
    return listing


# --- Transactions -------------------------------------------------------------------------


def _amount() -> Subquery:
    """A transaction's amount: the sum of its positive lines, with money that only passes
    through a provider's clearing counted once (a donor's payment goes donors → clearing →
    escrow in one transaction: two positive lines, one amount)."""
    lines = (
        LedgerLine.objects.filter(transaction=OuterRef("pk"))
        .exclude(account__kind=AccountKind.CLEARING)
        .order_by()
        .values("transaction")
        .annotate(
            amount=Greatest(
                _zero(Sum("amount", filter=Q(amount__gt=0))),
                _zero(-Sum("amount", filter=Q(amount__lt=0))),
            )
        )
        .values("amount")
    )
    return Subquery(lines, output_field=_MONEY)


_TX_FIELDS = (
    "reference",
    "kind",
    "memo",
    "external_reference",
    "created_at",
    "listing",
    "fund",
    "campaign",
    "pledge",
    "reverses",
    "listing__reference",
    "listing__status",
    "fund__name",
    "campaign__name",
    "campaign__slug",
    "campaign__status",
    "pledge__reference",
    "reverses__reference",
    # A disbursement's public payee and stage, never the recipient's account.
    "disbursement__payee_kind",
    "disbursement__payee_name",
    "disbursement__stage",
    "disbursement__transaction",
)


def transactions(
    *,
    town: Region | None = None,
    fund: Fund | None = None,
    campaign: Campaign | None = None,
    listing: Listing | None = None,
    donors: bool = False,
) -> QuerySet[LedgerTransaction]:
    """Ledger transactions in scope, newest first, each with its ``amount``.

    With *donors*, each payment's donor is loaded as far as :func:`party` names them
    (display name, organisation, anonymity) and each disbursement's public payee.
    """
    rows = LedgerTransaction.objects.select_related(
        "listing", "fund", "campaign", "pledge", "reverses", "disbursement"
    )
    fields = list(_TX_FIELDS)
    if donors:
        rows = rows.select_related("pledge__donor", "pledge__organisation")
        fields += [
            "pledge__anonymous",
            "pledge__donor",
            "pledge__organisation",
            "pledge__donor__display_name",
            "pledge__organisation__name",
        ]
    rows = rows.only(*fields)
    if town is not None:
        rows = rows.filter(_within(town.path))
    if fund is not None:
        on_fund = LedgerLine.objects.filter(transaction=OuterRef("pk"), account_id=fund.account_id)
        rows = rows.filter(Exists(on_fund))
    if campaign is not None:
        rows = rows.filter(campaign=campaign)
    if listing is not None:
        rows = rows.filter(listing=listing)
    return rows.annotate(amount=_zero(_amount())).order_by("-created_at", "-pk")


def _disbursement(entry: LedgerTransaction) -> Disbursement | None:
    return getattr(entry, "disbursement", None)  # a reverse one-to-one: absent raises


def public_memo(entry: LedgerTransaction) -> str:
    """The memo the public sees: a staff member's free text is replaced by a reference,
    and a disbursement's is said again in the reader's language (stage or public payee)."""
    if entry.kind == TransactionKind.DISBURSEMENT and _disbursement(entry) is not None:
        disbursement = _disbursement(entry)
        return disbursement.stage or str(disbursement.public_payee)
    if entry.kind in FREE_TEXT_MEMOS:
        if entry.kind == TransactionKind.REVERSAL and entry.reverses is not None:
            return entry.reverses.reference
        return entry.pledge.reference if entry.pledge is not None else ""
    return entry.memo


def party(entry: LedgerTransaction) -> str:
    """Who the money came from or went to, as the public may know it (loaded with
    ``transactions(donors=True)``): a donor's public name, a campaign, a public payee."""
    if entry.kind == TransactionKind.PAYMENT and entry.pledge is not None:
        pledge = entry.pledge
        if pledge.anonymous:
            return _("anonymous donor")
        if pledge.organisation is not None:
            return pledge.organisation.name
        return pledge.donor.display_name or _("anonymous donor")
    if entry.kind in MATCH_KINDS and entry.campaign is not None:
        return entry.campaign.name
    if entry.kind == TransactionKind.DISBURSEMENT and _disbursement(entry) is not None:
        return str(_disbursement(entry).public_payee)
    return ""


def row(entry: LedgerTransaction) -> dict[str, str]:
    """One transaction as a download row (no personal data)."""
    return {
        "date": timezone.localtime(entry.created_at).isoformat(timespec="seconds"),
        "reference": entry.reference,
        "kind": entry.kind,
        "kind_label": str(entry.get_kind_display()),
        "memo": public_memo(entry),
        "external_reference": entry.external_reference,
        "listing": entry.listing.reference if entry.listing is not None else "",
        "fund": entry.fund.name if entry.fund is not None else "",
        "campaign": entry.campaign.slug if entry.campaign is not None else "",
        "campaign_name": entry.campaign.name if entry.campaign is not None else "",
        "amount": str(money(entry.amount)),
    }
