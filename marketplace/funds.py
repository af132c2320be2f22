"""Funds and the money that moves through them: top-ups, allocations to towns and their
counterpart deposits, express payments, matching campaigns, disbursements.

Each service checks the actor's right, locks the rows that guard the money (a fund's row
for its account, a listing's row for its escrow; funds in pk order), re-checks under the
lock, posts one balanced ledger transaction with the row it records, and writes an audit
event: all in one database transaction. Lock order, everywhere: listing → line → pledge →
payment → campaign → fund.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from secrets import token_hex

from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from accounts import audit
from accounts.errors import Conflict, InvalidTransition, LinliError, NotPermitted
from accounts.models import Membership, Region, User
from accounts.money import money
from accounts.permissions import has_perm, region_q
from accounts.roles import Perm
from accounts.transitions import Workflow
from marketplace import ledger, matching
from marketplace.models import (
    Campaign,
    CampaignStatus,
    Disbursement,
    DisbursementStatus,
    Fund,
    FundAllocation,
    FundGrant,
    FundOwner,
    FundTopUp,
    Listing,
    ListingKind,
    ListingStatus,
    Match,
    PayeeKind,
    TopUpKind,
    TransactionKind,
)

ZERO = Decimal("0.00")


# --- Errors -------------------------------------------------------------------------------


class AmountInvalid(LinliError):
    code = "amount_invalid"
    message = _("Enter an amount above zero.")


class ReferenceRequired(LinliError):
    code = "reference_required"
    message = _("Give the reference of the document or transfer, so the money can be traced.")


class InsufficientFunds(Conflict):
    code = "insufficient_funds"
    message = _(
        "The fund has only %(available)s free (after what it has promised). Nothing was changed."
    )


class PoolBelowSpent(InsufficientFunds):
    code = "pool_below_spent"
    message = _(
        "The pool cannot be smaller than what the campaign has already matched and reserved "
        "(%(spent)s)."
    )


class EscrowInsufficient(InsufficientFunds):
    code = "escrow_insufficient"
    message = _(
        "The listing's escrow holds only %(available)s beyond payouts already requested. "
        "Nothing was changed."
    )


class NotATownFund(LinliError):
    code = "not_a_town_fund"
    message = _("Money can be allocated only to a town's fund within the fund's own region.")


class NoCounterpartRatio(LinliError):
    code = "no_counterpart_ratio"
    message = _("Only a town's fund with a counterpart ratio takes counterpart deposits.")


class OutsideRegion(LinliError):
    code = "outside_region"
    message = _("That lies outside the fund's region.")


class TiersInvalid(LinliError):
    code = "tiers_invalid"
    message = _(
        "The ratio tiers are not valid: each ratio must be above 0 and at most 5, limits must "
        "rise, and only the last tier may be open-ended."
    )


class SlugTaken(Conflict):
    code = "slug_taken"
    message = _("Another campaign already uses this web address.")


class NotDisbursable(Conflict):
    code = "not_disbursable"
    message = _(
        "Money is paid out for a wish once its delivery is confirmed, and for a project in "
        "stages while it is under way; not for this listing now."
    )


class SameApprover(NotPermitted):
    code = "same_approver"
    message = _("A payout must be approved by someone other than the person who requested it.")


class PayeeRequired(LinliError):
    code = "payee_required"
    message = _("Name the supplier or contractor, or give the recipient's bank account.")


class FundNameTaken(Conflict):
    code = "fund_name_taken"
    message = _("Another fund already has this name.")


class AlreadyGranted(Conflict):
    code = "already_granted"
    message = _("This has been paid from a fund already.")


class NotExpress(Conflict):
    code = "not_express"
    message = _("This is not waiting for an express payment.")


# --- Who manages what -------------------------------------------------------------------------


def _org_admin(user: User, organisation_id: int | None) -> bool:
    return bool(
        organisation_id
        and user.is_authenticated
        and Membership.objects.filter(
            organisation_id=organisation_id, user=user, is_admin=True
        ).exists()
    )


def may_manage_fund(user: User, fund: Fund) -> bool:
    """Fund managers of its region (city admins, town reviewers) or, for an organisation's
    fund, that organisation's admins."""
    return has_perm(user, Perm.FUND_MANAGE, fund.region) or _org_admin(user, fund.organisation_id)


def manageable_funds(user: User) -> QuerySet[Fund]:
    """The funds *user* manages: in their fund-manager scope, or their organisations'."""
    if not user.is_authenticated:
        return Fund.objects.none()
    mine = Q(organisation__memberships__user=user, organisation__memberships__is_admin=True)
    return Fund.objects.filter(region_q(user, Perm.FUND_MANAGE) | mine).distinct()


def _require_fund(actor: User, fund: Fund) -> None:
    if not may_manage_fund(actor, fund):
        raise NotPermitted()


def _positive(amount: Decimal) -> Decimal:
    amount = money(amount)
    if amount <= 0:
        raise AmountInvalid()
    return amount


def _reference(reference: str) -> str:
    reference = (reference or "").strip()
    if not reference:
        raise ReferenceRequired()
    return reference[:120]


def _within(region: Region, fund: Fund) -> bool:
    return region.path.startswith(fund.region.path)


def _lock_funds(*funds: Fund) -> list[Fund]:
    """Lock *funds* (in pk order) and re-read them, in the order given."""
    locked = matching.lock_funds(f.pk for f in funds)
    return [locked[f.pk] for f in funds]


def available(fund: Fund, now: datetime | None = None) -> Decimal:
    """What the fund may still promise: its balance less the matches it has reserved.
    Exact under the fund's lock; a display figure otherwise."""
    return fund.account.balance - matching.fund_committed(fund, now or timezone.now())


# --- Funds ----------------------------------------------------------------------------------


def fund_create(
    *,
    actor: User,
    name: str,
    owner: str,
    region: Region,
    organisation=None,
    counterpart_ratio: Decimal | None = None,
    description: str = "",
) -> Fund:
    """Open a fund with its ledger account.

    City, town and charity-federation funds are opened by fund managers of the region; a
    company's or a charity's by that organisation's admins.

    Raises:
        NotPermitted: the actor may not open a fund there.
        FundNameTaken: another fund has the name (case aside).
    """
    public = owner in (FundOwner.CITY, FundOwner.TOWN, FundOwner.CHARITY_FEDERATION)
    if public:
        allowed = has_perm(actor, Perm.FUND_MANAGE, region)
    else:
        allowed = organisation is not None and _org_admin(actor, organisation.pk)
    if not allowed:
        raise NotPermitted()
    name = name.strip()
    if Fund.objects.filter(name__iexact=name).exists():
        raise FundNameTaken()
    with transaction.atomic():
        try:
            with transaction.atomic():  # the unique name is the last line (a concurrent twin)
                account = ledger.fund_account_create(name)
                fund = Fund.objects.create(
                    name=name,
                    owner=owner,
                    region=region,
                    organisation=organisation,
                    counterpart_ratio=counterpart_ratio if owner == FundOwner.TOWN else None,
                    description=description,
                    account=account,
                )
        except IntegrityError:
            raise FundNameTaken() from None
        audit.record(
            actor=actor,
            verb="fund.create",
            target=fund,
            region=region,
            data={"owner": owner, "counterpart_ratio": str(counterpart_ratio or "")},
        )
    return fund


def fund_top_up(
    *,
    actor: User,
    fund: Fund,
    kind: str,
    amount: Decimal,
    reference: str,
    source: str = "",
    received_on: date | None = None,
) -> FundTopUp:
    """Record money put into *fund* (an appropriation, a donation, a counterpart deposit).

    Raises:
        NotPermitted, AmountInvalid, ReferenceRequired,
        NoCounterpartRatio: a counterpart deposit to a fund that owes none,
        Conflict: the same reference was recorded for this fund already.
    """
    _require_fund(actor, fund)
    amount = _positive(amount)
    reference = _reference(reference)
    if kind == TopUpKind.COUNTERPART and fund.counterpart_ratio is None:
        raise NoCounterpartRatio()
    source_account = ledger.world(
        ledger.DONATIONS_IN if kind == TopUpKind.DONATION else ledger.PUBLIC_IN
    )
    with transaction.atomic():
        (fund,) = _lock_funds(fund)
        if FundTopUp.objects.filter(fund=fund, reference=reference).exists():
            raise Conflict()
        entry = ledger.post(
            kind=TransactionKind.COUNTERPART
            if kind == TopUpKind.COUNTERPART
            else TransactionKind.TOP_UP,
            legs=[ledger.Leg(source=source_account, target=fund.account, amount=amount)],
            memo=source,
            actor=actor,
            external_reference=reference,
            fund=fund,
        )
        top_up = FundTopUp.objects.create(
            fund=fund,
            kind=kind,
            amount=amount,
            reference=reference,
            source=source.strip()[:120],
            received_on=received_on or timezone.localdate(),
            recorded_by=actor,
            transaction=entry,
        )
        audit.record(
            actor=actor,
            verb=f"fund.{kind}",
            target=fund,
            region=fund.region,
            data={"amount": str(amount), "reference": reference, "transaction": entry.reference},
        )
    return top_up


def fund_allocate(
    *, actor: User, source: Fund, target: Fund, amount: Decimal, reference: str
) -> FundAllocation:
    """The city (or federation) allocates money from its fund to a town's fund.

    Raises:
        NotPermitted: the actor does not manage *source*.
        NotATownFund: *target* is not a town fund inside *source*'s region.
        InsufficientFunds: *source* has less free than *amount*.
    """
    _require_fund(actor, source)
    amount = _positive(amount)
    reference = _reference(reference)
    if (
        target.owner != FundOwner.TOWN
        or target.pk == source.pk
        or not _within(target.region, source)
    ):
        raise NotATownFund()
    with transaction.atomic():
        source, target = _lock_funds(source, target)
        free = available(source)
        if free < amount:
            raise InsufficientFunds(available=f"¥{free:,.2f}")
        entry = ledger.post(
            kind=TransactionKind.ALLOCATION,
            legs=[ledger.Leg(source=source.account, target=target.account, amount=amount)],
            memo=f"{source.name} → {target.name}",
            actor=actor,
            external_reference=reference,
            fund=target,
        )
        allocation = FundAllocation.objects.create(
            source=source,
            target=target,
            amount=amount,
            reference=reference,
            allocated_by=actor,
            transaction=entry,
        )
        audit.record(
            actor=actor,
            verb="fund.allocate",
            target=allocation,
            region=source.region,
            data={"from": source.pk, "to": target.pk, "amount": str(amount)},
        )
    return allocation


@dataclass(frozen=True)
class Counterpart:
    """A town fund's counterpart position: owed at its ratio of what it was allocated."""

    fund: Fund
    ratio: Decimal
    allocated: Decimal
    owed: Decimal
    deposited: Decimal

    @property
    def outstanding(self) -> Decimal:
        return max(self.owed - self.deposited, ZERO)

    @property
    def compliant(self) -> bool:
        return self.deposited >= self.owed

    @property
    def percent(self) -> int:
        if self.owed <= 0:
            return 100
        return min(int(self.deposited * 100 / self.owed), 100)


def counterparts(funds: QuerySet[Fund]) -> list[Counterpart]:
    """Each town fund's counterpart position (three queries, whatever the number of towns)."""
    funds = funds.filter(counterpart_ratio__isnull=False).select_related("region", "account")
    funds = list(funds.order_by("region__path"))
    deposits = dict(
        FundTopUp.objects.filter(fund__in=funds, kind=TopUpKind.COUNTERPART)
        .values("fund")
        .annotate(total=Sum("amount"))
        .values_list("fund", "total")
    )
    allocated = dict(
        FundAllocation.objects.filter(target__in=funds)
        .values("target")
        .annotate(total=Sum("amount"))
        .values_list("target", "total")
    )
    rows = []
    for fund in funds:
        given = allocated.get(fund.pk) or ZERO
        owed = money(given * fund.counterpart_ratio)
        rows.append(
            Counterpart(
                fund=fund,
                ratio=fund.counterpart_ratio,
                allocated=given,
                owed=owed,
                deposited=deposits.get(fund.pk) or ZERO,
            )
        )
    return rows


def fund_grant(
    *,
    actor: User,
    fund: Fund,
    source,
    region: Region,
    amount: Decimal,
    payee_name: str,
    payee_account: str,
    payment_reference: str,
    memo: str = "",
) -> FundGrant:
    """Pay *amount* straight out of *fund* for *source* (an express wish) in *region*.

    Call inside the transaction that moves *source* on (the caller holds its lock).

    Raises:
        NotPermitted: the actor does not manage the fund, or may not pay out in *region*.
        OutsideRegion: *region* is outside the fund's region.
        InsufficientFunds: the fund has less free than *amount* (read under its lock).
        AlreadyGranted: *source* was paid from a fund already.
        PayeeRequired, ReferenceRequired, AmountInvalid.
    """
    _require_fund(actor, fund)
    if not has_perm(actor, Perm.FUND_MANAGE, region):
        raise NotPermitted()
    if not _within(region, fund):
        raise OutsideRegion()
    amount = _positive(amount)
    payment_reference = _reference(payment_reference)
    if not payee_name.strip():
        raise PayeeRequired()
    from django.contrib.contenttypes.models import ContentType

    with transaction.atomic():
        (fund,) = _lock_funds(fund)
        source_type = ContentType.objects.get_for_model(source)
        if FundGrant.objects.filter(source_type=source_type, source_id=source.pk).exists():
            raise AlreadyGranted()
        free = available(fund)
        if free < amount:
            raise InsufficientFunds(available=f"¥{free:,.2f}")
        entry = ledger.post(
            kind=TransactionKind.GRANT,
            legs=[
                ledger.Leg(source=fund.account, target=ledger.world(ledger.PAYOUTS), amount=amount)
            ],
            memo=memo,
            actor=actor,
            external_reference=payment_reference,
            fund=fund,
        )
        grant = FundGrant.objects.create(
            fund=fund,
            source_type=source_type,
            source_id=source.pk,
            region=region,
            amount=amount,
            payee_name=payee_name.strip(),
            payee_account=payee_account.strip(),
            payment_reference=payment_reference,
            approved_by=actor,
            transaction=entry,
        )
        audit.record(
            actor=actor,
            verb="fund.grant",
            target=grant,
            region=region,
            data={"fund": fund.pk, "amount": str(amount), "transaction": entry.reference},
        )
    return grant


# --- Matching campaigns -------------------------------------------------------------------


CAMPAIGN = Workflow(
    "campaign",
    {
        CampaignStatus.DRAFT: {CampaignStatus.ACTIVE, CampaignStatus.CLOSED},
        CampaignStatus.ACTIVE: {CampaignStatus.PAUSED, CampaignStatus.CLOSED},
        CampaignStatus.PAUSED: {CampaignStatus.ACTIVE, CampaignStatus.CLOSED},
    },
)


@dataclass
class CampaignRules:
    """Everything a campaign's manager sets (validated by the service)."""

    name: str
    tiers: list[dict]
    pool_cap: Decimal
    region: Region
    starts_at: datetime
    ends_at: datetime | None = None
    per_pledge_cap: Decimal | None = None
    per_donor_cap: Decimal | None = None
    per_donor_daily_cap: Decimal | None = None
    per_listing_cap: Decimal | None = None
    hour_rate: Decimal | None = None
    categories: list[str] | None = None
    listing_kinds: list[str] | None = None
    donor_kinds: list[str] | None = None
    description: str = ""


def _check_rules(rules: CampaignRules, fund: Fund) -> None:
    if not matching.tiers_valid(rules.tiers):
        raise TiersInvalid()
    if money(rules.pool_cap) <= 0:
        raise AmountInvalid()
    if not _within(rules.region, fund):
        raise OutsideRegion()
    for cap in (
        rules.per_pledge_cap,
        rules.per_donor_cap,
        rules.per_donor_daily_cap,
        rules.per_listing_cap,
        rules.hour_rate,
    ):
        if cap is not None and money(cap) <= 0:
            raise AmountInvalid()


def _rule_fields(rules: CampaignRules) -> dict:
    return {
        "name": rules.name.strip(),
        "description": rules.description,
        "tiers": [
            {
                "up_to": None if t.get("up_to") in (None, "") else str(money(t["up_to"])),
                "ratio": str(Decimal(str(t["ratio"]))),
            }
            for t in rules.tiers
        ],
        "pool_cap": money(rules.pool_cap),
        "region": rules.region,
        "starts_at": rules.starts_at,
        "ends_at": rules.ends_at,
        "per_pledge_cap": rules.per_pledge_cap,
        "per_donor_cap": rules.per_donor_cap,
        "per_donor_daily_cap": rules.per_donor_daily_cap,
        "per_listing_cap": rules.per_listing_cap,
        "hour_rate": rules.hour_rate,
        "categories": sorted(rules.categories or []),
        "listing_kinds": sorted(rules.listing_kinds or []),
        "donor_kinds": sorted(rules.donor_kinds or []),
    }


def campaign_create(*, actor: User, fund: Fund, rules: CampaignRules, slug: str = "") -> Campaign:
    """Draft a matching campaign on *fund* (it matches nothing until started).

    Raises:
        NotPermitted, TiersInvalid, AmountInvalid, OutsideRegion, SlugTaken.
    """
    _require_fund(actor, fund)
    _check_rules(rules, fund)
    # A Chinese name slugifies to nothing: the fallback must differ within one second too.
    slug = slugify(slug or rules.name)[:60] or f"campaign-{timezone.now():%Y%m%d}-{token_hex(4)}"
    with transaction.atomic():
        if Campaign.objects.filter(slug=slug).exists():
            raise SlugTaken()
        campaign = Campaign.objects.create(
            fund=fund, slug=slug, created_by=actor, **_rule_fields(rules)
        )
        audit.record(
            actor=actor,
            verb="campaign.create",
            target=campaign,
            region=fund.region,
            data={"fund": fund.pk, "pool": str(campaign.pool_cap), "tiers": campaign.tiers},
        )
    return campaign


def campaign_update(
    *, actor: User, campaign: Campaign, rules: CampaignRules, reason: str = ""
) -> Campaign:
    """Change a draft or paused campaign's rules. The pool never drops below what it has
    matched and reserved.

    Raises:
        NotPermitted, InvalidTransition (active or closed), TiersInvalid, AmountInvalid,
        OutsideRegion, PoolBelowSpent (pool below what is matched or reserved).
    """
    _require_fund(actor, campaign.fund)
    _check_rules(rules, campaign.fund)
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update(of=("self",))
            .select_related("fund__region")
            .get(pk=campaign.pk)
        )
        if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.PAUSED):
            raise InvalidTransition(current=campaign.get_status_display())
        spent = campaign.matched + matching.pool_reserved(campaign, timezone.now())
        if money(rules.pool_cap) < spent:
            raise PoolBelowSpent(spent=f"¥{spent:,.2f}")
        before = {"pool": str(campaign.pool_cap), "tiers": campaign.tiers}
        for field, value in _rule_fields(rules).items():
            setattr(campaign, field, value)
        campaign.save()
        audit.record(
            actor=actor,
            verb="campaign.update",
            target=campaign,
            region=campaign.fund.region,
            reason=reason,
            data={"before": before, "pool": str(campaign.pool_cap), "tiers": campaign.tiers},
        )
    return campaign


def campaign_move(*, actor: User, campaign: Campaign, to: str, reason: str = "") -> Campaign:
    """Start, pause, resume or close a campaign. Reserved matches are honoured whatever
    happens after; a paused or closed campaign reserves nothing new.

    Raises:
        NotPermitted, InvalidTransition.
    """
    _require_fund(actor, campaign.fund)
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update(of=("self",))
            .select_related("fund__region")
            .get(pk=campaign.pk)
        )
        if campaign.status == to:
            return campaign
        CAMPAIGN.move(campaign, to, actor=actor, reason=reason, region=campaign.fund.region)
    return campaign


# Hours earn their rate while the listing is live or just delivered; never into a closed or
# cancelled listing's escrow, where the money would have nowhere to go.
HOURS_PAYABLE = frozenset(
    {
        ListingStatus.OPEN,
        ListingStatus.FULLY_PLEDGED,
        ListingStatus.IN_DELIVERY,
        ListingStatus.DELIVERED,
    }
)


def hours_match_post(
    *,
    campaign: Campaign,
    listing: Listing,
    hours: Decimal,
    reference: str,
    actor: User | None = None,
    now: datetime | None = None,
) -> Decimal:
    """A sponsor pays its hour rate for volunteer hours a station verified on *listing*:
    fund → the listing's escrow, within the pool and the fund's free balance. Returns the
    amount posted (0 when the campaign pays no hour rate, is not active and running now,
    does not cover the listing, the listing is closed or cancelled, or the pool, the fund
    or the per-listing cap is spent).

    Called by the station's hour verification, inside its transaction.
    """
    now = now or timezone.now()
    if campaign.hour_rate is None or hours <= 0:
        return ZERO
    with transaction.atomic():
        listing = (
            Listing.objects.select_for_update(of=("self",))
            .select_related("community")
            .get(pk=listing.pk)
        )
        locked, funds = matching._lock([campaign.pk])
        campaign = locked[0]
        fund = funds[campaign.fund_id]
        if (
            campaign.status != CampaignStatus.ACTIVE
            or campaign.starts_at > now
            or (campaign.ends_at is not None and campaign.ends_at <= now)
            or not listing.community.path.startswith(campaign.region.path)
            or (campaign.categories and listing.category not in campaign.categories)
            or (campaign.listing_kinds and listing.kind not in campaign.listing_kinds)
            or listing.status not in HOURS_PAYABLE
        ):
            return ZERO
        pool = campaign.pool_cap - campaign.matched - matching.pool_reserved(campaign, now)
        limits = [money(hours * campaign.hour_rate), pool, available(fund, now)]
        if campaign.per_listing_cap is not None:
            on_listing = Match.objects.filter(campaign=campaign, listing=listing).holding(now)
            limits.append(
                campaign.per_listing_cap
                - on_listing.total()
                - matching.hours_matched(campaign, listing)
            )
        amount = min(limits)
        if amount <= 0:
            return ZERO
        ledger.post(
            kind=TransactionKind.HOURS_MATCH,
            legs=[ledger.Leg(source=fund.account, target=ledger.escrow(listing), amount=amount)],
            memo=f"{hours} h",
            actor=actor,
            external_reference=reference,
            listing=listing,
            campaign=campaign,
            fund=fund,
            now=now,
        )
        Campaign.objects.filter(pk=campaign.pk).update(matched=F("matched") + amount)
        audit.record(
            actor=actor,
            verb="campaign.hours_match",
            target=campaign,
            region=listing.community,
            data={"listing": listing.pk, "hours": str(hours), "amount": str(amount)},
        )
    return amount


# --- Disbursements ---------------------------------------------------------------------------

PAYABLE_WISH = frozenset({ListingStatus.DELIVERED, ListingStatus.CLOSED})
PAYABLE_PROJECT = frozenset(
    {
        ListingStatus.OPEN,
        ListingStatus.FULLY_PLEDGED,
        ListingStatus.IN_DELIVERY,
        ListingStatus.DELIVERED,
        ListingStatus.CLOSED,
    }
)


def disbursable(listing: Listing) -> bool:
    """A wish's money is paid out once its delivery is confirmed; a project's in stages."""
    allowed = PAYABLE_PROJECT if listing.kind == ListingKind.PROJECT else PAYABLE_WISH
    return listing.status in allowed


def may_request_disbursement(user: User, listing: Listing) -> bool:
    return has_perm(user, Perm.FUND_MANAGE, listing.community) or has_perm(
        user, Perm.DELIVERY_LOG, listing.community
    )


def escrow_free(listing: Listing, *, exclude: Disbursement | None = None) -> Decimal:
    """The listing's escrow less payouts already requested and waiting."""
    waiting = Disbursement.objects.filter(listing=listing, status=DisbursementStatus.REQUESTED)
    if exclude is not None:
        waiting = waiting.exclude(pk=exclude.pk)
    pending = waiting.aggregate(total=Sum("amount"))["total"] or ZERO
    return ledger.escrow(listing).balance - pending


def disbursement_request(
    *,
    actor: User,
    listing: Listing,
    amount: Decimal,
    payee_kind: str,
    payee_name: str = "",
    recipient_account: str = "",
    stage: str = "",
) -> Disbursement:
    """Ask for money raised for *listing* to be paid to whoever delivers it.

    Raises:
        NotPermitted, AmountInvalid, PayeeRequired, NotDisbursable,
        InsufficientFunds: more than the escrow holds beyond payouts already requested.
    """
    if not may_request_disbursement(actor, listing):
        raise NotPermitted()
    amount = _positive(amount)
    payee_name = payee_name.strip()
    recipient_account = recipient_account.strip()
    if payee_kind == PayeeKind.RECIPIENT:
        if not recipient_account:
            raise PayeeRequired()
        payee_name = ""
    elif not payee_name:
        raise PayeeRequired()
    with transaction.atomic():
        listing = (
            Listing.objects.select_for_update(of=("self",))
            .select_related("community")
            .get(pk=listing.pk)
        )
        if not disbursable(listing):
            raise NotDisbursable()
        free = escrow_free(listing)
        if free < amount:
            raise EscrowInsufficient(available=f"¥{free:,.2f}")
        disbursement = Disbursement.objects.create(
            listing=listing,
            amount=amount,
            payee_kind=payee_kind,
            payee_name=payee_name[:120],
            recipient_account=recipient_account,
            stage=stage.strip()[:120],
            requested_by=actor,
        )
        audit.record(
            actor=actor,
            verb="disbursement.request",
            target=disbursement,
            region=listing.community,
            data={"amount": str(amount), "payee_kind": payee_kind},
        )
    return disbursement


def disbursement_approve(
    *, actor: User, disbursement: Disbursement, payment_reference: str
) -> Disbursement:
    """Approve and record the payout: the escrow pays the payee (escrow → payouts).

    Raises:
        NotPermitted: not a fund manager of the listing's area.
        SameApprover: the actor requested it.
        ReferenceRequired, InvalidTransition (already decided), InsufficientFunds.
    """
    listing = disbursement.listing
    if not has_perm(actor, Perm.FUND_MANAGE, listing.community):
        raise NotPermitted()
    if disbursement.requested_by_id == actor.pk:
        raise SameApprover()
    payment_reference = _reference(payment_reference)
    with transaction.atomic():
        listing = (
            Listing.objects.select_for_update(of=("self",))
            .select_related("community")
            .get(pk=listing.pk)
        )
        disbursement = Disbursement.objects.select_for_update().get(pk=disbursement.pk)
        if disbursement.status == DisbursementStatus.PAID:
            return disbursement
        if disbursement.status != DisbursementStatus.REQUESTED:
            raise InvalidTransition(current=disbursement.get_status_display())
        if not disbursable(listing):
            raise NotDisbursable()
        escrow = ledger.escrow(listing)
        if escrow.balance < disbursement.amount:
            raise EscrowInsufficient(available=f"¥{escrow.balance:,.2f}")
        entry = ledger.post(
            kind=TransactionKind.DISBURSEMENT,
            legs=[
                ledger.Leg(
                    source=escrow, target=ledger.world(ledger.PAYOUTS), amount=disbursement.amount
                )
            ],
            memo=disbursement.stage or str(disbursement.public_payee),
            actor=actor,
            external_reference=payment_reference,
            listing=listing,
        )
        disbursement.status = DisbursementStatus.PAID
        disbursement.decided_by = actor
        disbursement.decided_at = timezone.now()
        disbursement.payment_reference = payment_reference
        disbursement.transaction = entry
        disbursement.save(
            update_fields=["status", "decided_by", "decided_at", "payment_reference", "transaction"]
        )
        audit.record(
            actor=actor,
            verb="disbursement.pay",
            target=disbursement,
            region=listing.community,
            data={"amount": str(disbursement.amount), "transaction": entry.reference},
        )
    return disbursement


def disbursement_reject(*, actor: User, disbursement: Disbursement, reason: str) -> Disbursement:
    """Turn a payout request down, with a reason told to the requester.

    Raises:
        NotPermitted, ReasonRequired, InvalidTransition.
    """
    from marketplace.staff_services import ReasonRequired

    listing = disbursement.listing
    if not has_perm(actor, Perm.FUND_MANAGE, listing.community):
        raise NotPermitted()
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    with transaction.atomic():
        disbursement = Disbursement.objects.select_for_update().get(pk=disbursement.pk)
        if disbursement.status == DisbursementStatus.REJECTED:
            return disbursement
        if disbursement.status != DisbursementStatus.REQUESTED:
            raise InvalidTransition(current=disbursement.get_status_display())
        disbursement.status = DisbursementStatus.REJECTED
        disbursement.decided_by = actor
        disbursement.decided_at = timezone.now()
        disbursement.reason = reason[:500]
        disbursement.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        audit.record(
            actor=actor,
            verb="disbursement.reject",
            target=disbursement,
            region=listing.community,
            reason=reason,
        )
    return disbursement
