"""Reads of the staff's fund pages: access to a fund or a campaign in the user's scope, and
each fund's figures (balance, promised, free, money in and out lately, how long it lasts)
in a fixed number of queries however many funds, campaigns and ledger lines there are.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Organisation, Region, User
from accounts.money import CENT, format_cny, money
from accounts.permissions import has_perm_anywhere, region_q, scope_paths
from accounts.roles import Perm
from marketplace import funds
from marketplace.models import (
    Campaign,
    DonorKind,
    Fund,
    FundAllocation,
    FundOwner,
    FundTopUp,
    LedgerLine,
    ListingKind,
    Match,
    MatchStatus,
)

ZERO = Decimal("0.00")
WINDOW_DAYS = 30
SHOWN = 25  # top-ups and allocations shown on a fund's page (the ledger holds them all)
_MONEY = DecimalField(max_digits=14, decimal_places=2)

PUBLIC_OWNERS = (FundOwner.CITY, FundOwner.CHARITY_FEDERATION, FundOwner.TOWN)
ORGANISATION_OWNERS = (FundOwner.COMPANY, FundOwner.CHARITY)


# --- Figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """A fund's position now and its money in and out over the last WINDOW_DAYS days."""

    balance: Decimal
    committed: Decimal
    money_in: Decimal
    money_out: Decimal

    @property
    def available(self) -> Decimal:
        return self.balance - self.committed

    @property
    def per_day(self) -> Decimal | None:
        """Outflows per day lately; None when nothing went out."""
        if self.money_out <= 0:
            return None
        return max(money(self.money_out / WINDOW_DAYS), CENT)

    @property
    def days_left(self) -> int | None:
        """How many days the free balance lasts at the recent rate."""
        rate = self.per_day
        if rate is None:
            return None
        return int(max(self.available, ZERO) / rate)


def with_figures(queryset: QuerySet[Fund], now: datetime | None = None) -> QuerySet[Fund]:
    """Funds annotated with ``committed`` (reserved matches), ``money_in`` and
    ``money_out`` (last WINDOW_DAYS days, both positive), in the funds' own query."""
    now = now or timezone.now()
    since = now - timedelta(days=WINDOW_DAYS)
    committed = (
        Match.objects.filter(
            campaign__fund=OuterRef("pk"), status=MatchStatus.RESERVED, expires_at__gt=now
        )
        .order_by()
        .values("campaign__fund")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    recent = LedgerLine.objects.filter(
        account=OuterRef("account"), transaction__created_at__gte=since
    ).order_by()

    def total(lines: QuerySet) -> Coalesce:
        summed = lines.values("account").annotate(total=Sum("amount")).values("total")
        return Coalesce(Subquery(summed, output_field=_MONEY), ZERO, output_field=_MONEY)

    return queryset.annotate(
        committed=Coalesce(Subquery(committed, output_field=_MONEY), ZERO, output_field=_MONEY),
        money_in=total(recent.filter(amount__gt=0)),
        money_out_signed=total(recent.filter(amount__lt=0)),
    )


def figures(fund: Fund) -> Figures:
    """The figures of a fund read through :func:`with_figures` (with its account)."""
    return Figures(
        balance=fund.account.balance,
        committed=fund.committed,
        money_in=fund.money_in,
        money_out=-fund.money_out_signed,
    )


# --- Who sees what ----------------------------------------------------------------------


def administered_organisations(user: User) -> list[Organisation]:
    """The organisations *user* administers (one query)."""
    if not user.is_authenticated:
        return []
    return list(
        Organisation.objects.filter(
            pk__in=Membership.objects.filter(user=user, is_admin=True).values("organisation")
        )
        .select_related("region")
        .order_by("name")
    )


def may_open_funds(user: User, admin_of: list[Organisation]) -> bool:
    """Fund managers open public funds in their scope; organisations' admins their own."""
    return has_perm_anywhere(user, Perm.FUND_MANAGE) or bool(admin_of)


def dashboard_funds(user: User, now: datetime | None = None) -> list[Fund]:
    """The user's funds with their figures and campaigns (two queries)."""
    campaigns = Campaign.objects.order_by("-starts_at", "pk")
    return list(
        with_figures(funds.manageable_funds(user), now)
        .select_related("region", "organisation", "account")
        .prefetch_related(Prefetch("campaigns", queryset=campaigns))
        .order_by("region__path", "name")
    )


def access_fund(user: User, pk: int, now: datetime | None = None) -> Fund:
    """A fund *user* manages, with its figures. Raises Http404 for any other."""
    fund = (
        with_figures(funds.manageable_funds(user), now)
        .filter(pk=pk)
        .select_related("region", "organisation", "account")
        .first()
    )
    if fund is None:
        raise Http404
    return fund


def access_campaign(user: User, pk: int) -> Campaign:
    """A campaign on a fund *user* manages. Raises Http404 for any other."""
    campaign = (
        Campaign.objects.filter(pk=pk, fund__in=funds.manageable_funds(user).values("pk"))
        .select_related("fund__region", "fund__account", "region")
        .first()
    )
    if campaign is None:
        raise Http404
    return campaign


def reserved_by_campaign(now: datetime) -> Subquery:
    """A campaign's unexpired reserved matches, for ``annotate``."""
    reserved = (
        Match.objects.filter(
            campaign=OuterRef("pk"), status=MatchStatus.RESERVED, expires_at__gt=now
        )
        .order_by()
        .values("campaign")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(reserved, output_field=_MONEY), ZERO, output_field=_MONEY)


def fund_campaigns(fund: Fund, now: datetime) -> list[Campaign]:
    return list(
        Campaign.objects.filter(fund=fund)
        .annotate(reserved=reserved_by_campaign(now))
        .order_by("-starts_at", "pk")
    )


def fund_top_ups(fund: Fund) -> list[FundTopUp]:
    return list(FundTopUp.objects.filter(fund=fund).order_by("-received_on", "-pk")[:SHOWN])


def fund_allocations(fund: Fund) -> list[FundAllocation]:
    """Allocations in and out of *fund*, newest first; each has ``outgoing``."""
    rows = list(
        FundAllocation.objects.filter(Q(source=fund) | Q(target=fund))
        .select_related("source", "target")
        .order_by("-allocated_on", "-pk")[:SHOWN]
    )
    for row in rows:
        row.outgoing = row.source_id == fund.pk
    return rows


def ledger_lines(fund: Fund) -> QuerySet[LedgerLine]:
    """The lines of the fund's account, newest first (for a paginator)."""
    return (
        LedgerLine.objects.filter(account_id=fund.account_id)
        .select_related("transaction")
        .order_by("-transaction__created_at", "-pk")
    )


def with_running_balance(fund: Fund, page) -> None:
    """Give each line of *page* ``money_in`` or ``money_out`` (positive) and
    ``balance_after``: the fund's balance right after it.

    Walks back from the balance now; a later page sums the lines before it (one query).
    """
    lines = list(page.object_list)
    offset = page.start_index() - 1 if lines else 0
    after = ZERO
    if offset:
        earlier = ledger_lines(fund).values("amount")[:offset]
        after = earlier.aggregate(total=Sum("amount"))["total"] or ZERO
    balance = fund.account.balance - after
    for line in lines:
        line.money_in = line.amount if line.amount > 0 else None
        line.money_out = -line.amount if line.amount < 0 else None
        line.balance_after = balance
        balance -= line.amount
    page.object_list = lines


def allocation_targets(fund: Fund) -> QuerySet[Fund]:
    """Town funds within *fund*'s region that it may allocate to."""
    return (
        Fund.objects.filter(owner=FundOwner.TOWN, region__path__startswith=fund.region.path)
        .exclude(pk=fund.pk)
        .select_related("region")
        .order_by("region__path", "name")
    )


def counterpart_funds(user: User) -> QuerySet[Fund]:
    """Town funds in the user's fund-manager scope."""
    return Fund.objects.filter(region_q(user, Perm.FUND_MANAGE), owner=FundOwner.TOWN)


def fund_regions(user: User, admin_of: list[Organisation]) -> QuerySet[Region]:
    """Regions a fund may be opened over: the user's fund-manager scope, and for an
    organisation's admin the whole city their organisation is in."""
    q = Q(pk__in=[])
    for path in scope_paths(user, Perm.FUND_MANAGE):
        q |= Q(path__startswith=path)
    for organisation in admin_of:
        city = "/" + organisation.region.path.strip("/").split("/")[0] + "/"
        q |= Q(path__startswith=city)
    return Region.objects.filter(q).order_by("path")


def fund_organisations(user: User) -> QuerySet[Organisation]:
    """Organisations a fund may be opened for: those the user administers, and any based
    in their fund-manager scope (for the charity federation's fund)."""
    admin = Membership.objects.filter(user=user, is_admin=True).values("organisation")
    return Organisation.objects.filter(Q(pk__in=admin) | region_q(user, Perm.FUND_MANAGE)).order_by(
        "name"
    )


# --- Rules in words ---------------------------------------------------------------------


def ratio_text(ratio: Decimal | str) -> str:
    """``1:1``, ``1:0.5``: yuan added per yuan given."""
    value = Decimal(str(ratio)).normalize()
    return f"1:{value:f}"


def _yuan(amount) -> str:
    return format_cny(Decimal(str(amount)))


def tier_sentences(tiers: list[dict]) -> list[str]:
    sentences = []
    lower = None
    for tier in tiers:
        up_to = tier.get("up_to")
        ratio = ratio_text(tier["ratio"])
        if up_to in (None, ""):
            if lower is None:
                sentences.append(
                    _("Every yuan a donor gives is matched at %(ratio)s.") % {"ratio": ratio}
                )
            else:
                sentences.append(
                    _("Beyond %(low)s of a donor's giving, it is matched at %(ratio)s.")
                    % {"low": _yuan(lower), "ratio": ratio}
                )
        elif lower is None:
            sentences.append(
                _("A donor's first %(high)s is matched at %(ratio)s.")
                % {"high": _yuan(up_to), "ratio": ratio}
            )
        else:
            sentences.append(
                _("A donor's giving from %(low)s up to %(high)s is matched at %(ratio)s.")
                % {"low": _yuan(lower), "high": _yuan(up_to), "ratio": ratio}
            )
        lower = up_to
    if tiers and tiers[-1].get("up_to") not in (None, ""):
        sentences.append(
            _("Giving beyond %(high)s is not matched.") % {"high": _yuan(tiers[-1]["up_to"])}
        )
    return sentences


def rules_in_words(campaign: Campaign) -> list[str]:
    """The campaign's rules as sentences, for its managers."""
    from wishes.models import Category

    words = tier_sentences(campaign.tiers)
    caps = (
        (campaign.per_pledge_cap, _("At most %(amount)s is added to one pledge.")),
        (campaign.per_donor_cap, _("At most %(amount)s is added for one donor.")),
        (campaign.per_donor_daily_cap, _("At most %(amount)s is added for one donor per day.")),
        (campaign.per_listing_cap, _("At most %(amount)s is added to one listing.")),
    )
    for cap, sentence in caps:
        if cap is not None:
            words.append(sentence % {"amount": _yuan(cap)})
    if campaign.hour_rate is not None:
        words.append(
            _("Each volunteer hour a station verifies earns %(amount)s.")
            % {"amount": _yuan(campaign.hour_rate)}
        )
    words.append(_("Listings in %(region)s.") % {"region": campaign.region.label})
    labels = dict(Category.choices)
    if campaign.categories:
        names = ", ".join(str(labels.get(c, c)) for c in campaign.categories)
        words.append(_("Only these categories: %(names)s.") % {"names": names})
    kinds = dict(ListingKind.choices)
    if campaign.listing_kinds:
        names = ", ".join(str(kinds.get(k, k)) for k in campaign.listing_kinds)
        words.append(_("Only these kinds of listing: %(names)s.") % {"names": names})
    donors = dict(DonorKind.choices)
    if campaign.donor_kinds:
        names = ", ".join(str(donors.get(k, k)) for k in campaign.donor_kinds)
        words.append(_("Only gifts from: %(names)s.") % {"names": names})
    starts = timezone.localtime(campaign.starts_at).strftime("%Y-%m-%d %H:%M")
    if campaign.ends_at is None:
        words.append(_("From %(starts)s, with no end date.") % {"starts": starts})
    else:
        ends = timezone.localtime(campaign.ends_at).strftime("%Y-%m-%d %H:%M")
        words.append(_("From %(starts)s until %(ends)s.") % {"starts": starts, "ends": ends})
    return words


def match_donor_name(match: Match) -> str:
    """How a match's donor is shown: as the pledge is (anonymous, an organisation, a name)."""
    pledge = match.pledge
    if pledge.anonymous:
        return ""
    if pledge.organisation is not None:
        return pledge.organisation.name
    return match.donor.display_name
