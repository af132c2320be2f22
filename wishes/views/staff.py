"""Wish pages for staff: stations, town reviewers, city administrators and supervisors.

Everything is scoped to the user's area (a wish's area is its responsible station's
community): a wish elsewhere is a 404, never a 403. Views parse input, call a selector or a
service, and render; each action checks here the permission its service guards again, so
a user who may not act sees no form and gets a 404 if they post anyway. Personal data is
read only through ``selectors.view_household``, which audits every view.
"""

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery, Sum, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import audit
from accounts.errors import InvalidTransition, LinliError
from accounts.models import Region, RegionLevel, User
from accounts.money import format_cny
from accounts.permissions import has_perm, has_perm_anywhere, region_q, scope_paths
from accounts.roles import Perm
from marketplace import funds as fund_services
from marketplace.forms_disbursements import mask_account
from marketplace.models import Fund, FundGrant, Listing, Match
from wishes import selectors, services
from wishes.forms.common import HouseholdForm, NeedFormSet
from wishes.forms.staff import (
    AidRecordForm,
    AnswerForm,
    ExpressFallbackForm,
    ExpressPayForm,
    FormulaForm,
    HouseholdLookupForm,
    IntakeForm,
    ObjectionDecideForm,
    QueueFilterForm,
    ReasonForm,
    ReferForm,
    ReviewForm,
    VerifyForm,
    weight_rows,
)
from wishes.models import (
    Household,
    NeedIndexFormula,
    Objection,
    ObjectionStatus,
    Route,
    Status,
    Verification,
    Wish,
)
from wishes.need_index import FormulaError
from wishes.views.files import attachments_context

PAGE_SIZE = 25


def _require_staff(request: HttpRequest) -> None:
    if not has_perm_anywhere(request.user, Perm.WORKSPACE_VIEW):
        raise Http404


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _scope_regions(request: HttpRequest) -> list[Region]:
    """Towns and communities the user looks after (one query), for the queue's filters."""
    return list(
        Region.objects.filter(
            region_q(request.user, Perm.WORKSPACE_VIEW, field=""),
            level__in=[RegionLevel.TOWN, RegionLevel.COMMUNITY],
        )
        .select_related("parent")
        .order_by("path")
    )


def _filtered_queue(request: HttpRequest) -> tuple[QueueFilterForm, Any]:
    form = QueueFilterForm(request.GET or None, regions=_scope_regions(request))
    return form, form.filter(selectors.staff_wishes(request.user))


# --- The queue and its export -----------------------------------------------------------


@require_GET
@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """The wishes of the user's area, filtered and ranked. No personal data."""
    _require_staff(request)
    form, wishes = _filtered_queue(request)
    wishes = wishes.only(
        "reference",
        "title",
        "status",
        "urgency",
        "need_index",
        "due_on",
        "created_at",
        "station__name",
        "station__name_en",
        "community__name",
        "community__name_en",
        "community__parent__name",
        "community__parent__name_en",
    )
    page = Paginator(wishes, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "wishes/staff/queue.html",
        {
            "form": form,
            "page": page,
            "query": _query_without_page(request),
            "can_intake": has_perm_anywhere(request.user, Perm.WISH_INTAKE),
            "today": timezone.localdate(),
        },
    )


class _Echo:
    """A file-like object whose ``write`` hands the line back (csv.writer into a stream)."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (typed text may start with =)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@require_GET
@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The filtered queue as CSV (UTF-8 with BOM for Excel). Personal columns only where the
    user may see personal data, row by row; every export is audited (counts, not data)."""
    _require_staff(request)
    form, wishes = _filtered_queue(request)
    user = request.user
    may_see_private = has_perm_anywhere(user, Perm.PRIVATE_VIEW)
    wishes = wishes.select_related("station__community", "community__parent")
    if may_see_private:
        wishes = wishes.select_related("household")
    header = [
        _("Reference"),
        _("Title"),
        _("Status"),
        _("Category"),
        _("Received through"),
        _("Urgency"),
        _("Need index"),
        _("Due"),
        _("Overdue"),
        _("Town or street"),
        _("Community"),
        _("Responsible station"),
        _("Raised"),
    ]
    if may_see_private:
        header += [_("Name of the person"), _("National ID number"), _("Phone"), _("Address")]
    writer = csv.writer(_Echo())
    rows = [writer.writerow(header)]
    count = private_rows = 0
    for wish in wishes.iterator(chunk_size=500):
        row = [
            wish.reference,
            wish.title,
            wish.get_status_display(),
            wish.get_category_display(),
            wish.get_channel_display(),
            wish.get_urgency_display(),
            wish.need_index,
            wish.due_on.isoformat() if wish.due_on else "",
            _("yes") if wish.is_overdue else "",
            wish.community.parent.label if wish.community.parent else "",
            wish.community.label,
            wish.station.label,
            timezone.localtime(wish.created_at).strftime("%Y-%m-%d %H:%M"),
        ]
        if may_see_private:
            if has_perm(user, Perm.PRIVATE_VIEW, wish.station.community):
                household = wish.household
                row += [
                    household.head_name,
                    household.masked_id_number,
                    household.phone.as_national if household.phone else "",
                    household.address,
                ]
                private_rows += 1
            else:
                row += ["", "", "", ""]
        rows.append(writer.writerow([_cell(value) for value in row]))
        count += 1
    paths = scope_paths(user, Perm.WORKSPACE_VIEW)
    audit.record(
        actor=user,
        verb="wish.export",
        region=Region.objects.filter(path=paths[0]).first() if len(paths) == 1 else None,
        data={
            "count": count,
            "personal_data": private_rows > 0,
            "personal_rows": private_rows,
            # Only recognised filter values: a free-typed query string stays out of the trail.
            "filters": {
                name: str(value)
                for name, value in (form.cleaned_data if form.is_valid() else {}).items()
                if value not in (None, "", False)
            },
        },
    )
    response = HttpResponse("\ufeff" + "".join(rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="wishes-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


# --- Intake -----------------------------------------------------------------------------


INTAKE_TOKEN_SALT = "wishes.intake.household"
INTAKE_TOKEN_MAX_AGE = 2 * 3600


def _known_household(request: HttpRequest, id_number: str) -> Household | None:
    """A household in the user's intake area with this ID number (by blind index)."""
    if not id_number:
        return None
    return (
        Household.objects.with_id_number(id_number)
        .filter(region_q(request.user, Perm.WISH_INTAKE, field="community"))
        .select_related("community")
        .order_by("-created_at", "-pk")
        .first()
    )


def _household_token(request: HttpRequest, household: Household) -> str:
    """Carries a looked-up household to the next step without putting the ID in the page."""
    return signing.dumps({"h": household.pk, "u": request.user.pk}, salt=INTAKE_TOKEN_SALT)


def _household_from_token(request: HttpRequest, token: str) -> Household | None:
    """The household a token names, if still in the user's intake area.

    Raises:
        signing.BadSignature: a forged, foreign or expired token.
    """
    value = signing.loads(token, salt=INTAKE_TOKEN_SALT, max_age=INTAKE_TOKEN_MAX_AGE)
    if value.get("u") != request.user.pk:
        raise signing.BadSignature("not this user's look-up")
    return (
        Household.objects.filter(
            region_q(request.user, Perm.WISH_INTAKE, field="community"), pk=value.get("h")
        )
        .select_related("community")
        .first()
    )


@require_http_methods(["GET", "POST"])
@login_required
def intake(request: HttpRequest) -> HttpResponse:
    """Station staff take a wish in on someone's behalf and become first-responsible.

    Step one (optional) looks the person up by ID number: a household already on record in
    the user's area is reused, and only its masked ID is shown (the next step carries a
    signed reference, not the number). Otherwise a new household is recorded, with the
    person's consent, in the same transaction as the wish.
    """
    if not has_perm_anywhere(request.user, Perm.WISH_INTAKE):
        raise Http404
    communities = Region.objects.communities().filter(
        region_q(request.user, Perm.WISH_INTAKE, field="")
    )
    looking_up = request.method == "POST" and "lookup" in request.POST
    saving = request.method == "POST" and not looking_up
    lookup = HouseholdLookupForm(request.POST if looking_up else None)
    lookup_id = lookup.cleaned_data["lookup_id"] if looking_up and lookup.is_valid() else ""
    known = _known_household(request, lookup_id)
    expired = False
    token = request.POST.get("household_token", "") if saving else ""
    if token:
        try:
            known = _household_from_token(request, token)
        except signing.BadSignature:
            expired = True
    form = IntakeForm(request.POST if saving else None)
    needs = NeedFormSet(request.POST if saving else None, prefix="needs")
    household_form = HouseholdForm(
        request.POST if saving and known is None else None,
        communities=communities,
        initial={"id_number": lookup_id},
    )
    if expired:
        form.add_error(None, _("The look-up has expired. Please look the person up again."))
    if saving and not expired:
        valid = [form.is_valid(), needs.is_valid()]
        if known is None:
            valid.append(household_form.is_valid())
        if all(valid):
            try:
                with transaction.atomic():
                    household = known or services.household_create(
                        actor=request.user,
                        consent=household_form.cleaned_data["consent"],
                        consent_note=household_form.cleaned_data["consent_note"],
                        **household_form.household_fields(),
                    )
                    wish = services.wish_intake(
                        actor=request.user,
                        household=household,
                        needs=needs.lines(),
                        **form.cleaned_data,
                    )
            except LinliError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("Wish %(reference)s was taken in. You are its first-responsible officer.")
                    % {"reference": wish.reference},
                )
                return redirect("wishes:staff_detail", pk=wish.pk)
    if looking_up and known is not None:
        # Finding out that a person is on record here is itself a look at private data.
        audit.record(
            actor=request.user, verb="household.lookup", target=known, region=known.community
        )
    invalid = bool(
        lookup.errors
        or form.errors
        or needs.total_error_count()
        or needs.non_form_errors()
        or (known is None and household_form.errors)
    )
    return render(
        request,
        "wishes/staff/intake.html",
        {
            # After a successful look-up the number is not shown again, only the mask.
            "lookup": HouseholdLookupForm() if known is not None else lookup,
            "form": form,
            "needs": needs,
            "household_form": household_form if known is None else None,
            "known": known,
            "known_token": _household_token(request, known) if known is not None else "",
            "looked_up": bool(lookup_id),
        },
        status=400 if invalid else 200,
    )


# --- One wish ---------------------------------------------------------------------------


def _allowed(user, wish: Wish) -> dict[str, bool]:
    """What *user* may do to *wish* now: its status and their permissions in its area.
    Mirrors the services' guards, so a form is shown only when the service would accept."""
    region = wish.station.community
    intake_ = has_perm(user, Perm.WISH_INTAKE, region)
    review = has_perm(user, Perm.WISH_REVIEW, region)
    status = wish.status
    return {
        "accept": intake_ and status == Status.SUBMITTED,
        "verify": has_perm(user, Perm.WISH_VERIFY, region) and status == Status.ACCEPTED,
        "refer": intake_ and status in (Status.SUBMITTED, Status.ACCEPTED, Status.VERIFIED),
        "review": review and status == Status.VERIFIED,
        "send_back": review and status == Status.VERIFIED,
        "reject": services.WISH.can(wish, Status.REJECTED)
        and (review or (intake_ and status in (Status.SUBMITTED, Status.ACCEPTED))),
        "answer": intake_ and status == Status.REFERRED,
        "withdraw": intake_ and services.WISH.can(wish, Status.WITHDRAWN),
        "decide": review and status == Status.NOTICE,
        "private": has_perm(user, Perm.PRIVATE_VIEW, region),
        "express_pay": review and status == Status.PUBLISHED and wish.route == Route.EXPRESS,
        # And only once its listing lapsed untaken (checked with the listing, see _funding).
        "express_fallback": review and status == Status.PUBLISHED and wish.route == Route.DIRECT,
    }


# --- Funding: express payment, and the fallback of a direct wish nobody took ------------


def express_funds(user: User, wish: Wish) -> QuerySet[Fund]:
    """Funds *user* manages whose region holds the wish's community, each with ``committed``
    (matches it has reserved) beside its account, for what it has free. One query."""
    path = wish.community.path
    regions = [path[: i + 1] for i, char in enumerate(path) if char == "/" and i > 0]
    committed = (
        Match.objects.filter(campaign__fund=OuterRef("pk"))
        .reserving(timezone.now())
        .order_by()
        .values("campaign__fund")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        fund_services.manageable_funds(user)
        .filter(region__path__in=regions)
        .select_related("account")
        .annotate(committed=Subquery(committed))
        .order_by("name", "pk")
    )


def wish_listing(wish: Wish) -> Listing | None:
    """The listing a direct wish was published as (one query)."""
    return (
        Listing.objects.of(wish)
        .only("pk", "reference", "status", "deadline", "source_type_id", "source_id")
        .first()
    )


def _funding(
    user: User, wish: Wish, allowed: dict[str, bool], bound: dict[str, Any], forms: dict
) -> dict[str, Any]:
    """The funding part of the page: an express wish's deadline and payment (or the payment
    made), a direct wish's listing and its fallback to express funding. Adds its forms to
    *forms*. Costs no query for a wish in any other state."""
    context: dict[str, Any] = {
        "express_waiting": False,
        "express_overdue": False,
        "express_amount_label": format_cny(wish.express_amount) if wish.express_amount else "",
        "grant": None,
        "listing": None,
    }
    if wish.route == Route.EXPRESS and wish.status == Status.PUBLISHED:
        context["express_waiting"] = True
        context["express_overdue"] = wish.due_on is not None and wish.due_on < timezone.localdate()
    if "express_pay" in bound:
        forms["express_pay"] = bound["express_pay"]
    elif allowed["express_pay"]:
        forms["express_pay"] = ExpressPayForm(funds=express_funds(user, wish))
    if wish.route == Route.EXPRESS and wish.status == Status.RESOLVED:
        grants = FundGrant.objects.filter(
            source_type=ContentType.objects.get_for_model(Wish), source_id=wish.pk
        ).select_related("fund", "approved_by")
        if not allowed["private"]:
            grants = grants.defer("payee_name", "payee_account")  # not even decrypted
        grant = grants.first()
        if grant is not None:
            grant.amount_label = format_cny(grant.amount)
            if allowed["private"]:
                grant.account_masked = mask_account(grant.payee_account)
        context["grant"] = grant
    if wish.route == Route.DIRECT and wish.status == Status.PUBLISHED:
        listing = context["listing"] = wish_listing(wish)
        if "express_fallback" in bound:
            forms["express_fallback"] = bound["express_fallback"]
        elif allowed["express_fallback"] and services.express_fallback_allowed(wish, listing):
            forms["express_fallback"] = ExpressFallbackForm(
                initial={"amount": services.money_needed(wish) or None}
            )
    elif "express_fallback" in bound:
        forms["express_fallback"] = bound["express_fallback"]
    return context


def _detail(
    request: HttpRequest,
    wish: Wish,
    *,
    bound: dict[str, Any] | None = None,
    bound_objection: int | None = None,
    status: int = 200,
) -> HttpResponse:
    """The staff page of a wish; *bound* holds a form that failed, to show with its input."""
    bound = bound or {}
    allowed = _allowed(request.user, wish)
    prefetch_related_objects([wish], "needs")
    needs = list(wish.needs.all())
    forms: dict[str, Any] = {}
    duplicates = None
    if allowed["verify"]:
        forms["verify"] = bound.get("verify") or VerifyForm(
            initial={"visited_on": timezone.localdate()}
        )
    if allowed["refer"]:
        forms["refer"] = bound.get("refer") or ReferForm(wish=wish)
    if allowed["review"]:
        duplicates = selectors.duplicates_of(wish)
        forms["review"] = bound.get("review") or ReviewForm(
            duplicates=duplicates.any(),
            initial={"express_amount": services.money_needed(wish) or None},
        )
    for name in ("reject", "send_back", "withdraw"):
        if allowed[name]:
            forms[name] = bound.get(name) or ReasonForm(prefix=name)
    if allowed["answer"]:
        forms["answer"] = bound.get("answer") or AnswerForm()
    objections = list(wish.objections.order_by("filed_at", "pk"))
    if allowed["decide"]:
        for objection in objections:
            if objection.status == ObjectionStatus.OPEN:
                objection.form = (
                    bound.get("decide")
                    if bound_objection == objection.pk
                    else ObjectionDecideForm(prefix=f"objection-{objection.pk}")
                )
    explanation = selectors.need_index_explanation(wish)
    funding = _funding(request.user, wish, allowed, bound, forms)
    return render(
        request,
        "wishes/staff/detail.html",
        {
            "wish": wish,
            "needs": needs,
            "referrals": list(
                wish.referrals.select_related("from_station", "to_station").order_by(
                    "referred_at", "pk"
                )
            ),
            "objections": objections,
            "explanation": explanation,
            "steps": list(selectors.timeline(wish)),
            "allowed": allowed,
            "forms": forms,
            "duplicates": duplicates,
            **funding,
            **attachments_context(request.user, wish),
        },
        status=status,
    )


@require_GET
@login_required
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, selectors.access_wish(request.user, pk))


def _done(request: HttpRequest, wish: Wish, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("wishes:staff_detail", pk=wish.pk)


def _failed(
    request: HttpRequest, wish: Wish, name: str, form, error=None, **kwargs
) -> HttpResponse:
    """Show the page again with the failed form and what was typed (400, or the error's)."""
    if error is not None:
        form.add_error(None, str(error))
    return _detail(
        request,
        wish,
        bound={name: form},
        status=error.status if error is not None else 400,
        **kwargs,
    )


@require_POST
@login_required
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    wish = selectors.access_wish(request.user, pk, perm=Perm.WISH_INTAKE)
    try:
        services.wish_accept(actor=request.user, wish=wish)
    except LinliError as error:
        messages.error(request, str(error))
        return _detail(request, wish, status=error.status)
    return _done(request, wish, _("Accepted. You are the first-responsible officer."))


@require_POST
@login_required
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    wish = selectors.access_wish(request.user, pk, perm=Perm.WISH_VERIFY)
    form = VerifyForm(request.POST)
    if not form.is_valid():
        return _failed(request, wish, "verify", form)
    try:
        services.wish_verify(actor=request.user, wish=wish, **form.cleaned_data)
    except LinliError as error:
        return _failed(request, wish, "verify", form, error)
    return _done(request, wish, _("The home visit is recorded and the wish is verified."))


@require_POST
@login_required
def refer(request: HttpRequest, pk: int) -> HttpResponse:
    wish = selectors.access_wish(request.user, pk, perm=Perm.WISH_INTAKE)
    form = ReferForm(request.POST, wish=wish)
    if not form.is_valid():
        return _failed(request, wish, "refer", form)
    try:
        referral = services.wish_refer(actor=request.user, wish=wish, **form.cleaned_data)
    except LinliError as error:
        return _failed(request, wish, "refer", form, error)
    messages.success(
        request,
        _("The wish was handed to %(station)s.") % {"station": referral.to_station.label},
    )
    # The wish may now lie outside this user's area: go back to the queue if so.
    if not has_perm(request.user, Perm.WORKSPACE_VIEW, referral.to_station.community):
        return redirect("wishes:queue")
    return redirect("wishes:staff_detail", pk=wish.pk)


@require_POST
@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve and route a verified wish (the town reviewer's decision)."""
    wish = selectors.access_wish(request.user, pk, perm=Perm.WISH_REVIEW)
    duplicates = selectors.duplicates_of(wish).any()
    form = ReviewForm(request.POST, duplicates=duplicates)
    if not form.is_valid():
        return _failed(request, wish, "review", form)
    try:
        services.wish_approve(actor=request.user, wish=wish, **form.service_kwargs())
    except LinliError as error:
        return _failed(request, wish, "review", form, error)
    return _done(request, wish, _("The wish is approved and routed."))


def _reason_action(request: HttpRequest, pk: int, name: str, perm: Perm, service, done: str):
    """An action that needs only a reason. A wish in the wrong state is the service's to
    refuse (409); the permission in the area was checked by ``access_wish`` (else 404)."""
    wish = selectors.access_wish(request.user, pk, perm=perm)
    form = ReasonForm(request.POST, prefix=name)
    if not form.is_valid():
        return _failed(request, wish, name, form)
    try:
        service(actor=request.user, wish=wish, reason=form.cleaned_data["reason"])
    except LinliError as error:
        return _failed(request, wish, name, form, error)
    return _done(request, wish, done)


@require_POST
@login_required
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    wish = selectors.access_wish(request.user, pk)
    region = wish.station.community
    if not (
        has_perm(request.user, Perm.WISH_REVIEW, region)
        or (
            has_perm(request.user, Perm.WISH_INTAKE, region)
            and wish.status in (Status.SUBMITTED, Status.ACCEPTED)
        )
    ):
        raise Http404
    form = ReasonForm(request.POST, prefix="reject")
    if not form.is_valid():
        return _failed(request, wish, "reject", form)
    try:
        services.wish_reject(actor=request.user, wish=wish, reason=form.cleaned_data["reason"])
    except LinliError as error:
        return _failed(request, wish, "reject", form, error)
    return _done(request, wish, _("The wish was not approved. The requester is told why."))


@require_POST
@login_required
def send_back(request: HttpRequest, pk: int) -> HttpResponse:
    return _reason_action(
        request,
        pk,
        "send_back",
        Perm.WISH_REVIEW,
        services.wish_send_back,
        _("Sent back to the station for another check."),
    )


@require_POST
@login_required
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _reason_action(
        request,
        pk,
        "withdraw",
        Perm.WISH_INTAKE,
        services.wish_withdraw,
        _("The wish was withdrawn."),
    )


@require_POST
@login_required
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the department's answer to a policy referral."""
    wish = selectors.access_wish(request.user, pk, perm=Perm.WISH_INTAKE)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return _failed(request, wish, "answer", form)
    try:
        services.policy_answer(actor=request.user, wish=wish, answer=form.cleaned_data["answer"])
    except LinliError as error:
        return _failed(request, wish, "answer", form, error)
    return _done(request, wish, _("The department's answer is recorded; the wish is resolved."))


@require_POST
@login_required
def objection_decide(request: HttpRequest, pk: int) -> HttpResponse:
    objection = get_object_or_404(Objection, pk=pk)
    wish = selectors.access_wish(request.user, objection.wish_id, perm=Perm.WISH_REVIEW)
    objection.wish = wish
    form = ObjectionDecideForm(request.POST, prefix=f"objection-{objection.pk}")
    if not form.is_valid():
        return _failed(request, wish, "decide", form, bound_objection=objection.pk)
    try:
        services.objection_decide(
            actor=request.user,
            objection=objection,
            uphold=form.uphold,
            reason=form.cleaned_data["reason"],
        )
    except LinliError as error:
        return _failed(request, wish, "decide", form, error, bound_objection=objection.pk)
    return _done(
        request,
        wish,
        _("The objection was upheld and the wish withdrawn.")
        if form.uphold
        else _("The objection was dismissed."),
    )


@require_POST
@login_required
def express_pay(request: HttpRequest, pk: int) -> HttpResponse:
    """Pay a published express wish from a fund the reviewer manages; the wish is resolved."""
    wish = selectors.access_wish(request.user, pk, perm=Perm.WISH_REVIEW)
    form = ExpressPayForm(request.POST, funds=express_funds(request.user, wish))
    if not form.is_valid():
        return _failed(request, wish, "express_pay", form)
    data = form.cleaned_data
    try:
        grant = services.wish_express_pay(
            actor=request.user,
            wish=wish,
            fund=data["fund"],
            payee_name=data["payee_name"],
            payee_account=data["payee_account"],
            payment_reference=data["payment_reference"],
        )
    except LinliError as error:
        return _failed(request, wish, "express_pay", form, error)
    return _done(
        request,
        wish,
        _("%(amount)s was paid from %(fund)s; the wish is resolved.")
        % {"amount": format_cny(grant.amount), "fund": grant.fund.name},
    )


@require_POST
@login_required
def express_fallback(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a direct wish nobody took by its deadline from donors and fund it express."""
    wish = selectors.access_wish(request.user, pk, perm=Perm.WISH_REVIEW)
    form = ExpressFallbackForm(request.POST)
    if not form.is_valid():
        return _failed(request, wish, "express_fallback", form)
    try:
        services.wish_express_fallback(
            actor=request.user,
            wish=wish,
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
        )
    except InvalidTransition:
        error = InvalidTransition(
            _(
                "Only a published direct wish whose listing is still open past its deadline, "
                "with nothing pledged and confirmed and no donor holding it, may move to "
                "express funding."
            )
        )
        return _failed(request, wish, "express_fallback", form, error)
    except LinliError as error:
        return _failed(request, wish, "express_fallback", form, error)
    return _done(
        request,
        wish,
        _("The listing was withdrawn from donors; the wish now waits for an express payment."),
    )


# --- Personal data ----------------------------------------------------------------------


def _may_record_aid(user, wish: Wish) -> bool:
    # Supervisors may read personal data but change nothing: recording aid also needs a
    # role that acts on wishes here.
    region = wish.station.community
    return has_perm(user, Perm.PRIVATE_VIEW, region) and (
        has_perm(user, Perm.WISH_INTAKE, region) or has_perm(user, Perm.WISH_REVIEW, region)
    )


def _household_page(
    request: HttpRequest, wish: Wish, form: AidRecordForm | None = None, status: int = 200
) -> HttpResponse:
    household = selectors.view_household(request.user, wish)  # audited: "household.view"
    may_record = _may_record_aid(request.user, wish)
    return render(
        request,
        "wishes/staff/household.html",
        {
            "wish": wish,
            "household": household,
            "aid": list(selectors.household_aid(household)),
            "verification": Verification.objects.filter(wish=wish)
            .select_related("verified_by")
            .first(),
            "aid_form": (form or AidRecordForm(initial={"received_on": timezone.localdate()}))
            if may_record
            else None,
        },
        status=status,
    )


@require_GET
@login_required
def household(request: HttpRequest, pk: int) -> HttpResponse:
    """The private record behind a wish. Every view is audited."""
    wish = selectors.access_wish(request.user, pk, perm=Perm.PRIVATE_VIEW)
    response = _household_page(request, wish)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def aid_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Record aid the household received; its open wishes drop in the ranking."""
    wish = selectors.access_wish(request.user, pk, perm=Perm.PRIVATE_VIEW)
    if not _may_record_aid(request.user, wish):
        raise Http404
    form = AidRecordForm(request.POST)
    if form.is_valid():
        try:
            services.aid_record(
                actor=request.user,
                household=Household.objects.select_related("community").get(pk=wish.household_id),
                wish=wish,
                **form.cleaned_data,
            )
        except LinliError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The aid is recorded; the need index was updated."))
            return redirect("wishes:household", pk=wish.pk)
    return _household_page(request, wish, form, status=400)


# --- The need-index formula -------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def formula(request: HttpRequest) -> HttpResponse:
    """The weights in force and their history; city administrators publish a new version."""
    _require_staff(request)
    current = services.formula_current()
    city = Region.objects.filter(parent__isnull=True).order_by("pk").first()
    can_publish = city is not None and has_perm(request.user, Perm.FORMULA_PUBLISH, city)
    if request.method == "POST" and not can_publish:
        raise Http404
    form = None
    if can_publish:
        form = FormulaForm(
            request.POST if request.method == "POST" else None, current=current.weights
        )
        if form.is_bound and form.is_valid():
            try:
                published = services.formula_publish(
                    actor=request.user, weights=form.weights(), note=form.cleaned_data["note"]
                )
            except FormulaError as error:
                form.add_error(
                    None,
                    _("These weights cannot be published: %(error)s") % {"error": error},
                )
            except LinliError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("Version %(version)s is published; open wishes are scored again.")
                    % {"version": published.version},
                )
                return redirect("wishes:formula")
    return render(
        request,
        "wishes/staff/formula.html",
        {
            "current": current,
            "rows": weight_rows(current.weights),
            "versions": list(
                NeedIndexFormula.objects.select_related("published_by").order_by("-version")
            ),
            "form": form,
        },
        status=400 if form is not None and form.errors else 200,
    )


urlpatterns = [
    path("staff/wishes/", queue, name="queue"),
    path("staff/wishes/export.csv", export, name="export"),
    path("staff/wishes/new/", intake, name="intake"),
    path("staff/wishes/<int:pk>/", staff_detail, name="staff_detail"),
    path("staff/wishes/<int:pk>/household/", household, name="household"),
    path("staff/wishes/<int:pk>/accept/", accept, name="accept"),
    path("staff/wishes/<int:pk>/verify/", verify, name="verify"),
    path("staff/wishes/<int:pk>/refer/", refer, name="refer"),
    path("staff/wishes/<int:pk>/review/", review, name="review"),
    path("staff/wishes/<int:pk>/reject/", reject, name="reject"),
    path("staff/wishes/<int:pk>/send-back/", send_back, name="send_back"),
    path("staff/wishes/<int:pk>/answer/", answer, name="answer"),
    path("staff/wishes/<int:pk>/withdraw/", withdraw, name="withdraw"),
    path("staff/wishes/<int:pk>/aid/", aid_record, name="aid_record"),
    path("staff/wishes/<int:pk>/express/pay/", express_pay, name="express_pay"),
    path("staff/wishes/<int:pk>/express/fallback/", express_fallback, name="express_fallback"),
    path("staff/objections/<int:pk>/decide/", objection_decide, name="objection_decide"),
    path("staff/need-index/", formula, name="formula"),
]
