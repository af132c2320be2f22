"""Wish pages for everyone: requesters raising and following their wish, and the public
notice and published lists with their anonymised pages.

Nothing here reads the private household: public pages go through ``selectors.public_*``
(which load only the anonymised fields), the requester's pages show the wish, its needs and
its steps.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.errors import LinliError
from wishes import selectors, services
from wishes.exceptions import NoStation
from wishes.forms.common import NeedFormSet
from wishes.forms.public import (
    ObjectionForm,
    OnlineHouseholdForm,
    OnlineWishForm,
    WithdrawForm,
)
from wishes.models import Status, Wish
from wishes.tracking import reference_from_token

PAGE_SIZE = 20


def _page(request: HttpRequest, items):
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- The requester ----------------------------------------------------------------------


def _progress(
    request: HttpRequest,
    wish: Wish,
    *,
    owner: bool = False,
    withdraw_form: WithdrawForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The requester's view of a wish: status, deadline and every step, no private data."""
    # A refused withdrawal keeps its form, to show why.
    can_withdraw = owner and (
        services.WISH.can(wish, Status.WITHDRAWN) or bool(withdraw_form and withdraw_form.errors)
    )
    return render(
        request,
        "wishes/progress.html",
        {
            "wish": wish,
            "needs": list(wish.needs.all()),
            "steps": list(selectors.timeline(wish)),
            "reason_verbs": selectors.REQUESTER_REASON_VERBS,
            "owner": owner,
            "withdraw_form": (withdraw_form or WithdrawForm()) if can_withdraw else None,
        },
        status=status,
    )


@require_GET
def track(request: HttpRequest, token: str) -> HttpResponse:
    """Follow a wish by the signed link sent in every message; no password needed."""
    reference = reference_from_token(token)
    wish = (
        Wish.objects.filter(reference=reference).select_related("station").first()
        if reference
        else None
    )
    if wish is None:
        raise Http404
    return _progress(request, wish)


@login_required
@require_http_methods(["GET", "POST"])
def wish_new(request: HttpRequest) -> HttpResponse:
    """A resident (or a relative) raises a wish online; a station takes it from there."""
    data = request.POST if request.method == "POST" else None
    wish_form = OnlineWishForm(data)
    needs = NeedFormSet(data, prefix="needs")
    household_form = OnlineHouseholdForm(data)
    status = 200
    if data is not None:
        # Validate all three (no short-circuit) so every mistake is shown at once.
        valid = [wish_form.is_valid(), needs.is_valid(), household_form.is_valid()]
        status = 400
        if all(valid):
            try:
                with transaction.atomic():
                    fields = household_form.household_fields()
                    household = services.household_create(
                        actor=request.user,
                        consent=household_form.cleaned_data["consent"],
                        consent_note="online",
                        **fields,
                    )
                    wish = services.wish_submit(
                        user=request.user,
                        household=household,
                        title=wish_form.cleaned_data["title"],
                        story=wish_form.cleaned_data["story"],
                        category=wish_form.cleaned_data["category"],
                        urgency=wish_form.cleaned_data["urgency"],
                        needs=needs.lines(),
                    )
            except NoStation as error:
                household_form.add_error("community", str(error))
                status = error.status
            except LinliError as error:
                wish_form.add_error(None, str(error))
                status = error.status
            else:
                messages.success(
                    request,
                    _(
                        "Your wish was received under reference %(reference)s. A station "
                        "near you will contact you soon to talk it through."
                    )
                    % {"reference": wish.reference},
                )
                return redirect("wishes:my_wish", reference=wish.reference)
    return render(
        request,
        "wishes/public/new.html",
        {"wish_form": wish_form, "needs": needs, "household_form": household_form},
        status=status,
    )


@login_required
@require_GET
def my_wish_list(request: HttpRequest) -> HttpResponse:
    page = _page(request, selectors.my_wishes(request.user))
    return render(
        request, "wishes/public/mine.html", {"page": page, "query": _query_without_page(request)}
    )


@login_required
@require_GET
def my_wish(request: HttpRequest, reference: str) -> HttpResponse:
    wish = selectors.access_own_wish(request.user, reference)
    return _progress(request, wish, owner=True)


@login_required
@require_POST
def my_wish_withdraw(request: HttpRequest, reference: str) -> HttpResponse:
    wish = selectors.access_own_wish(request.user, reference)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.wish_withdraw(
                actor=request.user, wish=wish, reason=form.cleaned_data["reason"]
            )
        except LinliError as error:
            form.add_error(None, str(error))
            return _progress(request, wish, owner=True, withdraw_form=form, status=error.status)
        messages.success(request, _("Your wish was withdrawn."))
        return redirect("wishes:my_wish", reference=wish.reference)
    return _progress(request, wish, owner=True, withdraw_form=form, status=400)


# --- The public -------------------------------------------------------------------------


def _public_list(request: HttpRequest, status: str, template: str) -> HttpResponse:
    page = _page(request, selectors.public_wishes(status=status))
    return render(
        request,
        template,
        {
            "page": page,
            "query": _query_without_page(request),
            "notice_days": settings.WISH_NOTICE_DAYS,
        },
    )


@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    """Public notice (公示): approved wishes anyone may object to before they go out."""
    return _public_list(request, Status.NOTICE, "wishes/public/notice.html")


@require_GET
def published_list(request: HttpRequest) -> HttpResponse:
    """Published wishes (until the marketplace lists them for donors)."""
    return _public_list(request, Status.PUBLISHED, "wishes/public/published.html")


def _public_page(
    request: HttpRequest, wish: Wish, *, form: ObjectionForm | None = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "wishes/public/detail.html",
        {
            "wish": wish,
            "needs": list(wish.needs.all()),
            "form": form or ObjectionForm(),
            "notice_days": settings.WISH_NOTICE_DAYS,
        },
        status=status,
    )


@require_GET
def wish_public(request: HttpRequest, reference: str) -> HttpResponse:
    """The anonymised page of a wish on notice or published; 404 for any other."""
    return _public_page(request, selectors.public_wish(reference))


@login_required
@require_http_methods(["GET", "POST"])
def wish_object(request: HttpRequest, reference: str) -> HttpResponse:
    """File an objection to a wish on public notice.

    A GET (after signing in from the "sign in to object" link) goes back to the wish's page.
    """
    wish = selectors.public_wish(reference)
    if request.method != "POST":
        return redirect(reverse("wishes:public", args=[wish.reference]) + "#object")
    form = ObjectionForm(request.POST)
    if not form.is_valid():
        return _public_page(request, wish, form=form, status=400)
    try:
        services.objection_file(user=request.user, wish=wish, text=form.cleaned_data["text"])
    except LinliError as error:
        form.add_error(None, str(error))
        return _public_page(request, wish, form=form, status=error.status)
    messages.success(
        request,
        _("Your objection was recorded. A reviewer must answer it before the wish goes ahead."),
    )
    return redirect("wishes:public", reference=wish.reference)


urlpatterns = [
    # Fixed paths first: "new", "notice" and "track" are not references.
    path("wishes/new/", wish_new, name="new"),
    path("wishes/notice/", notice_list, name="notice"),
    path("wishes/track/<str:token>/", track, name="track"),
    path("wishes/", published_list, name="published"),
    path("wishes/<str:reference>/", wish_public, name="public"),
    path("wishes/<str:reference>/object/", wish_object, name="object"),
    path("me/wishes/", my_wish_list, name="mine"),
    path("me/wishes/<str:reference>/", my_wish, name="my_wish"),
    path("me/wishes/<str:reference>/withdraw/", my_wish_withdraw, name="my_wish_withdraw"),
]
