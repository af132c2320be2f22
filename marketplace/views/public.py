"""The public marketplace: browse the listings open to donors, and one listing's page.

Everything here is anonymous-safe: selectors load only a listing's public fields, and
donors appear by display name or as an anonymous donor.
"""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from feedback.selectors import listing_outcome
from marketplace import selectors, selectors_ledger, selectors_matching
from marketplace.forms import ListingFilterForm
from marketplace.models import LineKind, Listing, ListingKind, ListingStatus
from projects.models import Category as ProjectCategory
from wishes.models import Category, Urgency

PAGE_SIZE = 20
CATEGORY_LABELS = dict(Category.choices)
# A project's category is a word of the projects' vocabulary.
PROJECT_CATEGORY_LABELS = dict(ProjectCategory.choices)
URGENCY_LABELS = dict(Urgency.choices)
STEP_LABELS = {
    "wish.published": _("Published after its public notice"),
    "listing.publish": _("Opened to donors"),
    "listing.extend": _("Deadline extended"),
    "listing.reopen": _("Open to pledges again"),
}


def _label(listing: Listing) -> None:
    """Category and urgency are stored as words of the source's vocabulary; name them."""
    labels = PROJECT_CATEGORY_LABELS if listing.kind == ListingKind.PROJECT else CATEGORY_LABELS
    listing.category_label = labels.get(listing.category, listing.category)
    listing.urgency_label = URGENCY_LABELS.get(listing.urgency, listing.urgency)


def _step_label(verb: str) -> str:
    """A public name for a step of the timeline; the audit verb itself is never shown."""
    if verb in STEP_LABELS:
        return STEP_LABELS[verb]
    suffix = verb.removeprefix("listing.")
    if suffix in ListingStatus.values:
        return ListingStatus(suffix).label
    return _("Updated")


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@require_GET
def listing_list(request: HttpRequest) -> HttpResponse:
    """Listings open to donors, searched, filtered and sorted; htmx swaps only the results."""
    form = ListingFilterForm(request.GET or None, regions=selectors.filter_regions())
    listings = selectors.public_listings(form.filters())
    page = Paginator(listings, PAGE_SIZE).get_page(request.GET.get("page"))
    for listing in page:
        _label(listing)
        for line in listing.lines.all():
            line.percent = selectors.line_percent(line)
    _match_remaining(list(page))
    template = (
        "marketplace/public/includes/results.html"
        if request.htmx
        else "marketplace/public/list.html"
    )
    response = render(
        request,
        template,
        {"form": form, "page": page, "query": _query_without_page(request)},
    )
    # The same URL answers a whole page or its results: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


def _match_remaining(listings: list[Listing]) -> None:
    """Set each open listing's ``matching`` (what a pledge to its money would get now):
    the active campaigns are read once for the whole page, whatever its length."""
    now = timezone.now()
    room = {
        listing.pk
        for listing in listings
        if listing.status == ListingStatus.OPEN
        and any(
            line.kind == LineKind.MONEY and line.confirmed < line.target
            for line in listing.lines.all()
        )
    }
    campaigns = selectors_matching.active_campaigns(now) if room else []
    held = selectors_matching.matched_on_listings(sorted(room), campaigns, now)
    for listing in listings:
        listing.matching = (
            selectors_matching.listing_matching(listing, campaigns, held)
            if listing.pk in room
            else selectors_matching.Matching()
        )


def _url_or_none(name: str, *args) -> str | None:
    """The URL of a page that may not be installed yet (claiming, pledging)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


DELIVERED = (ListingStatus.DELIVERED, ListingStatus.CLOSED)


@require_GET
def listing_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """One listing's public page: story, lines with what remains, supporters, steps."""
    page = selectors.public_listing(reference)
    listing = page.listing
    _label(listing)
    is_open = listing.status == ListingStatus.OPEN
    matching = selectors_matching.Matching()
    if is_open and any(line.kind == LineKind.MONEY and line.remaining > 0 for line in page.lines):
        now = timezone.now()
        campaigns = selectors_matching.active_campaigns(now)
        held = selectors_matching.matched_on_listings([listing.pk], campaigns, now)
        matching = selectors_matching.listing_matching(listing, campaigns, held)
    return render(
        request,
        "marketplace/public/detail.html",
        {
            "listing": listing,
            "lines": page.lines,
            "supporters": page.supporters,
            "supporters_truncated": len(page.supporters) >= selectors.DONORS_SHOWN,
            "timeline": [(_step_label(step.verb), step.at) for step in page.timeline],
            "is_open": is_open,
            "claim_url": (
                _url_or_none("marketplace:claim", listing.reference)
                if is_open and listing.claimed_until is None
                else None
            ),
            "pledge_url": _url_or_none("marketplace:pledge", listing.reference)
            if is_open
            else None,
            "matching": matching,
            "money": selectors_ledger.listing_money(listing),
            # Delivered listings show when, and how their recipients rated them.
            "outcome": listing_outcome(listing) if listing.status in DELIVERED else None,
        },
    )


urlpatterns = [
    path("give/", listing_list, name="list"),
    path("give/<str:reference>/", listing_detail, name="detail"),
]
