"""Fund pages for the people who manage funds: city administrators (funds of their city),
town reviewers (their town's), and a company's or a charity's administrators (their
organisation's fund).

Every page is scoped with ``funds.manageable_funds``: another area's fund or campaign is a
404, never a 403. Each action goes through the service in ``marketplace.funds``, which
checks the actor's right again, moves the money on the ledger and writes the audit event;
a form that fails (or a service that refuses) re-renders its page with the message and the
typed values, answering 400.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.errors import InvalidTransition, LinliError
from accounts.money import format_cny
from accounts.permissions import has_perm_anywhere
from accounts.roles import Perm
from marketplace import funds
from marketplace import selectors_funds as selectors
from marketplace.forms_funds import (
    AllocateForm,
    CampaignForm,
    CampaignMoveForm,
    FundCreateForm,
    TopUpForm,
)
from marketplace.models import Campaign, CampaignStatus, Fund, FundOwner, Match, MatchStatus

PAGE_SIZE = 25
ALLOCATING_OWNERS = (FundOwner.CITY, FundOwner.CHARITY_FEDERATION)
EDITABLE = (CampaignStatus.DRAFT, CampaignStatus.PAUSED)


def _refused(form, error: LinliError) -> None:
    form.add_error(None, str(error))


# --- The dashboard and opening a fund -----------------------------------------------------


@require_GET
@login_required
def fund_dashboard(request: HttpRequest) -> HttpResponse:
    """Each fund the user manages: its money, how fast it goes, its campaigns."""
    admin_of = selectors.administered_organisations(request.user)
    may_open = selectors.may_open_funds(request.user, admin_of)
    if not may_open:
        raise Http404
    rows = selectors.dashboard_funds(request.user)
    for fund in rows:
        fund.figures = selectors.figures(fund)
    return render(
        request,
        "marketplace/funds/dashboard.html",
        {
            "funds": rows,
            "may_open": may_open,
            "window_days": selectors.WINDOW_DAYS,
            "can_see_counterparts": has_perm_anywhere(request.user, Perm.FUND_MANAGE),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def fund_create(request: HttpRequest) -> HttpResponse:
    admin_of = selectors.administered_organisations(request.user)
    if not selectors.may_open_funds(request.user, admin_of):
        raise Http404
    form = FundCreateForm(request.POST or None, user=request.user, admin_of=admin_of)
    if request.method == "POST" and form.is_valid():
        try:
            fund = funds.fund_create(actor=request.user, **form.cleaned_data)
        except LinliError as error:
            _refused(form, error)
        else:
            messages.success(request, _("The fund %(name)s is open.") % {"name": fund.name})
            return redirect("marketplace:fund", pk=fund.pk)
    return render(
        request,
        "marketplace/funds/fund_form.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


# --- One fund ---------------------------------------------------------------------------


def _fund_page(
    request: HttpRequest, fund: Fund, *, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    """A fund's page; *bound* holds a form that failed, shown with its input."""
    bound = bound or {}
    now = timezone.now()
    page = Paginator(selectors.ledger_lines(fund), PAGE_SIZE).get_page(request.GET.get("page"))
    selectors.with_running_balance(fund, page)
    allocates = fund.owner in ALLOCATING_OWNERS
    return render(
        request,
        "marketplace/funds/fund_detail.html",
        {
            "fund": fund,
            "figures": selectors.figures(fund),
            "window_days": selectors.WINDOW_DAYS,
            "page": page,
            "top_ups": selectors.fund_top_ups(fund),
            "allocations": selectors.fund_allocations(fund),
            "campaigns": selectors.fund_campaigns(fund, now),
            "top_up_form": bound.get("top_up") or TopUpForm(fund=fund),
            "allocate_form": (bound.get("allocate") or AllocateForm(fund=fund))
            if allocates
            else None,
        },
        status=status,
    )


@require_GET
@login_required
def fund_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _fund_page(request, selectors.access_fund(request.user, pk))


@require_POST
@login_required
def fund_top_up(request: HttpRequest, pk: int) -> HttpResponse:
    fund = selectors.access_fund(request.user, pk)
    form = TopUpForm(request.POST, fund=fund)
    if form.is_valid():
        try:
            top_up = funds.fund_top_up(actor=request.user, fund=fund, **form.cleaned_data)
        except LinliError as error:
            _refused(form, error)
        else:
            messages.success(
                request,
                _("%(amount)s was recorded in the fund.") % {"amount": format_cny(top_up.amount)},
            )
            return redirect("marketplace:fund", pk=fund.pk)
    return _fund_page(request, fund, bound={"top_up": form}, status=400)


@require_POST
@login_required
def fund_allocate(request: HttpRequest, pk: int) -> HttpResponse:
    fund = selectors.access_fund(request.user, pk)
    if fund.owner not in ALLOCATING_OWNERS:
        raise Http404
    form = AllocateForm(request.POST, fund=fund)
    if form.is_valid():
        data = form.cleaned_data
        try:
            allocation = funds.fund_allocate(
                actor=request.user,
                source=fund,
                target=data["target"],
                amount=data["amount"],
                reference=data["reference"],
            )
        except LinliError as error:
            _refused(form, error)
        else:
            messages.success(
                request,
                _("%(amount)s was allocated to %(fund)s.")
                % {"amount": format_cny(allocation.amount), "fund": allocation.target.name},
            )
            return redirect("marketplace:fund", pk=fund.pk)
    return _fund_page(request, fund, bound={"allocate": form}, status=400)


# --- Counterpart deposits ---------------------------------------------------------------


@require_GET
@login_required
def counterparts(request: HttpRequest) -> HttpResponse:
    """Whether each town in scope has deposited its counterpart of what the city gave."""
    if not has_perm_anywhere(request.user, Perm.FUND_MANAGE):
        raise Http404
    rows = funds.counterparts(selectors.counterpart_funds(request.user))
    totals = {
        "allocated": sum((r.allocated for r in rows), funds.ZERO),
        "owed": sum((r.owed for r in rows), funds.ZERO),
        "deposited": sum((r.deposited for r in rows), funds.ZERO),
        "outstanding": sum((r.outstanding for r in rows), funds.ZERO),
    }
    return render(
        request,
        "marketplace/funds/counterparts.html",
        {
            "rows": [(r, selectors.ratio_text(r.ratio)) for r in rows],
            "totals": totals,
        },
    )


# --- Campaigns --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def campaign_create(request: HttpRequest, pk: int) -> HttpResponse:
    fund = selectors.access_fund(request.user, pk)
    form = CampaignForm(request.POST or None, fund=fund)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = funds.campaign_create(
                actor=request.user, fund=fund, rules=form.rules(), slug=form.cleaned_data["slug"]
            )
        except LinliError as error:
            _refused(form, error)
        else:
            messages.success(
                request, _("The campaign is drafted. Start it when it should begin matching.")
            )
            return redirect("marketplace:campaign", pk=campaign.pk)
    return render(
        request,
        "marketplace/funds/campaign_form.html",
        {"form": form, "fund": fund, "campaign": None},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.access_campaign(request.user, pk)
    if campaign.status not in EDITABLE:
        messages.info(request, _("Pause the campaign before changing its rules."))
        return redirect("marketplace:campaign", pk=campaign.pk)
    form = CampaignForm(request.POST or None, fund=campaign.fund, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            funds.campaign_update(actor=request.user, campaign=campaign, rules=form.rules())
        except LinliError as error:
            _refused(form, error)
        else:
            messages.success(request, _("The campaign's rules were saved."))
            return redirect("marketplace:campaign", pk=campaign.pk)
    return render(
        request,
        "marketplace/funds/campaign_form.html",
        {"form": form, "fund": campaign.fund, "campaign": campaign},
        status=400 if form.errors else 200,
    )


MOVES = {
    CampaignStatus.DRAFT: (CampaignStatus.ACTIVE, CampaignStatus.CLOSED),
    CampaignStatus.ACTIVE: (CampaignStatus.PAUSED, CampaignStatus.CLOSED),
    CampaignStatus.PAUSED: (CampaignStatus.ACTIVE, CampaignStatus.CLOSED),
}


def _campaign_page(
    request: HttpRequest,
    campaign: Campaign,
    *,
    bound: CampaignMoveForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """A campaign's page; *bound* holds a move form that failed, *error* a refusal."""
    now = timezone.now()
    reserved = Match.objects.filter(campaign=campaign).reserving(now).order_by().total()
    matches = (
        Match.objects.filter(campaign=campaign)
        .select_related("pledge__organisation", "listing", "donor")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(matches, PAGE_SIZE).get_page(request.GET.get("page"))
    for match in page.object_list:
        match.donor_name = selectors.match_donor_name(match)
        match.lapsed = match.status == MatchStatus.RESERVED and match.expires_at <= now
    moves = []
    for to in MOVES.get(campaign.status, ()):
        form = bound if bound is not None and bound.initial.get("to") == to else None
        moves.append(form or CampaignMoveForm(to=to))
    return render(
        request,
        "marketplace/funds/campaign_detail.html",
        {
            "campaign": campaign,
            "fund": campaign.fund,
            "rules": selectors.rules_in_words(campaign),
            "reserved": reserved,
            "pool_left": campaign.pool_cap - campaign.matched - reserved,
            "page": page,
            "moves": moves,
            "editable": campaign.status in EDITABLE,
            "error": error,
        },
        status=status,
    )


@require_GET
@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _campaign_page(request, selectors.access_campaign(request.user, pk))


@require_POST
@login_required
def campaign_move(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.access_campaign(request.user, pk)
    to = request.POST.get("to", "")
    if to == campaign.status:
        return redirect("marketplace:campaign", pk=campaign.pk)  # a repeated click
    if to not in MOVES.get(campaign.status, ()):
        error = InvalidTransition(current=campaign.get_status_display())
        return _campaign_page(request, campaign, error=str(error), status=400)
    form = CampaignMoveForm(request.POST, to=to)
    if form.is_valid():
        try:
            campaign = funds.campaign_move(
                actor=request.user,
                campaign=campaign,
                to=to,
                reason=form.cleaned_data.get("reason", ""),
            )
        except LinliError as error:
            _refused(form, error)
        else:
            messages.success(
                request,
                _("The campaign is now: %(status)s.") % {"status": campaign.get_status_display()},
            )
            return redirect("marketplace:campaign", pk=campaign.pk)
    return _campaign_page(request, campaign, bound=form, status=400)


urlpatterns = [
    path("staff/funds/", fund_dashboard, name="funds"),
    path("staff/funds/new/", fund_create, name="fund_create"),
    path("staff/funds/counterparts/", counterparts, name="counterparts"),
    path("staff/funds/<int:pk>/", fund_detail, name="fund"),
    path("staff/funds/<int:pk>/top-up/", fund_top_up, name="fund_top_up"),
    path("staff/funds/<int:pk>/allocate/", fund_allocate, name="fund_allocate"),
    path("staff/funds/<int:pk>/campaigns/new/", campaign_create, name="campaign_create"),
    path("staff/campaigns/<int:pk>/", campaign_detail, name="campaign"),
    path("staff/campaigns/<int:pk>/edit/", campaign_edit, name="campaign_edit"),
    path("staff/campaigns/<int:pk>/move/", campaign_move, name="campaign_move"),
]
