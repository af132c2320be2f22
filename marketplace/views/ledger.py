"""The public ledger (阳光账本): where every yuan came from and where it went, for anyone.

The city's totals with every fund and matching campaign, one fund's page, one campaign's
page (its rules and the match it has left), one listing's money, and downloads of the
transactions behind each (CSV with a byte-order mark so Excel reads Chinese, and JSON with
the totals). No sign-in; nothing personal is loaded (see ``marketplace.selectors_ledger``).
"""

import csv
import json
from collections.abc import Iterable, Iterator

from django import forms
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from accounts.models import Region
from marketplace import selectors_ledger as selectors
from marketplace import selectors_matching
from marketplace.models import LedgerTransaction, Listing

PAGE_SIZE = 50
SHOWN = 50  # top-ups, allocations and express payments on a fund's page (all in the download)
FORMATS = ("csv", "json")
CHUNK = 2000


class TownForm(forms.Form):
    """Narrow the city's ledger to one town (a GET form; a bad choice is ignored)."""

    town = forms.TypedChoiceField(
        label=_("Town or street"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, towns: list[Region], **kwargs):
        super().__init__(*args, **kwargs)
        self.towns = {town.pk: town for town in towns}
        self.fields["town"].choices = [("", _("The whole city"))] + [
            (pk, town.label) for pk, town in self.towns.items()
        ]

    def chosen(self) -> Region | None:
        if not self.is_bound or not self.is_valid():
            return None
        return self.towns.get(self.cleaned_data["town"])


def _town(request: HttpRequest) -> tuple[TownForm, Region | None]:
    form = TownForm(request.GET or None, towns=selectors.towns())
    return form, form.chosen()


def _town_only(request: HttpRequest) -> Region | None:
    """The town asked for by a download (no query when none is)."""
    if not request.GET.get("town"):
        return None
    return _town(request)[1]


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _page(request: HttpRequest, rows) -> Page:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def _memos(entries: Iterable[LedgerTransaction], *, parties: bool = False) -> None:
    for entry in entries:
        entry.public_memo = selectors.public_memo(entry)
        if parties:
            entry.party = selectors.party(entry)


# --- Pages --------------------------------------------------------------------------------


@require_GET
def ledger_city(request: HttpRequest) -> HttpResponse:
    """The city's totals, every fund and campaign, and the latest transactions."""
    form, town = _town(request)
    page = _page(request, selectors.transactions(town=town))
    _memos(page)
    return render(
        request,
        "marketplace/ledger/city.html",
        {
            "form": form,
            "town": town,
            "totals": selectors.city_totals(town),
            "funds": selectors.funds(town),
            "campaigns": selectors.campaigns(town),
            "page": page,
            "query": _query_without_page(request),
            "download_query": f"?town={town.pk}" if town is not None else "",
        },
    )


@require_GET
def ledger_fund(request: HttpRequest, pk: int) -> HttpResponse:
    """One fund: its figures, lines, top-ups, allocations, campaigns and express payments."""
    fund = selectors.public_fund(pk)
    return render(
        request,
        "marketplace/ledger/fund.html",
        {
            "fund": fund,
            "page": _page(request, selectors.fund_lines(fund)),
            "top_ups": selectors.fund_top_ups(fund, SHOWN),
            "allocations": selectors.fund_allocations(fund, SHOWN),
            "campaigns": selectors.campaigns(fund=fund),
            "grants": selectors.fund_grants(fund, SHOWN),
            "shown": SHOWN,
        },
    )


@require_GET
def campaign_page(request: HttpRequest, slug: str) -> HttpResponse:
    """One campaign: sponsor, rules in words, the match it has left and what it matched."""
    campaign = selectors.public_campaign(slug)
    return render(
        request,
        "marketplace/ledger/campaign.html",
        {
            "campaign": campaign,
            "rules": selectors_matching.rule_words(campaign),
            "page": _page(request, selectors.campaign_listings(campaign)),
        },
    )


@require_GET
def listing_ledger(request: HttpRequest, reference: str) -> HttpResponse:
    """Where one listing's money came from and went. The recipient never appears."""
    listing = selectors.public_listing_ref(reference)
    page = _page(request, selectors.transactions(listing=listing, donors=True))
    _memos(page, parties=True)
    return render(
        request,
        "marketplace/ledger/listing.html",
        {"listing": listing, "money": selectors.listing_money(listing), "page": page},
    )


# --- Downloads ----------------------------------------------------------------------------


def _columns() -> list[tuple[str, str]]:
    return [
        ("date", gettext("Date")),
        ("reference", gettext("Reference")),
        ("kind_label", gettext("Kind")),
        ("memo", gettext("Memo")),
        ("external_reference", gettext("External reference")),
        ("listing", gettext("Listing")),
        ("fund", gettext("Fund")),
        ("campaign_name", gettext("Matching campaign")),
        ("amount", gettext("Amount (yuan)")),
    ]


class _Echo:
    """A file-like object whose ``write`` hands the line back, for streaming CSV."""

    def write(self, value: str) -> str:
        return value


def _in_language(language: str, parts: Iterator[str]) -> Iterator[str]:
    """Stream *parts* in the request's language (they are produced after the view ends)."""
    with translation.override(language):
        yield from parts


def _csv(rows) -> Iterator[str]:
    writer = csv.writer(_Echo())
    columns = _columns()
    yield "\ufeff" + writer.writerow([label for _key, label in columns])
    for entry in rows.iterator(chunk_size=CHUNK):
        data = selectors.row(entry)
        yield writer.writerow([data[key] for key, _label in columns])


def _json(rows, head: dict) -> Iterator[str]:
    text = json.dumps(head, ensure_ascii=False)
    yield text[:-1] + ', "transactions": ['
    separator = ""
    for entry in rows.iterator(chunk_size=CHUNK):
        yield separator + json.dumps(selectors.row(entry), ensure_ascii=False)
        separator = ","
    yield "]}"


def _download(fmt: str, name: str, rows, head) -> StreamingHttpResponse:
    """Stream *rows* (ledger transactions) as CSV, or as JSON after *head()* (the scope and
    its totals, read only for JSON)."""
    language = translation.get_language()
    if fmt == "csv":
        parts = _csv(rows)
        content_type = "text/csv; charset=utf-8"
    else:
        meta = {"generated_at": timezone.localtime().isoformat(), "currency": "CNY", **head()}
        parts = _json(rows, meta)
        content_type = "application/json; charset=utf-8"
    response = StreamingHttpResponse(_in_language(language, parts), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Http404
    return fmt


@require_GET
def ledger_download(request: HttpRequest, fmt: str) -> StreamingHttpResponse:
    """Every transaction of the city (or of ``?town=``), with the totals in JSON."""
    fmt = _format(fmt)
    town = _town_only(request)

    def head() -> dict:
        scope = {"scope": "city"}
        if town is not None:
            scope = {"scope": "town", "town": town.label}
        return {**scope, "totals": selectors.city_totals(town).as_dict()}

    name = "linli-ledger" if town is None else f"linli-ledger-town-{town.pk}"
    return _download(fmt, name, selectors.transactions(town=town), head)


@require_GET
def ledger_fund_download(request: HttpRequest, pk: int, fmt: str) -> StreamingHttpResponse:
    fmt = _format(fmt)
    fund = selectors.public_fund(pk)

    def head() -> dict:
        return {
            "scope": "fund",
            "fund": fund.name,
            "totals": {
                "inflow": str(fund.inflow),
                "outflow": str(fund.outflow),
                "balance": str(fund.held),
                "committed": str(fund.committed),
                "available": str(fund.available),
            },
        }

    return _download(fmt, f"linli-fund-{fund.pk}", selectors.transactions(fund=fund), head)


@require_GET
def campaign_download(request: HttpRequest, slug: str, fmt: str) -> StreamingHttpResponse:
    fmt = _format(fmt)
    campaign = selectors.public_campaign(slug)

    def head() -> dict:
        return {
            "scope": "campaign",
            "campaign": campaign.slug,
            "name": campaign.name,
            "fund": campaign.fund.name,
            "status": campaign.status,
            "totals": {
                "pool": str(campaign.pool_cap),
                "matched": str(campaign.matched),
                "reserved": str(campaign.reserved),
                "remaining": str(campaign.remaining),
            },
        }

    rows = selectors.transactions(campaign=campaign)
    return _download(fmt, f"linli-campaign-{campaign.slug}", rows, head)


@require_GET
def listing_ledger_download(
    request: HttpRequest, reference: str, fmt: str
) -> StreamingHttpResponse:
    fmt = _format(fmt)
    listing: Listing = selectors.public_listing_ref(reference)

    def head() -> dict:
        money = selectors.listing_money(listing, payouts=False)
        return {"scope": "listing", "listing": listing.reference, "totals": money.as_dict()}

    rows = selectors.transactions(listing=listing)
    return _download(fmt, f"linli-{listing.reference}", rows, head)


urlpatterns = [
    path("ledger/", ledger_city, name="ledger"),
    path("ledger/download.<str:fmt>", ledger_download, name="ledger_download"),
    path("ledger/funds/<int:pk>/", ledger_fund, name="ledger_fund"),
    path(
        "ledger/funds/<int:pk>/download.<str:fmt>",
        ledger_fund_download,
        name="ledger_fund_download",
    ),
    path("ledger/campaigns/<slug:slug>/", campaign_page, name="campaign_page"),
    path(
        "ledger/campaigns/<slug:slug>/download.<str:fmt>",
        campaign_download,
        name="campaign_download",
    ),
    path("give/<str:reference>/ledger/", listing_ledger, name="listing_ledger"),
    path(
        "give/<str:reference>/ledger/download.<str:fmt>",
        listing_ledger_download,
        name="listing_ledger_download",
    ),
]
