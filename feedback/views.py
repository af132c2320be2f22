"""Pages of the feedback app.

The recipient's page (``respond``) is public: the token in the URL is the key. It shows the
listing's public title only, never the recipient's name; an unknown, used or expired token
gets one and the same "not valid" page (404), so a guess learns nothing, and every hit
counts against the client address's rate limit.

Staff pages are scoped: follow-up visits to station staff of the listing's community
(``DELIVERY_LOG``), cases to the town's reviewers (``WISH_REVIEW``); elsewhere is a 404.
They show no personal data: the recipient's record is one click away, on the wish's staff
page, which audits each view of it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.errors import LinliError
from accounts.permissions import has_perm_anywhere
from accounts.roles import Perm
from feedback import selectors, services
from feedback.exceptions import LinkNotValid
from feedback.forms import AnswerForm, CaseMoveForm, RecordForm
from feedback.models import Case, CaseStatus, FollowUp, FollowUpStatus
from marketplace import ratelimit
from marketplace.models import ListingKind

PAGE_SIZE = 25


def _private(response: HttpResponse) -> HttpResponse:
    """A page reached by a secret link: not cached, and the link never sent as referrer to
    another site. (Not ``no-referrer``: browsers then send ``Origin: null`` with the form,
    which Django's CSRF check rightly refuses.)"""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


def _not_valid(request: HttpRequest) -> HttpResponse:
    return _private(
        render(
            request,
            "feedback/link_invalid.html",
            {"message": LinkNotValid.message},
            status=LinkNotValid.status,
        )
    )


@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest, token: str) -> HttpResponse:
    """The recipient confirms receipt and rates the delivery (no password, no JavaScript)."""
    ratelimit.check(request, scope="feedback")
    try:
        link = services.link_for_token(token)
    except LinkNotValid:
        return _not_valid(request)
    status = 200
    if request.method == "POST":
        form = AnswerForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                services.respond(token=token, **form.service_kwargs())
            except LinkNotValid:
                return _not_valid(request)
            except LinliError as error:
                form.add_error(None, str(error))
                status = error.status
            else:
                return _private(redirect("feedback:thanks"))
    else:
        form = AnswerForm()
    return _private(
        render(
            request,
            "feedback/respond.html",
            {"form": form, "title": link.listing.title, "expires_at": link.expires_at},
            status=status,
        )
    )


@require_GET
def thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "feedback/thanks.html")


@require_GET
def satisfaction(request: HttpRequest) -> HttpResponse:
    """Public figures per station and town: averages, counts, response rates; no comments.

    A signed-in donor also sees the figure for the listings they gave to (only their own).
    """
    own = None
    if request.user.is_authenticated:
        rows = selectors.satisfaction_by_donor([request.user.pk])
        own = rows[0] if rows else None
    return render(
        request,
        "feedback/satisfaction.html",
        {
            "stations": selectors.satisfaction_by_station(),
            "towns": selectors.satisfaction_by_town(),
            "own": own,
        },
    )


# --- Follow-up visits -------------------------------------------------------------------


def _wish_pk(listing) -> int | None:
    return listing.source_id if listing.kind == ListingKind.WISH else None


@require_GET
@login_required
def follow_ups(request: HttpRequest) -> HttpResponse:
    """Open follow-up visits in the station staff's communities, most overdue first."""
    if not has_perm_anywhere(request.user, Perm.DELIVERY_LOG):
        raise Http404
    page = Paginator(selectors.follow_ups_for(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "feedback/staff/follow_ups.html", {"page": page})


def _follow_up_page(
    request: HttpRequest, follow_up: FollowUp, form: RecordForm | None = None, status: int = 200
) -> HttpResponse:
    if form is None and follow_up.status == FollowUpStatus.OPEN:
        form = RecordForm()
    return render(
        request,
        "feedback/staff/follow_up.html",
        {"follow_up": follow_up, "form": form, "wish_pk": _wish_pk(follow_up.listing)},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    """One follow-up visit: record the recipient's answer on their behalf."""
    follow_up = selectors.access_follow_up(request.user, pk)
    if request.method == "GET":
        return _follow_up_page(request, follow_up)
    form = RecordForm(request.POST)
    if not form.is_valid():
        return _follow_up_page(request, follow_up, form, status=400)
    try:
        services.follow_up_record(actor=request.user, follow_up=follow_up, **form.service_kwargs())
    except LinliError as error:
        form.add_error(None, str(error))
        return _follow_up_page(request, follow_up, form, status=error.status)
    messages.success(request, _("The answer was recorded and the visit closed."))
    return redirect("feedback:follow_ups")


# --- Cases ------------------------------------------------------------------------------


@require_GET
@login_required
def cases(request: HttpRequest) -> HttpResponse:
    """The town reviewer's queue of cases, earliest deadline first."""
    if not has_perm_anywhere(request.user, Perm.WISH_REVIEW):
        raise Http404
    resolved = request.GET.get("resolved") == "1"
    page = Paginator(selectors.cases_for(request.user, resolved=resolved), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "feedback/staff/cases.html", {"page": page, "resolved": resolved})


def _steps(case: Case) -> list[dict]:
    """The case's audited steps, each with a translated label."""
    labels = {"feedback.case.opened": _("Opened")} | {
        f"feedback.case.{value}": label for value, label in CaseStatus.choices
    }
    return [
        {
            "at": event.created_at,
            "by": event.actor_label,
            "label": labels.get(event.verb, event.verb),
            "note": event.reason,
        }
        for event in selectors.case_history(case)
    ]


def _case_page(
    request: HttpRequest, case: Case, form: CaseMoveForm | None = None, status: int = 200
) -> HttpResponse:
    allowed = sorted(services.CASE.allowed(case.status))
    return render(
        request,
        "feedback/staff/case.html",
        {
            "case": case,
            "rating": case.rating,
            "history": _steps(case),
            "form": form or CaseMoveForm(allowed=allowed),
            "wish_pk": _wish_pk(case.listing),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def case(request: HttpRequest, pk: int) -> HttpResponse:
    """One case: what the recipient said, its steps, and the next move with a note."""
    case = selectors.access_case(request.user, pk)
    if request.method == "GET":
        return _case_page(request, case)
    form = CaseMoveForm(request.POST, allowed=sorted(services.CASE.allowed(case.status)))
    if not form.is_valid():
        return _case_page(request, case, form, status=400)
    try:
        services.case_move(
            actor=request.user,
            case=case,
            to=form.cleaned_data["to"],
            note=form.cleaned_data["note"],
        )
    except LinliError as error:
        form.add_error(None, str(error))
        return _case_page(request, case, form, status=error.status)
    messages.success(request, _("The case was updated."))
    return redirect("feedback:case", pk=case.pk)


urlpatterns = [
    path("feedback/r/<str:token>/", respond, name="respond"),
    path("feedback/thanks/", thanks, name="thanks"),
    path("feedback/satisfaction/", satisfaction, name="satisfaction"),
    path("staff/feedback/follow-ups/", follow_ups, name="follow_ups"),
    path("staff/feedback/follow-ups/<int:pk>/", follow_up, name="follow_up"),
    path("staff/feedback/cases/", cases, name="cases"),
    path("staff/feedback/cases/<int:pk>/", case, name="case"),
]
