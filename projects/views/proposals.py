"""Views: proposals (see projects/services/proposals.py) and the public photos.

Public pages show supporters as a count and history as verbs and dates; actions are POSTs
that redirect back to the proposal with a message. A refused action with something typed
(a merge or withdrawal reason) re-renders the page with the form as it was sent.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.errors import LinliError
from projects import rules
from projects.filters import filter_regions
from projects.forms.proposals import (
    PHOTO_FIELDS,
    MergeForm,
    ProposalFilterForm,
    ProposalForm,
    SupportForm,
    TableForm,
    WithdrawForm,
    proposal_communities,
)
from projects.models import Proposal, ProposalStatus
from projects.selectors import proposals as selectors
from projects.services import photos as photo_services
from projects.services import proposals as services
from wishes.exceptions import InvalidAttachment
from wishes.views.files import private_file_response

PAGE_SIZE = 20


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@require_GET
def proposal_list(request: HttpRequest) -> HttpResponse:
    """Proposals anyone may see, filtered by area and status; htmx swaps only the results."""
    form = ProposalFilterForm(request.GET or None, regions=filter_regions())
    proposals = selectors.public_proposals(
        area=form.area_q(), status=form.chosen("status"), sort=form.chosen("sort")
    )
    page = Paginator(proposals, PAGE_SIZE).get_page(request.GET.get("page"))
    for proposal in page:
        proposal.support_percent = selectors.support_percent(proposal)
    template = (
        "projects/proposals/includes/results.html"
        if request.htmx
        else "projects/proposals/list.html"
    )
    response = render(
        request,
        template,
        {"form": form, "page": page, "query": _query_without_page(request)},
    )
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_http_methods(["GET", "POST"])
def proposal_create(request: HttpRequest) -> HttpResponse:
    """Raise a proposal for a community with a council; the proposer is its first supporter."""
    communities = proposal_communities()
    form = ProposalForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        communities=communities,
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                proposal = _create_with_photos(request, form)
            except InvalidAttachment as error:
                form.add_error(_photo_field(form, error), str(error))
            except LinliError as error:
                form.add_error(None, str(error))
                status = error.status
            else:
                messages.success(
                    request,
                    _(
                        "Your proposal was published under reference %(reference)s. Ask your "
                        "neighbours to support it."
                    )
                    % {"reference": proposal.reference},
                )
                return redirect("projects:proposal", reference=proposal.reference)
    return render(
        request,
        "projects/proposals/create.html",
        {"form": form, "section": "proposals"},
        status=status,
    )


def _photo_field(form: ProposalForm, error: InvalidAttachment) -> str:
    return getattr(error, "field", None) or PHOTO_FIELDS[0]


def _create_with_photos(request: HttpRequest, form: ProposalForm) -> Proposal:
    """The proposal and its photos, all or nothing (a refused photo leaves no file)."""
    added = []
    try:
        with transaction.atomic():
            proposal = services.proposal_create(actor=request.user, **form.proposal_fields())
            for name in PHOTO_FIELDS:
                upload = form.cleaned_data.get(name)
                if not upload:
                    continue
                try:
                    added.append(
                        photo_services.photo_add(
                            actor=request.user,
                            proposal=proposal,
                            upload=upload,
                            no_personal_data=form.cleaned_data["no_personal_data"],
                        )
                    )
                except InvalidAttachment as error:
                    error.field = name
                    raise
    except BaseException:
        for photo in added:
            photo.file.storage.delete(photo.file.name)
        raise
    return proposal


def _detail(
    request: HttpRequest,
    proposal: Proposal,
    *,
    forms: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The proposal's public page, with the actions the visitor may take."""
    user = request.user
    forms = forms or {}
    merged = selectors.merged_from(proposal)
    open_or_tabled = proposal.status in services.SUPPORTABLE
    support = selectors.own_support(user, proposal)
    may_table = user.is_authenticated and rules.may_table(user, proposal.community)
    is_proposer = user.is_authenticated and proposal.proposed_by_id == user.pk
    targets = selectors.merge_targets(proposal) if may_table and open_or_tabled else []
    council = getattr(proposal.community, "council", None)
    context = {
        "proposal": proposal,
        "section": "proposals",
        "threshold": council.support_threshold if council else None,
        "support_percent": selectors.support_percent(proposal),
        "merged": merged,
        "steps": selectors.proposal_history(proposal, merged),
        "photos": selectors.proposal_photos(proposal),
        "may_hide_photos": user.is_authenticated
        and rules.may_hide_photos(user, proposal.community),
        "item": selectors.current_item(proposal),
        "project": selectors.public_project(proposal),
        "supports": support is not None,
        "support_form": (
            forms.get("support") or SupportForm()
            if user.is_authenticated and open_or_tabled and support is None
            else None
        ),
        "sign_in_to_support": not user.is_authenticated and open_or_tabled,
        "can_unsupport": (
            support is not None and not is_proposer and proposal.status == ProposalStatus.OPEN
        ),
        "table_form": (
            forms.get("table") or TableForm()
            if may_table and proposal.status == ProposalStatus.OPEN
            else None
        ),
        "merge_form": (forms.get("merge") or MergeForm(targets=targets) if targets else None),
        "withdraw_form": (
            forms.get("withdraw") or WithdrawForm()
            if (may_table or is_proposer) and open_or_tabled
            else None
        ),
    }
    return render(request, "projects/proposals/detail.html", context, status=status)


@require_GET
def proposal_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _detail(request, selectors.public_proposal(reference))


def _back(proposal: Proposal) -> HttpResponse:
    return redirect("projects:proposal", reference=proposal.reference)


@login_required
@require_POST
def proposal_support(request: HttpRequest, reference: str) -> HttpResponse:
    proposal = selectors.public_proposal(reference)
    form = SupportForm(request.POST)
    if not form.is_valid():
        return _detail(request, proposal, forms={"support": form}, status=400)
    try:
        services.proposal_support(
            actor=request.user, proposal=proposal, lives_here=form.cleaned_data["lives_here"]
        )
    except LinliError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Thank you: your support was counted."))
    return _back(proposal)


@login_required
@require_POST
def proposal_unsupport(request: HttpRequest, reference: str) -> HttpResponse:
    proposal = selectors.public_proposal(reference)
    try:
        services.proposal_unsupport(actor=request.user, proposal=proposal)
    except LinliError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Your support was withdrawn."))
    return _back(proposal)


@login_required
@require_POST
def proposal_table(request: HttpRequest, reference: str) -> HttpResponse:
    proposal = selectors.access_proposal_to_table(request.user, reference)
    form = TableForm(request.POST)
    if not form.is_valid():
        return _detail(request, proposal, forms={"table": form}, status=400)
    try:
        item = services.proposal_table(
            actor=request.user, proposal=proposal, reason=form.cleaned_data["reason"]
        )
    except LinliError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("The proposal is on the agenda of the next consultation.")
            if item is not None
            else _("The proposal is tabled: the next consultation called will take it up."),
        )
    return _back(proposal)


@login_required
@require_POST
def proposal_merge(request: HttpRequest, reference: str) -> HttpResponse:
    proposal = selectors.access_proposal_to_table(request.user, reference)
    targets = selectors.merge_targets(proposal)
    form = MergeForm(request.POST, targets=targets)
    if form.is_valid():
        into = next(p for p in targets if p.reference == form.cleaned_data["into"])
        try:
            target = services.proposal_merge(
                actor=request.user,
                proposal=proposal,
                into=Proposal.objects.select_related("community").get(pk=into.pk),
                reason=form.cleaned_data["reason"],
            )
        except LinliError as error:
            form.add_error(None, str(error))
            return _detail(request, proposal, forms={"merge": form}, status=error.status)
        messages.success(
            request,
            _("Merged into %(reference)s, with its supporters and history.")
            % {"reference": target.reference},
        )
        return redirect("projects:proposal", reference=target.reference)
    return _detail(request, proposal, forms={"merge": form}, status=400)


@login_required
@require_POST
def proposal_withdraw(request: HttpRequest, reference: str) -> HttpResponse:
    proposal = selectors.access_proposal_to_withdraw(request.user, reference)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.proposal_withdraw(
                actor=request.user, proposal=proposal, reason=form.cleaned_data["reason"]
            )
        except LinliError as error:
            form.add_error(None, str(error))
            return _detail(request, proposal, forms={"withdraw": form}, status=error.status)
        messages.success(request, _("The proposal was withdrawn."))
        return redirect("projects:proposals")
    return _detail(request, proposal, forms={"withdraw": form}, status=400)


@login_required
@require_POST
def photo_hide(request: HttpRequest, token: str) -> HttpResponse:
    """Take a photo off the public pages, with a reason (kept in the audit trail)."""
    photo = selectors.access_photo_to_hide(request.user, token)
    try:
        photo_services.photo_hide(
            actor=request.user, photo=photo, reason=request.POST.get("reason", "")
        )
    except LinliError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The photo is hidden from the public."))
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return _back(photo.proposal)


@require_GET
def photo(request: HttpRequest, token: str):
    """A proposal's or project's photo: public, unless hidden (404)."""
    return private_file_response(selectors.public_photo(token))


urlpatterns = [
    path("projects/proposals/", proposal_list, name="proposals"),
    path("projects/proposals/new/", proposal_create, name="proposal_create"),
    path("projects/proposals/<str:reference>/", proposal_detail, name="proposal"),
    path("projects/proposals/<str:reference>/support/", proposal_support, name="proposal_support"),
    path(
        "projects/proposals/<str:reference>/unsupport/",
        proposal_unsupport,
        name="proposal_unsupport",
    ),
    path("projects/proposals/<str:reference>/table/", proposal_table, name="proposal_table"),
    path("projects/proposals/<str:reference>/merge/", proposal_merge, name="proposal_merge"),
    path(
        "projects/proposals/<str:reference>/withdraw/",
        proposal_withdraw,
        name="proposal_withdraw",
    ),
    path("projects/photos/<str:token>/", photo, name="photo"),
    path("projects/photos/<str:token>/hide/", photo_hide, name="photo_hide"),
]
