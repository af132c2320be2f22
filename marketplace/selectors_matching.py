"""Matching as the public sees it: a campaign's rules in words, and "match remaining" on
the listings (the campaigns that would match a pledge now, and what each has left).

Everything is read at request time from reservations and confirmed matches, so a pool
used up by a pledge a moment ago shows as used up at once. A page of listings costs one
query for the active campaigns (with their reserved sums and their funds' commitments as
subqueries) and, only when a campaign caps what one need may get, one more for what those
campaigns hold on the page's listings; the rest is worked out in Python per card.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.money import money
from marketplace.models import (
    Campaign,
    CampaignStatus,
    DonorKind,
    Listing,
    ListingKind,
    ListingStatus,
    Match,
)
from marketplace.selectors_ledger import ZERO, campaign_figures, campaign_finish

# --- Rules in words -----------------------------------------------------------------------


def _number(value) -> str:
    """``Decimal('1.50')`` → ``1.5``; ``Decimal('50.00')`` → ``50``."""
    number = Decimal(str(value)).normalize()
    return f"{number:f}"


def _yuan(value) -> str:
    return f"¥{Decimal(str(value)):,.2f}".removesuffix(".00")


def ratio_summary(tiers: list[dict]) -> str:
    """``1:1`` for one open-ended tier, else the best ratio: ``up to 1:0.5``."""
    if len(tiers) == 1 and tiers[0].get("up_to") in (None, ""):
        return f"1:{_number(tiers[0]['ratio'])}"
    best = max(Decimal(str(t["ratio"])) for t in tiers)
    return _("up to 1:%(ratio)s") % {"ratio": _number(best)}


def tier_words(tiers: list[dict]) -> list[str]:
    """Each ratio tier said in words, over each donor's running total in the campaign."""
    words = []
    lower = Decimal(0)
    for tier in tiers:
        ratio = _number(tier["ratio"])
        up_to = tier.get("up_to")
        upper = None if up_to in (None, "") else Decimal(str(up_to))
        values = {"ratio": ratio, "lower": _yuan(lower), "upper": _yuan(upper or 0)}
        if lower == 0 and upper is None:
            words.append(_("Every yuan a donor gives is matched 1:%(ratio)s.") % values)
        elif lower == 0:
            words.append(_("Each donor's first %(upper)s is matched 1:%(ratio)s.") % values)
        elif upper is None:
            words.append(_("Beyond %(lower)s of a donor's total: 1:%(ratio)s.") % values)
        else:
            words.append(_("From %(lower)s to %(upper)s of a donor's total: 1:%(ratio)s.") % values)
        if upper is None:
            break
        lower = upper
    else:
        words.append(
            _("A donor's gifts beyond %(upper)s are not matched.") % {"upper": _yuan(lower)}
        )
    return words


def _comma() -> str:
    return pgettext("between the items of a list", ", ")


def donor_kind_labels(campaign: Campaign) -> list[str]:
    labels = dict(DonorKind.choices)
    return [str(labels.get(kind, kind)) for kind in campaign.donor_kinds]


def rule_words(campaign: Campaign) -> dict[str, list[str]]:
    """The campaign's rules in words: ``ratio``, ``caps``, ``eligibility``."""
    from wishes.models import Category

    caps = []
    for value, text in (
        (campaign.per_pledge_cap, _("At most %(amount)s per pledge.")),
        (campaign.per_donor_cap, _("At most %(amount)s per donor over the campaign.")),
        (campaign.per_donor_daily_cap, _("At most %(amount)s per donor per day.")),
        (campaign.per_listing_cap, _("At most %(amount)s per need.")),
        (campaign.hour_rate, _("%(amount)s for each volunteer hour a station verifies.")),
    ):
        if value is not None:
            caps.append(text % {"amount": _yuan(value)})
    caps.append(
        _(
            "A pledge is matched only up to what its need still lacks; the donor's own gift comes first."
        )
    )
    categories = dict(Category.choices)
    kinds = dict(ListingKind.choices)
    comma = _comma()
    eligibility = [_("Needs in %(region)s.") % {"region": campaign.region.label}]
    if campaign.categories:
        names = comma.join(str(categories.get(c, c)) for c in campaign.categories)
        eligibility.append(_("Categories: %(names)s.") % {"names": names})
    if campaign.listing_kinds:
        names = comma.join(str(kinds.get(k, k)) for k in campaign.listing_kinds)
        eligibility.append(_("Only: %(names)s.") % {"names": names})
    if campaign.donor_kinds:
        names = comma.join(donor_kind_labels(campaign))
        eligibility.append(_("Donors: %(names)s.") % {"names": names})
    if campaign.fund.organisation_id:
        eligibility.append(
            _("Gifts from %(sponsor)s itself or its own members are not matched.")
            % {"sponsor": campaign.fund.organisation.name}
        )
    return {"ratio": tier_words(campaign.tiers), "caps": caps, "eligibility": eligibility}


# --- Match remaining on listings ----------------------------------------------------------


def active_campaigns(now: datetime | None = None) -> list[Campaign]:
    """Campaigns matching now (active, in their window) with ``reserved``, ``remaining``
    and ``state``: one query, whatever the number of campaigns or listings."""
    now = now or timezone.now()
    rows = (
        Campaign.objects.filter(status=CampaignStatus.ACTIVE, starts_at__lte=now)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .select_related("fund__account", "region")
        .only(
            "name",
            "slug",
            "status",
            "tiers",
            "pool_cap",
            "matched",
            "per_listing_cap",
            "categories",
            "listing_kinds",
            "donor_kinds",
            "starts_at",
            "ends_at",
            "fund",
            "fund__account",
            "fund__account__balance",
            "region",
            "region__path",
        )
        .annotate(**campaign_figures(now))
        .order_by("pk")
    )
    return [campaign_finish(c, now) for c in rows]


def matched_on_listings(
    listing_ids: list[int], campaigns: list[Campaign], now: datetime | None = None
) -> dict[tuple[int, int], Decimal]:
    """What campaigns with a cap per need hold on each listing (confirmed or reserved).

    One query, and none when no active campaign has such a cap.
    """
    capped = [c.pk for c in campaigns if c.per_listing_cap is not None]
    if not capped or not listing_ids:
        return {}
    rows = (
        Match.objects.filter(listing_id__in=listing_ids, campaign_id__in=capped)
        .holding(now or timezone.now())
        .order_by()
        .values_list("listing_id", "campaign_id")
        .annotate(total=Sum("amount"))
    )
    return {(listing, campaign): money(total) for listing, campaign, total in rows}


@dataclass(frozen=True)
class Offer:
    """A campaign that would match a pledge to a listing now, and what it has left for it."""

    campaign: Campaign
    left: Decimal
    ratio: str
    donor_kinds: str  # who may be matched, when the campaign says (empty: anyone)


@dataclass(frozen=True)
class Matching:
    """The matching a pledge to one listing would get now (for an anonymous visitor).

    ``offers`` have money left; ``used_up`` means campaigns would match but every pool is
    used up. Rules that depend on the donor (who they are, their caps) are not known here.
    """

    offers: list[Offer] = field(default_factory=list)
    used_up: bool = False

    def __bool__(self) -> bool:
        return bool(self.offers) or self.used_up


def _fits(campaign: Campaign, listing: Listing) -> bool:
    """The listing's side of :func:`marketplace.matching.eligible` (status and window are
    filtered by :func:`active_campaigns`)."""
    if not listing.community.path.startswith(campaign.region.path):
        return False
    if campaign.categories and listing.category not in campaign.categories:
        return False
    return not (campaign.listing_kinds and listing.kind not in campaign.listing_kinds)


def listing_matching(
    listing: Listing,
    campaigns: list[Campaign],
    on_listings: dict[tuple[int, int], Decimal],
) -> Matching:
    """What would match a pledge to *listing* now (no query: pass :func:`active_campaigns`
    and :func:`matched_on_listings`). Nothing for a listing that is not open."""
    if listing.status != ListingStatus.OPEN:
        return Matching()
    offers = []
    eligible = 0
    for campaign in campaigns:
        if not _fits(campaign, listing):
            continue
        eligible += 1
        left = campaign.remaining
        if campaign.per_listing_cap is not None:
            held = on_listings.get((listing.pk, campaign.pk), ZERO)
            left = min(left, max(campaign.per_listing_cap - held, ZERO))
        if left > 0:
            offers.append(
                Offer(
                    campaign=campaign,
                    left=left,
                    ratio=ratio_summary(campaign.tiers),
                    donor_kinds=_comma().join(donor_kind_labels(campaign)),
                )
            )
    return Matching(offers=offers, used_up=eligible > 0 and not offers)
