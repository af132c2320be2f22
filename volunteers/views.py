"""Pages of volunteering.

Volunteers (any signed-in user): their profile, open shifts in their areas, signing up and
cancelling, their verified hours and a printable certificate of them.
Station staff (``Perm.DELIVERY_LOG``): the shifts of their stations, a shift's roster with
check-in, check-out and verification, and totals with a CSV export for employers. A shift
or a sign-up outside the user's area is a 404. Services check the right again; a refusal
re-renders the page with its message (4xx), never a 500.
"""

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import audit
from accounts.errors import LinliError
from accounts.permissions import has_perm_anywhere
from accounts.roles import Perm
from volunteers import selectors, services
from volunteers.forms import (
    PeriodForm,
    ProfileForm,
    ShiftCancelForm,
    ShiftFilterForm,
    ShiftForm,
    VerifyForm,
)
from volunteers.models import Shift, ShiftStatus, SignupStatus

PAGE_SIZE = 20


# --- Volunteers -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Create or edit one's volunteer profile; saving it makes the user a volunteer."""
    current = selectors.profile_of(request.user)
    initial: dict[str, Any] = {"display_name": request.user.get_full_name()}
    if current is not None:
        initial = {
            "display_name": current.display_name,
            "skills": current.skills,
            "areas": list(current.areas.all()),
            "availability": current.availability,
            "weekdays": current.weekdays,
            "weekends": current.weekends,
            "organisation": current.organisation,
            "phone": current.phone,
        }
    form = ProfileForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.profile_save(
                user=request.user,
                display_name=data["display_name"],
                skills=data["skills"],
                areas=list(data["areas"]),
                availability=data["availability"],
                weekdays=data["weekdays"],
                weekends=data["weekends"],
                organisation=data["organisation"],
                phone=data["phone"] or "",
            )
        except LinliError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your volunteer profile is saved."))
            return redirect("volunteers:shifts")
    return render(
        request,
        "volunteers/profile.html",
        {"form": form, "profile": current},
        status=400 if form.errors else 200,
    )


def _shifts_page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    today = timezone.localdate()
    form = ShiftFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    shifts = selectors.open_shifts(
        request.user, today=today, skill=filters.get("skill", ""), day=filters.get("day")
    )
    page = Paginator(shifts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "volunteers/shifts.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "profile": selectors.profile_of(request.user),
            "upcoming": selectors.upcoming_signups(request.user, today=today),
            "error": error,
        },
        status=status,
    )


@require_GET
@login_required
def shifts(request: HttpRequest) -> HttpResponse:
    """Open shifts in the volunteer's areas, filtered by skill and date."""
    return _shifts_page(request)


@require_POST
@login_required
def signup(request: HttpRequest, pk: int) -> HttpResponse:
    shift = selectors.access_open_shift(request.user, pk)
    try:
        services.shift_signup(volunteer=request.user, shift=shift)
    except LinliError as error:
        return _shifts_page(request, error=str(error), status=error.status)
    messages.success(request, _("You are signed up. Thank you!"))
    return redirect("volunteers:shifts")


@require_POST
@login_required
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    signup = selectors.access_own_signup(request.user, pk)
    try:
        services.signup_cancel(volunteer=request.user, signup=signup)
    except LinliError as error:
        return _shifts_page(request, error=str(error), status=error.status)
    messages.success(request, _("Your place is given back."))
    return redirect("volunteers:shifts")


@require_GET
@login_required
def my_hours(request: HttpRequest) -> HttpResponse:
    """The volunteer's own verified hours."""
    signups = selectors.verified_hours(request.user)
    page = Paginator(signups, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "volunteers/my_hours.html",
        {"page": page, "total": selectors.total_hours(signups)},
    )


@require_GET
@login_required
def certificate(request: HttpRequest) -> HttpResponse:
    """A printable certificate of the user's own verified hours."""
    signups = selectors.verified_hours(request.user)
    rows = list(signups)
    return render(
        request,
        "volunteers/certificate.html",
        {
            "profile": selectors.profile_of(request.user),
            "signups": rows,
            "total": sum((s.hours for s in rows), start=services.Decimal("0.00")),
            "first": rows[-1].shift.date if rows else None,
            "last": rows[0].shift.date if rows else None,
            "today": timezone.localdate(),
        },
    )


# --- Station staff ----------------------------------------------------------------------


def _require_station_staff(request: HttpRequest) -> None:
    if not has_perm_anywhere(request.user, Perm.DELIVERY_LOG):
        raise Http404


@require_http_methods(["GET", "POST"])
@login_required
def station_shifts(request: HttpRequest) -> HttpResponse:
    """The shifts of the user's stations from today on, and a form to offer one."""
    _require_station_staff(request)
    form = ShiftForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            shift = services.shift_create(
                actor=request.user, station=form.cleaned_data["station"], spec=form.spec()
            )
        except LinliError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The shift is open for sign-up."))
            return redirect("volunteers:shift", pk=shift.pk)
    today = timezone.localdate()
    page = Paginator(selectors.staff_shifts(request.user, since=today), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "volunteers/staff/shifts.html",
        {"form": form, "page": page},
        status=400 if form.errors else 200,
    )


def _roster_page(
    request: HttpRequest,
    shift: Shift,
    *,
    error: str = "",
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    rows = list(selectors.roster(shift))
    for row in rows:
        row.worked = services.hours_worked(row)
        row.verify_form = bound.get(row.pk) or VerifyForm(prefix=f"s{row.pk}")
    return render(
        request,
        "volunteers/staff/shift.html",
        {
            "shift": shift,
            "rows": rows,
            "error": error,
            "cancel_form": bound.get("cancel") or ShiftCancelForm(),
            "is_open": shift.status == ShiftStatus.OPEN,
            "SignupStatus": SignupStatus,
        },
        status=status,
    )


@require_GET
@login_required
def shift(request: HttpRequest, pk: int) -> HttpResponse:
    """A shift's roster: check volunteers in and out, verify their hours."""
    return _roster_page(request, selectors.access_shift(request.user, pk))


@require_POST
@login_required
def shift_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    shift = selectors.access_shift(request.user, pk)
    form = ShiftCancelForm(request.POST)
    if form.is_valid():
        try:
            services.shift_cancel(actor=request.user, shift=shift, **form.cleaned_data)
        except LinliError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The shift is cancelled; its volunteers are told."))
            return redirect("volunteers:shift", pk=shift.pk)
    return _roster_page(request, shift, bound={"cancel": form}, status=400)


@require_POST
@login_required
def shift_complete(request: HttpRequest, pk: int) -> HttpResponse:
    shift = selectors.access_shift(request.user, pk)
    try:
        services.shift_complete(actor=request.user, shift=shift)
    except LinliError as error:
        return _roster_page(request, shift, error=str(error), status=400)
    messages.success(request, _("The shift is closed."))
    return redirect("volunteers:shift", pk=shift.pk)


def _signup_action(request: HttpRequest, pk: int, action, done: str) -> HttpResponse:
    signup = selectors.access_staff_signup(request.user, pk)
    try:
        action(actor=request.user, signup=signup)
    except LinliError as error:
        shift = selectors.access_shift(request.user, signup.shift_id)
        return _roster_page(request, shift, error=str(error), status=400)
    messages.success(request, done)
    return redirect("volunteers:shift", pk=signup.shift_id)


@require_POST
@login_required
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    return _signup_action(request, pk, services.check_in, _("Checked in."))


@require_POST
@login_required
def check_out(request: HttpRequest, pk: int) -> HttpResponse:
    return _signup_action(request, pk, services.check_out, _("Checked out."))


@require_POST
@login_required
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    signup = selectors.access_staff_signup(request.user, pk)
    form = VerifyForm(request.POST, prefix=f"s{signup.pk}")
    if form.is_valid():
        try:
            services.hours_verify(
                actor=request.user,
                signup=signup,
                hours=form.cleaned_data["hours"],
                reason=form.cleaned_data["reason"],
            )
        except LinliError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The hours are verified."))
            return redirect("volunteers:shift", pk=signup.shift_id)
    shift = selectors.access_shift(request.user, signup.shift_id)
    return _roster_page(request, shift, bound={signup.pk: form}, status=400)


def _period(request: HttpRequest) -> tuple[PeriodForm, dict[str, Any]]:
    form = PeriodForm(request.GET or None)
    period = form.cleaned_data if form.is_valid() else {}
    return form, {"start": period.get("start"), "end": period.get("end")}


def _no_organisation_last(row: dict, key: str) -> tuple:
    name = row[key]
    return (name is None, name or "")


@require_GET
@login_required
def totals(request: HttpRequest) -> HttpResponse:
    """Verified hours in the staff's area per volunteer, organisation and station."""
    _require_station_staff(request)
    form, period = _period(request)
    result = selectors.totals(request.user, **period)
    result.organisations.sort(
        key=lambda r: _no_organisation_last(r, "volunteer__volunteer_profile__organisation__name")
    )
    return render(
        request,
        "volunteers/staff/totals.html",
        {"form": form, "totals": result, "query": request.GET.urlencode()},
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula (a typed name may start with =)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@require_GET
@login_required
def totals_csv(request: HttpRequest) -> HttpResponse:
    """For employers: per organisation, each volunteer's shifts and verified hours (UTF-8
    with BOM for Excel). Names and hours only: no phone numbers or other contacts."""
    _require_station_staff(request)
    _form, period = _period(request)
    key = "volunteer__volunteer_profile__organisation__name"
    rows = sorted(
        selectors.employer_rows(request.user, **period),
        key=lambda r: (
            *_no_organisation_last(r, key),
            r["volunteer__volunteer_profile__display_name"] or "",
        ),
    )
    writer = csv.writer(_Echo())
    lines = [writer.writerow([_("Organisation"), _("Volunteer"), _("Shifts"), _("Verified hours")])]
    for row in rows:
        lines.append(
            writer.writerow(
                [
                    _cell(row[key] or _("(no organisation)")),
                    _cell(row["volunteer__volunteer_profile__display_name"]),
                    row["shifts"],
                    row["hours"],
                ]
            )
        )
    audit.record(
        actor=request.user,
        verb="volunteers.totals_export",
        data={
            "rows": len(rows),
            "start": str(period["start"] or ""),
            "end": str(period["end"] or ""),
        },
    )
    response = HttpResponse("\ufeff" + "".join(lines), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="volunteer-hours-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
