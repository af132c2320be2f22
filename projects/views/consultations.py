"""Views: consultations (see projects/services/consultations.py).

Public pages show meetings, agendas, counts and minutes, never a name. The ballot is for
the council's members; the council page for its members, secretary and station staff;
the secretary's page (agenda, attendance, paper and hand votes, close, cancel) for whoever
keeps the minutes. Anyone else gets a 404.
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

from accounts.errors import LinliError
from projects import rules
from projects.filters import AreaFilterForm, filter_regions
from projects.forms.consultations import (
    AgendaAddForm,
    AttendanceForm,
    BallotForm,
    CancelForm,
    CloseForm,
    ConsultationCreateForm,
    VoteRecordForm,
)
from projects.models import Consultation, ConsultationStatus, ItemResult
from projects.selectors import consultations as selectors
from projects.services import consultations as services

PAGE_SIZE = 20


def _query_without(request: HttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


# --- The public ---------------------------------------------------------------------------


@require_GET
def consultation_list(request: HttpRequest) -> HttpResponse:
    """Upcoming and past consultations (two tabs), filtered by town and community."""
    form = AreaFilterForm(request.GET or None, regions=filter_regions())
    past = request.GET.get("when") == "past"
    rows = selectors.public_consultations(
        area=form.area_q("council__community"), upcoming=not past, now=timezone.now()
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "projects/consultations/list.html",
        {
            "form": form,
            "page": page,
            "past": past,
            "area": form.querystring(),
            "query": _query_without(request, "page"),
            "section": "consultations",
        },
    )


@require_GET
def consultation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One consultation: agenda, results once closed, and minutes built from the rows."""
    consultation = selectors.public_consultation(pk)
    now = timezone.now()
    voting_open = consultation.voting_open(now)
    can_vote = (
        voting_open
        and request.user.is_authenticated
        and rules.is_member(request.user, consultation.council)
    )
    closed = consultation.status == ConsultationStatus.CLOSED
    for item in consultation.agenda:
        item.project = selectors.decided_project(item)
        item.quorum_met = item.result in (ItemResult.PASSED, ItemResult.REJECTED)
    return render(
        request,
        "projects/consultations/detail.html",
        {
            "consultation": consultation,
            "council": consultation.council,
            "items": consultation.agenda,
            "voting_open": voting_open,
            "can_vote": can_vote,
            "closed": closed,
            "section": "consultations",
        },
    )


# --- Members ------------------------------------------------------------------------------


def _ballot(
    request: HttpRequest,
    consultation: Consultation,
    *,
    bound: BallotForm | None = None,
    status: int = 200,
) -> HttpResponse:
    rows = []
    for entry in selectors.ballot_items(consultation, request.user):
        if bound is not None and bound.initial.get("item") == entry.item.pk:
            form = bound
        else:
            form = BallotForm(item=entry.item, initial={"choice": entry.choice or None})
        rows.append({"item": entry.item, "choice": entry.choice, "form": form})
    return render(
        request,
        "projects/consultations/ballot.html",
        {
            "consultation": consultation,
            "rows": rows,
            "voting_open": consultation.voting_open(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def ballot(request: HttpRequest, pk: int) -> HttpResponse:
    """A member's ballot: for, against or abstain on each pending item, changeable while
    voting is open."""
    consultation = selectors.access_ballot(request.user, pk)
    if request.method != "POST":
        return _ballot(request, consultation)
    try:
        item_pk = int(request.POST.get("item", ""))
    except ValueError:
        raise Http404 from None
    item = consultation.items.select_related("consultation__council").filter(pk=item_pk).first()
    if item is None:
        raise Http404
    form = BallotForm(request.POST, item=item)
    form.initial["item"] = item.pk
    if not form.is_valid():
        return _ballot(request, consultation, bound=form, status=400)
    try:
        services.vote_cast(actor=request.user, item=item, choice=form.cleaned_data["choice"])
    except LinliError as error:
        form.add_error(None, str(error))
        return _ballot(request, consultation, bound=form, status=error.status)
    messages.success(request, _("Your vote was recorded. You can change it until voting closes."))
    return redirect("projects:ballot", pk=consultation.pk)


@login_required
@require_GET
def council(request: HttpRequest) -> HttpResponse:
    """The user's councils: proposals waiting, meetings ahead and behind, the rules."""
    councils = selectors.user_councils(request.user)
    if not councils:
        raise Http404
    return render(
        request,
        "projects/consultations/council.html",
        {"pages": selectors.council_pages(request.user, councils, timezone.now())},
    )


@login_required
@require_http_methods(["GET", "POST"])
def consultation_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A council member calls a consultation; its agenda takes the tabled proposals."""
    council_row = selectors.access_council_member(request.user, pk)
    form = ConsultationCreateForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            try:
                consultation = services.consultation_create(
                    actor=request.user, council=council_row, **form.cleaned_data
                )
            except LinliError as error:
                form.add_error(None, str(error))
                status = error.status
            else:
                messages.success(request, _("The consultation was called."))
                if rules.may_keep_minutes(request.user, council_row):
                    return redirect("projects:consultation_manage", pk=consultation.pk)
                return redirect("projects:consultation", pk=consultation.pk)
    return render(
        request,
        "projects/consultations/create.html",
        {"council": council_row, "form": form},
        status=status,
    )


# --- The secretary ------------------------------------------------------------------------


def _manage(
    request: HttpRequest,
    consultation: Consultation,
    *,
    forms: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The secretary's page; *forms* holds a bound form that failed, to show its errors."""
    data = selectors.minutes(consultation)
    now = timezone.now()
    pending = [i for i in data.items if i.result == ItemResult.PENDING]
    scheduled = consultation.status == ConsultationStatus.SCHEDULED
    forms = forms or {}
    for item in data.items:
        item.project = selectors.decided_project(item)
        item.tally = data.tallies.get(item.pk)
    context = {
        "consultation": consultation,
        "council": consultation.council,
        "items": data.items,
        "members": [
            {
                "member": m,
                "present": m.pk in data.present,
                "votes": [data.tallies[i.pk].by_member.get(m.pk, "") for i in data.items],
            }
            for m in data.members
        ],
        "scheduled": scheduled,
        # A form that failed is shown again with its errors, whatever the clock says now.
        "agenda_open": (scheduled and now < consultation.starts_at) or "agenda" in forms,
        "recording_open": (scheduled and now >= consultation.starts_at) or "record" in forms,
        "can_close": (scheduled and now >= consultation.ends_at) or "close" in forms,
        "show_attendance": scheduled or "attendance" in forms,
        "show_cancel": scheduled or "cancel" in forms,
        "agenda_form": forms.get("agenda") or AgendaAddForm(candidates=data.candidates),
        "attendance_form": forms.get("attendance")
        or AttendanceForm(
            members=data.members,
            initial={
                "members": sorted(data.present),
                "attendance_count": consultation.attendance_count,
            },
        ),
        "record_form": forms.get("record") or VoteRecordForm(items=pending, members=data.members),
        "close_form": forms.get("close") or CloseForm(initial={"summary": consultation.summary}),
        "cancel_form": forms.get("cancel") or CancelForm(),
    }
    return render(request, "projects/consultations/manage.html", context, status=status)


@login_required
@require_GET
def consultation_manage(request: HttpRequest, pk: int) -> HttpResponse:
    return _manage(request, selectors.access_minutes(request.user, pk))


def _act(request, consultation, name: str, form, call) -> HttpResponse:
    """Validate *form*, run *call(form)*; on success redirect to the secretary's page with
    a message, else re-render it with the form's errors (nothing typed is lost)."""
    if not form.is_valid():
        return _manage(request, consultation, forms={name: form}, status=400)
    try:
        done = call(form)
    except LinliError as error:
        form.add_error(None, str(error))
        return _manage(request, consultation, forms={name: form}, status=error.status)
    messages.success(request, done)
    return redirect("projects:consultation_manage", pk=consultation.pk)


@login_required
@require_POST
def agenda_add(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = selectors.access_minutes(request.user, pk)
    form = AgendaAddForm(request.POST, candidates=selectors.minutes(consultation).candidates)

    def call(form):
        services.agenda_add(
            actor=request.user,
            consultation=consultation,
            proposal=form.candidates[form.cleaned_data["proposal"]],
            kind=form.cleaned_data["kind"],
        )
        return _("The item was added to the agenda.")

    return _act(request, consultation, "agenda", form, call)


@login_required
@require_POST
def agenda_remove(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.access_item_minutes(request.user, pk)
    consultation = item.consultation
    try:
        services.agenda_remove(actor=request.user, item=item)
    except LinliError as error:
        messages.error(request, str(error))
        return _manage(request, consultation, status=error.status)
    messages.success(request, _("The item was taken off the agenda."))
    return redirect("projects:consultation_manage", pk=consultation.pk)


@login_required
@require_POST
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = selectors.access_minutes(request.user, pk)
    members = list(rules.members(consultation.council).order_by("display_name", "email"))
    form = AttendanceForm(request.POST, members=members)

    def call(form):
        services.attendance_record(
            actor=request.user,
            consultation=consultation,
            members=form.chosen(),
            attendance_count=form.cleaned_data["attendance_count"],
        )
        return _("Attendance was recorded.")

    return _act(request, consultation, "attendance", form, call)


@login_required
@require_POST
def vote_record(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = selectors.access_minutes(request.user, pk)
    items = list(
        consultation.items.filter(result=ItemResult.PENDING)
        .select_related("proposal", "consultation__council")
        .order_by("position", "pk")
    )
    members = list(rules.members(consultation.council).order_by("display_name", "email"))
    form = VoteRecordForm(request.POST, items=items, members=members)

    def call(form):
        data = form.cleaned_data
        services.vote_record(
            actor=request.user,
            item=form.items[data["item"]],
            member=form.people[data["member"]],
            choice=data["choice"],
            channel=data["channel"],
        )
        return _("The vote was recorded.")

    return _act(request, consultation, "record", form, call)


@login_required
@require_POST
def consultation_close(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = selectors.access_minutes(request.user, pk)
    form = CloseForm(request.POST)

    def call(form):
        services.consultation_close(
            actor=request.user, consultation=consultation, summary=form.cleaned_data["summary"]
        )
        return _("The consultation was closed and its results computed.")

    return _act(request, consultation, "close", form, call)


@login_required
@require_POST
def consultation_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = selectors.access_minutes(request.user, pk)
    form = CancelForm(request.POST)

    def call(form):
        services.consultation_cancel(
            actor=request.user, consultation=consultation, reason=form.cleaned_data["reason"]
        )
        return _("The consultation was cancelled; its proposals wait for the next meeting.")

    return _act(request, consultation, "cancel", form, call)


urlpatterns = [
    path("projects/consultations/", consultation_list, name="consultations"),
    path("projects/consultations/<int:pk>/", consultation_detail, name="consultation"),
    path("projects/consultations/<int:pk>/vote/", ballot, name="ballot"),
    path("projects/council/", council, name="council"),
    path(
        "projects/council/<int:pk>/consultations/new/",
        consultation_create,
        name="consultation_create",
    ),
    path(
        "projects/council/consultations/<int:pk>/",
        consultation_manage,
        name="consultation_manage",
    ),
    path(
        "projects/council/consultations/<int:pk>/agenda/",
        agenda_add,
        name="agenda_add",
    ),
    path("projects/council/items/<int:pk>/remove/", agenda_remove, name="agenda_remove"),
    path(
        "projects/council/consultations/<int:pk>/attendance/",
        attendance,
        name="attendance",
    ),
    path(
        "projects/council/consultations/<int:pk>/votes/",
        vote_record,
        name="vote_record",
    ),
    path(
        "projects/council/consultations/<int:pk>/close/",
        consultation_close,
        name="consultation_close",
    ),
    path(
        "projects/council/consultations/<int:pk>/cancel/",
        consultation_cancel,
        name="consultation_cancel",
    ),
]
