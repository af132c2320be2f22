"""Reads of volunteering, each in a fixed number of queries, and ``access_*`` fetches that
answer 404 for anything outside the user's area."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.http import Http404

from accounts.models import Membership, Organisation, Region, Station, User
from accounts.permissions import has_perm, region_q
from accounts.roles import Perm
from marketplace.models import LineKind, ListingLine, ListingStatus
from volunteers.models import (
    HOLDING,
    Shift,
    ShiftSignup,
    ShiftStatus,
    SignupStatus,
    VolunteerProfile,
)
from volunteers.services import AREA_LEVELS

# --- Volunteers ----------------------------------------------------------------------------


def profile_of(user: User) -> VolunteerProfile | None:
    return VolunteerProfile.objects.filter(user=user).select_related("organisation").first()


def area_choices() -> QuerySet[Region]:
    return Region.objects.filter(level__in=AREA_LEVELS).order_by("path")


def organisations_of(user: User) -> QuerySet[Organisation]:
    return Organisation.objects.filter(
        pk__in=Membership.objects.filter(user=user).values("organisation")
    ).order_by("name")


def open_shifts(
    user: User, *, today: date, skill: str = "", day: date | None = None
) -> QuerySet[Shift]:
    """Open shifts from *today* on at stations within the user's volunteer areas, with
    ``mine`` telling whether the user holds a place."""
    shifts = (
        Shift.objects.open()
        .filter(region_q(user, Perm.SHIFT_SIGNUP, "station__community"), date__gte=today)
        .select_related("station__community")
        .annotate(
            mine=Exists(ShiftSignup.objects.holding().filter(shift=OuterRef("pk"), volunteer=user))
        )
    )
    if skill:
        shifts = shifts.filter(skill=skill)
    if day:
        shifts = shifts.filter(date=day)
    return shifts.order_by("date", "starts", "pk")


def access_open_shift(user: User, pk: int) -> Shift:
    """A shift the user may sign up for (in their areas), else 404."""
    shift = Shift.objects.select_related("station__community").filter(pk=pk).first()
    if shift is None or not has_perm(user, Perm.SHIFT_SIGNUP, shift.station.community):
        raise Http404
    return shift


def access_own_signup(user: User, pk: int) -> ShiftSignup:
    signup = (
        ShiftSignup.objects.select_related("shift__station").filter(pk=pk, volunteer=user).first()
    )
    if signup is None:
        raise Http404
    return signup


def upcoming_signups(user: User, *, today: date) -> QuerySet[ShiftSignup]:
    return (
        ShiftSignup.objects.filter(
            volunteer=user,
            status=SignupStatus.SIGNED_UP,
            shift__status=ShiftStatus.OPEN,
            shift__date__gte=today,
        )
        .select_related("shift__station")
        .order_by("shift__date", "shift__starts", "pk")
    )


def verified_hours(user: User) -> QuerySet[ShiftSignup]:
    """The user's own record: verified sign-ups, newest first."""
    return (
        ShiftSignup.objects.verified()
        .filter(volunteer=user)
        .select_related("shift__station")
        .order_by("-shift__date", "-pk")
    )


CENT = Decimal("0.01")


def total_hours(signups: QuerySet[ShiftSignup]) -> Decimal:
    return Decimal(signups.aggregate(total=Sum("hours"))["total"] or 0).quantize(CENT)


def _in_hours(rows) -> list[dict]:
    """The rows with ``hours`` as two-place decimals (SQLite sums lose the places)."""
    rows = list(rows)
    for row in rows:
        row["hours"] = Decimal(row["hours"] or 0).quantize(CENT)
    return rows


# --- Station staff ----------------------------------------------------------------------


def staff_stations(user: User) -> QuerySet[Station]:
    return (
        Station.objects.active()
        .filter(region_q(user, Perm.DELIVERY_LOG, "community"))
        .select_related("community")
        .order_by("community__path", "name")
    )


def staff_shifts(user: User, *, since: date) -> QuerySet[Shift]:
    return (
        Shift.objects.filter(
            region_q(user, Perm.DELIVERY_LOG, "station__community"), date__gte=since
        )
        .select_related("station", "listing_line__listing")
        .order_by("date", "starts", "pk")
    )


def service_lines(user: User) -> QuerySet[ListingLine]:
    """Service lines of live listings in the staff's communities, for a new shift."""
    return (
        ListingLine.objects.filter(
            region_q(user, Perm.DELIVERY_LOG, "listing__community"),
            kind=LineKind.SERVICE,
            listing__status__in=[
                ListingStatus.OPEN,
                ListingStatus.FULLY_PLEDGED,
                ListingStatus.IN_DELIVERY,
            ],
        )
        .select_related("listing")
        .order_by("listing__reference", "pk")
    )


def shifts_to_staff(*, user: User, start: date, end: date) -> QuerySet[Shift]:
    """Open shifts at the user's stations from *start* to *end* (inclusive), by date, each
    with ``signed_up`` (places held). Used by the station workspace."""
    return (
        Shift.objects.open()
        .filter(
            region_q(user, Perm.DELIVERY_LOG, "station__community"),
            date__gte=start,
            date__lte=end,
        )
        .select_related("station")
        .annotate(signed_up=Count("signups", filter=Q(signups__status__in=HOLDING)))
        .order_by("date", "starts", "pk")
    )


def access_shift(user: User, pk: int) -> Shift:
    """A shift at one of the user's stations, else 404."""
    shift = (
        Shift.objects.select_related("station__community", "listing_line__listing")
        .filter(pk=pk)
        .first()
    )
    if shift is None or not has_perm(user, Perm.DELIVERY_LOG, shift.station.community):
        raise Http404
    return shift


def access_staff_signup(user: User, pk: int) -> ShiftSignup:
    signup = ShiftSignup.objects.select_related("shift__station__community").filter(pk=pk).first()
    if signup is None or not has_perm(user, Perm.DELIVERY_LOG, signup.shift.station.community):
        raise Http404
    return signup


def roster(shift: Shift) -> QuerySet[ShiftSignup]:
    return (
        shift.signups.select_related("volunteer__volunteer_profile", "verified_by")
        .annotate(
            cancelled=ExpressionWrapper(
                Q(status=SignupStatus.CANCELLED), output_field=BooleanField()
            )
        )
        .order_by("cancelled", "created_at", "pk")
    )


# --- Totals -----------------------------------------------------------------------------


@dataclass
class Totals:
    volunteers: list[dict]
    organisations: list[dict]
    stations: list[dict]
    hours: Decimal


def verified_in_area(
    user: User, *, start: date | None = None, end: date | None = None
) -> QuerySet[ShiftSignup]:
    signups = ShiftSignup.objects.verified().filter(
        region_q(user, Perm.DELIVERY_LOG, "shift__station__community")
    )
    if start:
        signups = signups.filter(shift__date__gte=start)
    if end:
        signups = signups.filter(shift__date__lte=end)
    return signups


def totals(user: User, *, start: date | None = None, end: date | None = None) -> Totals:
    """Verified hours in the staff's area per volunteer, organisation and station (4 queries)."""
    signups = verified_in_area(user, start=start, end=end)
    agg = {"hours": Sum("hours"), "shifts": Count("pk")}
    volunteers = _in_hours(
        signups.values("volunteer", "volunteer__volunteer_profile__display_name")
        .annotate(**agg)
        .order_by("-hours", "volunteer__volunteer_profile__display_name", "volunteer")
    )
    organisations = _in_hours(
        signups.values("volunteer__volunteer_profile__organisation__name")
        .annotate(volunteers=Count("volunteer", distinct=True), **agg)
        .order_by("volunteer__volunteer_profile__organisation__name")
    )
    stations = _in_hours(
        signups.values("shift__station", "shift__station__name", "shift__station__name_en")
        .annotate(volunteers=Count("volunteer", distinct=True), **agg)
        .order_by("shift__station__name", "shift__station")
    )
    return Totals(
        volunteers=volunteers,
        organisations=organisations,
        stations=stations,
        hours=total_hours(signups),
    )


def employer_rows(user: User, *, start: date | None = None, end: date | None = None):
    """Per organisation and volunteer: shifts and verified hours (no contact details)."""
    return _in_hours(
        verified_in_area(user, start=start, end=end)
        .values(
            "volunteer__volunteer_profile__organisation__name",
            "volunteer__volunteer_profile__display_name",
        )
        .annotate(shifts=Count("pk"), hours=Sum("hours"))
        .order_by(
            "volunteer__volunteer_profile__organisation__name",
            "volunteer__volunteer_profile__display_name",
        )
    )
