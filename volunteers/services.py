"""Write operations of volunteering: profiles, shifts, sign-up, check-in/out, verified hours.

Each service: guard (permission, state) → one transaction → change → audit → side effects on
commit. Locks are taken in one order — shift → sign-up — and re-checked after locking; the
marketplace's hour matching, called from :func:`hours_verify`, then locks listing → campaign
→ fund in its own order (no marketplace path locks shifts, so no cycle).

Decisions:
- Becoming a volunteer is self-service: :func:`profile_save` grants the volunteer role over
  each area chosen, recorded as granted by the user themself (``granted_by`` = the user) and
  audited; areas dropped later lose only those self-granted roles, never one an
  administrator gave.
- A shift for a skill (escort, tutoring…) takes only volunteers whose profile lists that
  skill; a shift for "other help" takes anyone. A volunteer signs up only within the areas
  of their volunteer role (``Perm.SHIFT_SIGNUP`` over the station's community).
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts import audit
from accounts.errors import NotPermitted
from accounts.models import Organisation, Region, RegionLevel, RoleAssignment, Station, User
from accounts.permissions import forget_scopes, has_perm
from accounts.roles import Perm, Role
from marketplace import funds
from marketplace.models import Campaign, CampaignStatus, LineKind, ListingLine
from volunteers.exceptions import (
    AlreadyVerified,
    BadArea,
    HoursOutOfRange,
    HoursReasonNeeded,
    NotAServiceLine,
    NotAVolunteer,
    ShiftFull,
    ShiftNotOpen,
    ShiftStarted,
    SignupNotActive,
    SkillMissing,
)
from volunteers.models import (
    HOLDING,
    Shift,
    ShiftSignup,
    ShiftStatus,
    SignupStatus,
    Skill,
    VolunteerProfile,
)

QUARTER = Decimal("0.25")
MAX_HOURS = Decimal("24")
AREA_LEVELS = (RegionLevel.TOWN, RegionLevel.COMMUNITY)


# --- Profile and the self-service role ----------------------------------------------------


def profile_save(
    *,
    user: User,
    display_name: str,
    skills: list[str],
    areas: list[Region],
    availability: str = "",
    weekdays: bool = False,
    weekends: bool = False,
    organisation: Organisation | None = None,
    phone="",
) -> VolunteerProfile:
    """Create or change *user*'s volunteer profile; hold the volunteer role over *areas*.

    Raises:
        BadArea: an area is not a town or a community, or none is given.
        NotPermitted: *organisation* is not one the user belongs to.
    """
    if not areas or any(a.level not in AREA_LEVELS for a in areas):
        raise BadArea()
    if organisation is not None and not organisation.memberships.filter(user=user).exists():
        raise NotPermitted()
    skills = [s for s in Skill.values if s in set(skills)]
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        profile, created = VolunteerProfile.objects.get_or_create(
            user=user, defaults={"display_name": display_name.strip()}
        )
        profile.display_name = display_name.strip()
        profile.skills = skills
        profile.availability = availability.strip()
        profile.weekdays = weekdays
        profile.weekends = weekends
        profile.organisation = organisation
        profile.phone = phone
        profile.updated_at = timezone.now()
        profile.save()
        profile.areas.set(areas)
        _volunteer_roles_sync(user, areas)
        audit.record(
            actor=user,
            verb="volunteer.profile_create" if created else "volunteer.profile_update",
            target=profile,
            data={"areas": sorted(a.pk for a in areas), "skills": skills},
        )
    forget_scopes(user)
    return profile


def _volunteer_roles_sync(user: User, areas: list[Region]) -> None:
    """Self-service: the volunteer role over each area, granted by the user themself.

    Only the user's self-granted volunteer roles are revoked when an area is dropped; this
    path never needs ``Perm.ROLE_ASSIGN`` because the volunteer role grants nothing but
    signing up for shifts.
    """
    wanted = {a.pk: a for a in areas}
    active = RoleAssignment.objects.active().filter(user=user, role=Role.VOLUNTEER)
    held = set(active.values_list("region_id", flat=True))
    for region_id, region in wanted.items():
        if region_id in held:
            continue
        assignment = RoleAssignment.objects.create(
            user=user, role=Role.VOLUNTEER, region=region, granted_by=user
        )
        audit.record(
            actor=user,
            verb="role.self_assign",
            target=assignment,
            region=region,
            data={"user": user.pk, "role": str(Role.VOLUNTEER)},
        )
    now = timezone.now()
    for assignment in active.filter(granted_by=user).exclude(region_id__in=wanted):
        assignment.revoked_at = now
        assignment.revoked_by = user
        assignment.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(
            actor=user,
            verb="role.self_revoke",
            target=assignment,
            region=assignment.region,
            data={"user": user.pk, "role": str(Role.VOLUNTEER)},
        )


# --- Shifts (station staff) --------------------------------------------------------------


@dataclass(frozen=True)
class ShiftSpec:
    title: str
    date: date
    starts: time
    ends: time
    place: str
    skill: str
    capacity: int
    listing_line: ListingLine | None = None


def _require_staff(actor: User, station: Station) -> None:
    if not has_perm(actor, Perm.DELIVERY_LOG, station.community):
        raise NotPermitted()


def shift_create(*, actor: User, station: Station, spec: ShiftSpec) -> Shift:
    """Offer a shift at *station*, for one of its listings' service lines or its own need.

    Raises:
        NotPermitted: *actor* is not station staff over the station's community.
        NotAServiceLine: the line is not a service line of a listing in that community.
    """
    _require_staff(actor, station)
    line = spec.listing_line
    if line is not None and (
        line.kind != LineKind.SERVICE or line.listing.community_id != station.community_id
    ):
        raise NotAServiceLine()
    with transaction.atomic():
        shift = Shift.objects.create(
            station=station,
            listing_line=line,
            title=spec.title.strip(),
            date=spec.date,
            starts=spec.starts,
            ends=spec.ends,
            place=spec.place.strip(),
            skill=spec.skill,
            capacity=spec.capacity,
            created_by=actor,
        )
        audit.record(
            actor=actor,
            verb="shift.create",
            target=shift,
            region=station.community,
            data={"capacity": spec.capacity, "listing_line": line.pk if line else None},
        )
    return shift


def _lock_shift(shift: Shift) -> Shift:
    return (
        Shift.objects.select_for_update(of=("self",))
        .select_related("station__community")
        .get(pk=shift.pk)
    )


def shift_cancel(*, actor: User, shift: Shift, reason: str = "") -> Shift:
    """Call a shift off; its volunteers' places are freed and they are told.

    Raises:
        NotPermitted, ShiftNotOpen.
    """
    _require_staff(actor, shift.station)
    with transaction.atomic():
        shift = _lock_shift(shift)
        if shift.status != ShiftStatus.OPEN:
            raise ShiftNotOpen()
        told = list(
            shift.signups.select_for_update()
            .filter(status=SignupStatus.SIGNED_UP)
            .values_list("pk", flat=True)
        )
        ShiftSignup.objects.filter(pk__in=told).update(
            status=SignupStatus.CANCELLED, cancelled_at=timezone.now()
        )
        shift.status = ShiftStatus.CANCELLED
        shift.taken = shift.signups.filter(status__in=HOLDING).count()
        shift.save(update_fields=["status", "taken"])
        audit.record(
            actor=actor,
            verb="shift.cancel",
            target=shift,
            region=shift.station.community,
            reason=reason,
            data={"volunteers_told": len(told)},
        )
        if told:
            from volunteers.tasks import shift_cancelled_notify

            shift_cancelled_notify.delay_on_commit(shift.pk, told)
    return shift


def shift_complete(*, actor: User, shift: Shift) -> Shift:
    """Close a shift after it took place: whoever never checked in is marked as not coming.

    Raises:
        NotPermitted, ShiftNotOpen.
    """
    _require_staff(actor, shift.station)
    with transaction.atomic():
        shift = _lock_shift(shift)
        if shift.status != ShiftStatus.OPEN:
            raise ShiftNotOpen()
        absent = shift.signups.filter(status=SignupStatus.SIGNED_UP).update(
            status=SignupStatus.NO_SHOW
        )
        shift.status = ShiftStatus.DONE
        shift.save(update_fields=["status"])
        audit.record(
            actor=actor,
            verb="shift.complete",
            target=shift,
            region=shift.station.community,
            data={"no_show": absent},
        )
    return shift


# --- Sign-up (volunteers) ----------------------------------------------------------------


def shift_signup(*, volunteer: User, shift: Shift, now: datetime | None = None) -> ShiftSignup:
    """Take a place on *shift*. Signing up again while signed up returns the same sign-up.

    The shift's row is locked, then status, start and capacity are re-checked and ``taken``
    is raised with ``F()``; the shift's CheckConstraint is the last line of defence.

    Raises:
        NotAVolunteer: no volunteer profile.
        NotPermitted: the shift lies outside the volunteer's areas.
        SkillMissing: the shift needs a skill the profile lacks.
        ShiftNotOpen, ShiftStarted, ShiftFull.
    """
    now = now or timezone.now()
    profile = VolunteerProfile.objects.filter(user=volunteer).first()
    if profile is None:
        raise NotAVolunteer()
    with transaction.atomic():
        shift = _lock_shift(shift)
        if not has_perm(volunteer, Perm.SHIFT_SIGNUP, shift.station.community):
            raise NotPermitted()
        existing = shift.signups.holding().filter(volunteer=volunteer).first()
        if existing is not None:
            return existing  # a repeated sign-up is a harmless no-op
        if shift.status != ShiftStatus.OPEN:
            raise ShiftNotOpen()
        if shift.starts_at <= now:
            raise ShiftStarted()
        if not profile.has_skill(shift.skill):
            raise SkillMissing()
        if shift.taken >= shift.capacity:
            raise ShiftFull()
        signup = ShiftSignup.objects.create(shift=shift, volunteer=volunteer, created_at=now)
        Shift.objects.filter(pk=shift.pk).update(taken=F("taken") + 1)
        audit.record(
            actor=volunteer,
            verb="shift.signup",
            target=signup,
            region=shift.station.community,
            data={"shift": shift.pk},
        )
    return signup


def signup_cancel(
    *, volunteer: User, signup: ShiftSignup, now: datetime | None = None
) -> ShiftSignup:
    """Give a place back, up to the shift's start. Cancelling twice is a no-op.

    Raises:
        NotPermitted: not the volunteer's own sign-up.
        ShiftStarted, SignupNotActive.
    """
    if signup.volunteer_id != volunteer.pk:
        raise NotPermitted()
    now = now or timezone.now()
    with transaction.atomic():
        shift = _lock_shift(signup.shift)
        signup = ShiftSignup.objects.select_for_update().get(pk=signup.pk)
        if signup.status == SignupStatus.CANCELLED:
            return signup
        if signup.status != SignupStatus.SIGNED_UP:
            raise SignupNotActive()
        if shift.starts_at <= now:
            raise ShiftStarted()
        signup.status = SignupStatus.CANCELLED
        signup.cancelled_at = now
        signup.save(update_fields=["status", "cancelled_at"])
        Shift.objects.filter(pk=shift.pk).update(taken=F("taken") - 1)
        audit.record(
            actor=volunteer,
            verb="shift.signup_cancel",
            target=signup,
            region=shift.station.community,
            data={"shift": shift.pk},
        )
    return signup


# --- Check-in, check-out and verified hours (station staff) ------------------------------


def _lock_for_staff(actor: User, signup: ShiftSignup) -> tuple[Shift, ShiftSignup]:
    _require_staff(actor, signup.shift.station)
    shift = _lock_shift(signup.shift)
    return shift, ShiftSignup.objects.select_for_update().get(pk=signup.pk)


def check_in(*, actor: User, signup: ShiftSignup, now: datetime | None = None) -> ShiftSignup:
    """The volunteer arrived.

    Raises:
        NotPermitted, ShiftNotOpen, SignupNotActive.
    """
    now = now or timezone.now()
    with transaction.atomic():
        shift, signup = _lock_for_staff(actor, signup)
        if shift.status != ShiftStatus.OPEN:
            raise ShiftNotOpen()
        if signup.status != SignupStatus.SIGNED_UP:
            raise SignupNotActive()
        signup.status = SignupStatus.CHECKED_IN
        signup.checked_in_at = now
        signup.checked_in_by = actor
        signup.save(update_fields=["status", "checked_in_at", "checked_in_by"])
        audit.record(
            actor=actor, verb="shift.check_in", target=signup, region=shift.station.community
        )
    return signup


def check_out(*, actor: User, signup: ShiftSignup, now: datetime | None = None) -> ShiftSignup:
    """The volunteer left.

    Raises:
        NotPermitted, SignupNotActive.
    """
    now = now or timezone.now()
    with transaction.atomic():
        shift, signup = _lock_for_staff(actor, signup)
        if signup.status != SignupStatus.CHECKED_IN or now <= signup.checked_in_at:
            raise SignupNotActive()
        signup.status = SignupStatus.CHECKED_OUT
        signup.checked_out_at = now
        signup.checked_out_by = actor
        signup.save(update_fields=["status", "checked_out_at", "checked_out_by"])
        audit.record(
            actor=actor, verb="shift.check_out", target=signup, region=shift.station.community
        )
    return signup


def hours_worked(signup: ShiftSignup) -> Decimal:
    """Check-in to check-out, rounded to the nearest quarter hour (0 before check-out)."""
    if signup.checked_in_at is None or signup.checked_out_at is None:
        return Decimal("0.00")
    seconds = Decimal((signup.checked_out_at - signup.checked_in_at).total_seconds())
    quarters = (seconds / Decimal(900)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return (quarters * QUARTER).quantize(Decimal("0.01"))


def hours_verify(
    *,
    actor: User,
    signup: ShiftSignup,
    hours: Decimal | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> ShiftSignup:
    """Station staff confirm the hours, which become the volunteer's record.

    *hours* defaults to :func:`hours_worked`; a different figure needs a *reason*. On a
    shift for a listing's service line, every active campaign paying an hour rate posts its
    match into the listing's escrow, in this transaction (``funds.hours_match_post`` posts
    nothing for a campaign that does not cover the listing).

    Raises:
        NotPermitted, SignupNotActive (not checked out), AlreadyVerified,
        HoursReasonNeeded, HoursOutOfRange.
    """
    now = now or timezone.now()
    reason = reason.strip()
    with transaction.atomic():
        shift, signup = _lock_for_staff(actor, signup)
        if signup.verified_at is not None:
            raise AlreadyVerified()
        if signup.status != SignupStatus.CHECKED_OUT:
            raise SignupNotActive()
        worked = hours_worked(signup)
        if hours is None:
            hours = worked
        hours = Decimal(hours).quantize(Decimal("0.01"))
        if not Decimal("0") < hours <= MAX_HOURS:
            raise HoursOutOfRange()
        if hours != worked and not reason:
            raise HoursReasonNeeded()
        signup.hours = hours
        signup.hours_reason = reason if hours != worked else ""
        signup.verified_by = actor
        signup.verified_at = now
        signup.save(update_fields=["hours", "hours_reason", "verified_by", "verified_at"])
        audit.record(
            actor=actor,
            verb="shift.hours_verify",
            target=signup,
            region=shift.station.community,
            reason=signup.hours_reason,
            data={"hours": str(hours), "worked": str(worked), "shift": shift.pk},
        )
        if shift.listing_line_id is not None:
            _hours_match(actor=actor, shift=shift, signup=signup, now=now)
    return signup


def _hours_match(*, actor: User, shift: Shift, signup: ShiftSignup, now: datetime) -> Decimal:
    listing = shift.listing_line.listing
    campaigns = Campaign.objects.filter(
        status=CampaignStatus.ACTIVE, hour_rate__isnull=False
    ).order_by("pk")
    total = Decimal("0.00")
    for campaign in campaigns:
        total += funds.hours_match_post(
            campaign=campaign,
            listing=listing,
            hours=signup.hours,
            reference=f"shift-signup-{signup.pk}",
            actor=actor,
            now=now,
        )
    return total
