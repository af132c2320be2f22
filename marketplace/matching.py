"""Matching: campaigns add money to donors' pledges by rules kept as data.

A match lives exactly as long as its pledge: reserved when the pledge is made (with the
pledge's expiry, so reads ignore a lapsed one at once), confirmed when the pledge's payment
is honoured, released when the pledge is cancelled, lapses or cannot be honoured, and
returned to its fund when a confirmed pledge is refunded.

The amount is the smallest of what the ratio tiers give and every cap's room: per pledge,
per donor (in the campaign and per day), per listing, the pool, the fund's uncommitted
balance, and the room left on the line after the pledge itself (a listing is never funded
past its target: the donor's own pledge comes first, the match takes what room is left).
All of it is read under the campaign's and the fund's row locks, taken after the listing
and line locks (the one lock order: listing → line → pledge → payment → campaign → fund).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from django.db.models import F, Q, Sum
from django.utils import timezone

from accounts import audit
from accounts.models import Membership, OrganisationKind, User
from accounts.money import CENT
from marketplace import ledger
from marketplace.models import (
    Account,
    Campaign,
    CampaignStatus,
    DonorKind,
    Fund,
    LedgerLine,
    LineKind,
    Listing,
    ListingLine,
    Match,
    MatchStatus,
    Pledge,
    TransactionKind,
)

ZERO = Decimal("0.00")


# --- Rules (pure) -------------------------------------------------------------------------


def tier_match(tiers: list[dict], prior: Decimal, amount: Decimal) -> Decimal:
    """What the ratio tiers give for *amount* from a donor who has *prior* matched already.

    Tiers run over the donor's running total in the campaign: ``[{"up_to": "50", "ratio":
    "0.50"}]`` gives 50% of the part of the pledge that falls within the donor's first ¥50,
    so ten pledges of ¥10 get exactly what one of ¥100 gets. Rounded down to the fen.
    """
    total = Decimal(0)
    lower = Decimal(0)
    start, end = prior, prior + amount
    for tier in tiers:
        upper = None if tier.get("up_to") in (None, "") else Decimal(str(tier["up_to"]))
        low = max(start, lower)
        high = end if upper is None else min(end, upper)
        if high > low:
            total += (high - low) * Decimal(str(tier["ratio"]))
        if upper is None:
            break
        lower = upper
    return max(total, Decimal(0)).quantize(CENT, rounding=ROUND_DOWN)


def tiers_valid(tiers: list[dict]) -> bool:
    """Tiers rise strictly, ratios lie in (0, 5], and only the last may be open-ended."""
    if not tiers:
        return False
    previous = Decimal(0)
    for index, tier in enumerate(tiers):
        try:
            ratio = Decimal(str(tier["ratio"]))
            up_to = tier.get("up_to")
            upper = None if up_to in (None, "") else Decimal(str(up_to))
        except (KeyError, ArithmeticError, TypeError, ValueError):
            return False
        if not (Decimal(0) < ratio <= 5):
            return False
        if upper is None:
            if index != len(tiers) - 1:
                return False
        elif upper <= previous:
            return False
        else:
            previous = upper
    return True


def donor_kind(organisation) -> str:
    if organisation is None:
        return DonorKind.PERSON
    if organisation.kind == OrganisationKind.COMPANY:
        return DonorKind.COMPANY
    return DonorKind.ORGANISATION


def eligible(
    campaign: Campaign,
    listing: Listing,
    *,
    kind_of_donor: str,
    organisations: set[int],
    now: datetime,
) -> bool:
    """Whether *campaign* matches a pledge to *listing* now.

    *organisations* are the pledging organisation and the donor's own memberships: a
    sponsor's pool never matches its own people.
    """
    if campaign.status != CampaignStatus.ACTIVE or campaign.starts_at > now:
        return False
    if campaign.ends_at is not None and campaign.ends_at <= now:
        return False
    if not listing.community.path.startswith(campaign.region.path):
        return False
    if campaign.categories and listing.category not in campaign.categories:
        return False
    if campaign.listing_kinds and listing.kind not in campaign.listing_kinds:
        return False
    if campaign.donor_kinds and kind_of_donor not in campaign.donor_kinds:
        return False
    sponsor = campaign.fund.organisation_id
    return sponsor is None or sponsor not in organisations


# --- Room under the caps (read under the locks) ------------------------------------------


@dataclass(frozen=True)
class Room:
    """How much a campaign may still add, by each limit (None: no limit)."""

    pool: Decimal
    fund: Decimal
    donor: Decimal | None
    donor_today: Decimal | None
    listing: Decimal | None

    def smallest(self) -> Decimal:
        limits = [self.pool, self.fund] + [
            x for x in (self.donor, self.donor_today, self.listing) if x is not None
        ]
        return max(min(limits), ZERO)


def fund_committed(fund: Fund, now: datetime, exclude: Match | None = None) -> Decimal:
    """Matches reserved against *fund* and not lapsed: promised, not yet paid out."""
    matches = Match.objects.filter(campaign__fund=fund).reserving(now)
    if exclude is not None:
        matches = matches.exclude(pk=exclude.pk)
    return matches.total()


def pool_reserved(campaign: Campaign, now: datetime, exclude: Match | None = None) -> Decimal:
    matches = Match.objects.filter(campaign=campaign).reserving(now)
    if exclude is not None:
        matches = matches.exclude(pk=exclude.pk)
    return matches.total()


def hours_matched(campaign: Campaign, listing: Listing) -> Decimal:
    """What *campaign* has paid into *listing* for volunteer hours (0 without an hour rate,
    and then no query)."""
    if campaign.hour_rate is None:
        return ZERO
    total = LedgerLine.objects.filter(
        transaction__kind=TransactionKind.HOURS_MATCH,
        transaction__campaign=campaign,
        transaction__listing=listing,
        amount__gt=0,
    ).aggregate(total=Sum("amount"))["total"]
    return total or ZERO


def _day_start(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def room(
    campaign: Campaign,
    fund: Fund,
    *,
    donor: User,
    listing: Listing,
    now: datetime,
    exclude: Match | None = None,
) -> Room:
    """What *campaign* may still add for *donor* on *listing*. Caller holds the campaign's
    and the fund's row locks, read afresh."""
    pool = campaign.pool_cap - campaign.matched - pool_reserved(campaign, now, exclude)
    available = fund.account.balance - fund_committed(fund, now, exclude)
    mine = Match.objects.filter(campaign=campaign, donor=donor).holding(now)
    if exclude is not None:
        mine = mine.exclude(pk=exclude.pk)
    donor_room = today_room = listing_room = None
    if campaign.per_donor_cap is not None:
        donor_room = campaign.per_donor_cap - mine.total()
    if campaign.per_donor_daily_cap is not None:
        start = _day_start(now)
        today = mine.filter(created_at__gte=start, created_at__lt=start + timedelta(days=1))
        today_room = campaign.per_donor_daily_cap - today.total()
    if campaign.per_listing_cap is not None:
        on_listing = Match.objects.filter(campaign=campaign, listing=listing).holding(now)
        if exclude is not None:
            on_listing = on_listing.exclude(pk=exclude.pk)
        listing_room = (
            campaign.per_listing_cap - on_listing.total() - hours_matched(campaign, listing)
        )
    return Room(
        pool=pool, fund=available, donor=donor_room, donor_today=today_room, listing=listing_room
    )


def _prior(campaign: Campaign, donor: User, now: datetime, exclude: Match | None = None) -> Decimal:
    """What the donor has pledged with a holding match in the campaign (for the tiers)."""
    matches = Match.objects.filter(campaign=campaign, donor=donor).holding(now)
    if exclude is not None:
        matches = matches.exclude(pk=exclude.pk)
    return matches.aggregate(total=Sum("pledged"))["total"] or ZERO


def match_amount(
    campaign: Campaign, fund: Fund, *, pledge: Pledge, listing: Listing, line_room: Decimal, now
) -> Decimal:
    """The match *campaign* gives *pledge* now, within every limit. Caller holds the locks."""
    by_rules = tier_match(campaign.tiers, _prior(campaign, pledge.donor, now), pledge.quantity)
    if campaign.per_pledge_cap is not None:
        by_rules = min(by_rules, campaign.per_pledge_cap)
    limit = room(campaign, fund, donor=pledge.donor, listing=listing, now=now).smallest()
    return max(min(by_rules, limit, line_room), ZERO).quantize(CENT, rounding=ROUND_DOWN)


# --- Services (called inside the pledge and payment services' transactions) -------------


def _candidates(listing: Listing, pledge: Pledge, now: datetime) -> list[Campaign]:
    """Campaigns that would match *pledge*, unlocked (one query, two with memberships)."""
    campaigns = list(
        Campaign.objects.filter(status=CampaignStatus.ACTIVE, starts_at__lte=now)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .select_related("region", "fund")
        .order_by("pk")
    )
    if not campaigns:
        return []
    organisations = set(
        Membership.objects.filter(user_id=pledge.donor_id).values_list("organisation_id", flat=True)
    )
    if pledge.organisation_id:
        organisations.add(pledge.organisation_id)
    kind = donor_kind(pledge.organisation)
    return [
        c
        for c in campaigns
        if eligible(c, listing, kind_of_donor=kind, organisations=organisations, now=now)
    ]


def _lock(campaign_ids: Iterable[int]) -> tuple[list[Campaign], dict[int, Fund]]:
    """Lock campaigns, then their funds, each in pk order; re-read.

    ``of=("self",)``: PostgreSQL would otherwise lock the joined region row too, and every
    writer that records an audit event in that region would queue behind it (a deadlock
    with the listing locks, found by the race tests).
    """
    campaigns = list(
        Campaign.objects.select_for_update(of=("self",))
        .filter(pk__in=list(campaign_ids))
        .select_related("region")
        .order_by("pk")
    )
    return campaigns, lock_funds({c.fund_id for c in campaigns})


def lock_funds(fund_ids: Iterable[int]) -> dict[int, Fund]:
    """Lock funds in pk order and re-read them with their accounts' balances, which are
    read after the funds are locked (a fund's row lock guards its account)."""
    funds = {
        f.pk: f
        for f in Fund.objects.select_for_update().filter(pk__in=sorted(fund_ids)).order_by("pk")
    }
    accounts = Account.objects.in_bulk([f.account_id for f in funds.values()])
    for fund in funds.values():
        fund.account = accounts[fund.account_id]
    return funds


def matches_reserve(
    *, pledge: Pledge, listing: Listing, line: ListingLine, now: datetime
) -> list[Match]:
    """Reserve what every eligible campaign adds to a new money pledge.

    Call right after creating *pledge*, holding the listing and line locks; the line's room
    is read after the pledge's own reservation.
    """
    from marketplace.services import line_remaining

    if line.kind != LineKind.MONEY:
        return []
    candidates = _candidates(listing, pledge, now)
    if not candidates:
        return []
    campaigns, funds = _lock(c.pk for c in candidates)
    line_room = line_remaining(line, now)
    made = []
    for campaign in campaigns:
        if campaign.status != CampaignStatus.ACTIVE:  # paused while we waited for the lock
            continue
        amount = match_amount(
            campaign,
            funds[campaign.fund_id],
            pledge=pledge,
            listing=listing,
            line_room=line_room,
            now=now,
        )
        if amount <= 0:
            continue
        made.append(
            Match.objects.create(
                campaign=campaign,
                pledge=pledge,
                line=line,
                listing=listing,
                donor_id=pledge.donor_id,
                pledged=pledge.quantity,
                amount=amount,
                created_at=now,
                expires_at=pledge.expires_at,
            )
        )
        line_room -= amount
    if made:
        audit.record(
            actor=pledge.donor,
            verb="match.reserve",
            target=pledge,
            region=listing.community,
            data={"matches": {m.campaign_id: str(m.amount) for m in made}},
        )
    return made


def matches_confirm(
    *, pledge: Pledge, listing: Listing, line: ListingLine, now: datetime, actor: User | None = None
) -> Decimal:
    """Confirm the pledge's matches with its payment: post fund → escrow for each.

    A reservation that lapsed before the money came is worked out again against what is
    left now, by the rules and every limit (it may shrink or vanish), whether or not the
    tidy-up has marked it released meanwhile: a pledge being confirmed had its matches
    released only by lapsing (cancelling, refunding or a cancelled listing end the pledge
    for good). Caller holds listing → line → pledge (→ payment) and has just confirmed
    the pledge. Returns the total matched.
    """
    from marketplace.services import line_remaining

    reserved = list(
        Match.objects.filter(
            pledge=pledge, status__in=[MatchStatus.RESERVED, MatchStatus.RELEASED]
        ).order_by("campaign_id")
    )
    if not reserved:
        return ZERO
    campaigns, funds = _lock(m.campaign_id for m in reserved)
    by_pk = {c.pk: c for c in campaigns}
    total = ZERO
    escrow = ledger.escrow(listing)
    for match in reserved:
        campaign = by_pk[match.campaign_id]
        fund = funds[campaign.fund_id]
        amount = match.amount
        if match.expires_at <= now or match.status == MatchStatus.RELEASED:
            # The reservation lapsed: it holds nothing, so ask again what is left, and what
            # the tiers give now on top of what the donor holds (a later pledge may have
            # taken the first tier while this one had lapsed).
            line.refresh_from_db(fields=["confirmed"])
            limit = room(
                campaign, fund, donor=pledge.donor, listing=listing, now=now, exclude=match
            )
            by_rules = tier_match(
                campaign.tiers, _prior(campaign, pledge.donor, now, exclude=match), match.pledged
            )
            amount = min(amount, by_rules, limit.smallest(), line_remaining(line, now)).quantize(
                CENT, rounding=ROUND_DOWN
            )
        if amount <= 0:
            match.status = MatchStatus.RELEASED
            match.ended_at = now
            match.save(update_fields=["status", "ended_at"])
            continue
        match.amount = amount
        match.status = MatchStatus.CONFIRMED
        match.ended_at = None
        match.save(update_fields=["amount", "status", "ended_at"])
        ledger.post(
            kind=TransactionKind.MATCH,
            legs=[ledger.Leg(source=fund.account, target=escrow, amount=amount)],
            memo=campaign.name,
            actor=actor,
            listing=listing,
            pledge=pledge,
            campaign=campaign,
            fund=fund,
            now=now,
        )
        ListingLine.objects.filter(pk=line.pk).update(confirmed=F("confirmed") + amount)
        Campaign.objects.filter(pk=campaign.pk).update(matched=F("matched") + amount)
        audit.record(
            actor=actor,
            verb="match.confirm",
            target=match,
            region=listing.community,
            data={"campaign": campaign.pk, "pledge": pledge.pk, "amount": str(amount)},
        )
        total += amount
    return total


def matches_release(*, pledges: Iterable[int], now: datetime) -> int:
    """Release the reserved matches of pledges that will not be paid (cancelled, lapsed,
    not honoured). Reads already ignore lapsed ones; this records it."""
    return Match.objects.filter(pledge_id__in=list(pledges), status=MatchStatus.RESERVED).update(
        status=MatchStatus.RELEASED, ended_at=now
    )


def matches_return(
    *,
    pledge: Pledge,
    listing: Listing,
    line: ListingLine,
    now: datetime,
    actor: User | None,
    reason: str,
) -> Decimal:
    """A confirmed pledge is refunded: its confirmed matches go back to their funds.

    Caller holds listing → line → pledge → payment. Returns the total returned.
    """
    confirmed = list(
        Match.objects.filter(pledge=pledge, status=MatchStatus.CONFIRMED).order_by("campaign_id")
    )
    if not confirmed:
        return ZERO
    campaigns, funds = _lock(m.campaign_id for m in confirmed)
    by_pk = {c.pk: c for c in campaigns}
    escrow = ledger.escrow(listing)
    total = ZERO
    for match in confirmed:
        campaign = by_pk[match.campaign_id]
        fund = funds[campaign.fund_id]
        ledger.post(
            kind=TransactionKind.MATCH_RETURN,
            legs=[ledger.Leg(source=escrow, target=fund.account, amount=match.amount)],
            memo=campaign.name,  # the reason is in the audit trail, not the public ledger
            actor=actor,
            listing=listing,
            pledge=pledge,
            campaign=campaign,
            fund=fund,
            now=now,
        )
        ListingLine.objects.filter(pk=line.pk).update(confirmed=F("confirmed") - match.amount)
        Campaign.objects.filter(pk=campaign.pk).update(matched=F("matched") - match.amount)
        match.status = MatchStatus.RETURNED
        match.ended_at = now
        match.save(update_fields=["status", "ended_at"])
        audit.record(
            actor=actor,
            verb="match.return",
            target=match,
            region=listing.community,
            reason=reason,
            data={"campaign": campaign.pk, "pledge": pledge.pk, "amount": str(match.amount)},
        )
        total += match.amount
    return total
