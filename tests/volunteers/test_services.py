"""Volunteering's services: the self-service role, sign-up and its guards, cancellation,
check-in/out and verified hours."""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import sms
from accounts.errors import NotPermitted
from accounts.models import AuditEvent, RoleAssignment
from accounts.permissions import has_perm
from accounts.roles import Perm, Role
from tests.accounts.factories import OrganisationFactory
from tests.volunteers.conftest import in_days, make_shift, make_volunteer
from volunteers import services
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
from volunteers.models import Shift, ShiftSignup, ShiftStatus, SignupStatus, Skill

pytestmark = pytest.mark.django_db


def _taken_matches_rows(shift: Shift) -> None:
    shift.refresh_from_db()
    assert shift.taken == shift.signups.holding().count()


# --- Profile and the self-service role ------------------------------------------------------


def test_saving_a_profile_makes_the_user_a_volunteer_over_the_chosen_areas(city, make_user):
    user = make_user()
    assert not has_perm(user, Perm.SHIFT_SIGNUP, city.north_a)

    profile = services.profile_save(
        user=user, display_name=" 李四 ", skills=["tutoring", "bogus"], areas=[city.north]
    )

    assert (profile.display_name, profile.skills) == ("李四", ["tutoring"])
    assignment = RoleAssignment.objects.active().get(user=user)
    assert (assignment.role, assignment.region, assignment.granted_by) == (
        Role.VOLUNTEER,
        city.north,
        user,
    )
    assert has_perm(user, Perm.SHIFT_SIGNUP, city.north_a)
    assert not has_perm(user, Perm.SHIFT_SIGNUP, city.south_a)
    assert not has_perm(user, Perm.DELIVERY_LOG, city.north_a)
    assert AuditEvent.objects.filter(verb="role.self_assign", actor=user).count() == 1
    assert AuditEvent.objects.filter(verb="volunteer.profile_create").count() == 1


def test_changing_areas_moves_only_self_granted_roles(city, make_user, superuser):
    user = make_user(Role.VOLUNTEER, city.south_a)  # given by an administrator
    services.profile_save(user=user, display_name="甲", skills=[], areas=[city.north, city.south_a])
    services.profile_save(user=user, display_name="甲", skills=[], areas=[city.north_b])

    active = set(
        RoleAssignment.objects.active().filter(user=user).values_list("region__code", "granted_by")
    )
    assert active == {("dg-s-a", superuser.pk), ("dg-n-b", user.pk)}
    assert RoleAssignment.objects.filter(user=user, region=city.north).get().revoked_by == user


def test_a_city_is_not_an_area_and_an_area_is_needed(city, make_user):
    user = make_user()
    for areas in ([city.city], []):
        with pytest.raises(BadArea):
            services.profile_save(user=user, display_name="甲", skills=[], areas=areas)
    assert not RoleAssignment.objects.filter(user=user).exists()


def test_only_an_organisation_one_belongs_to(city, make_user):
    user = make_user()
    with pytest.raises(NotPermitted):
        services.profile_save(
            user=user,
            display_name="甲",
            skills=[],
            areas=[city.north],
            organisation=OrganisationFactory(region=city.north),
        )


# --- Shifts ---------------------------------------------------------------------------------


def test_only_the_stations_staff_offer_its_shifts(city, north_staff, south_staff):
    with pytest.raises(NotPermitted):
        make_shift(city.station_north, south_staff)
    shift = make_shift(city.station_north, north_staff, capacity=2)
    assert (shift.status, shift.taken, shift.capacity, shift.created_by) == (
        ShiftStatus.OPEN,
        0,
        2,
        north_staff,
    )
    assert AuditEvent.objects.filter(verb="shift.create").count() == 1


def test_a_shift_serves_only_a_service_line_of_its_community(city, north_staff, listing, make_user):
    service = listing.lines.get(kind="service")
    shift = make_shift(city.station_north, north_staff, listing_line=service)
    assert shift.listing_line == service
    with pytest.raises(NotAServiceLine):
        make_shift(city.station_north, north_staff, listing_line=listing.lines.get(kind="money"))
    south = make_user(Role.STATION_STAFF, city.south_a)
    with pytest.raises(NotAServiceLine):
        make_shift(city.station_south, south, listing_line=service)


def test_the_database_refuses_an_overfull_shift(shift):
    with pytest.raises(IntegrityError), transaction.atomic():
        Shift.objects.filter(pk=shift.pk).update(taken=shift.capacity + 1)


def test_the_database_refuses_two_active_signups_of_one_person(shift, volunteer):
    services.shift_signup(volunteer=volunteer, shift=shift)
    with pytest.raises(IntegrityError), transaction.atomic():
        ShiftSignup.objects.create(shift=shift, volunteer=volunteer)


# --- Sign-up ----------------------------------------------------------------------------


def test_signing_up_takes_a_place_and_again_is_a_no_op(shift, volunteer):
    first = services.shift_signup(volunteer=volunteer, shift=shift)
    again = services.shift_signup(volunteer=volunteer, shift=shift)
    assert again.pk == first.pk
    assert first.status == SignupStatus.SIGNED_UP
    shift.refresh_from_db()
    assert shift.taken == 1
    assert AuditEvent.objects.filter(verb="shift.signup").count() == 1


def test_a_full_shift_refuses(city, make_user, north_staff):
    shift = make_shift(city.station_north, north_staff, capacity=2)
    people = [make_volunteer(make_user, [city.north_a]) for _ in range(3)]
    services.shift_signup(volunteer=people[0], shift=shift)
    services.shift_signup(volunteer=people[1], shift=shift)
    with pytest.raises(ShiftFull):
        services.shift_signup(volunteer=people[2], shift=shift)
    _taken_matches_rows(shift)
    assert shift.taken == 2


def test_cancelling_frees_the_place(city, make_user, north_staff):
    shift = make_shift(city.station_north, north_staff, capacity=1)
    first, second = (make_volunteer(make_user, [city.north_a]) for _ in range(2))
    signup = services.shift_signup(volunteer=first, shift=shift)
    with pytest.raises(ShiftFull):
        services.shift_signup(volunteer=second, shift=shift)

    cancelled = services.signup_cancel(volunteer=first, signup=signup)
    assert cancelled.status == SignupStatus.CANCELLED and cancelled.cancelled_at
    assert services.signup_cancel(volunteer=first, signup=signup).status == SignupStatus.CANCELLED
    services.shift_signup(volunteer=second, shift=shift)
    _taken_matches_rows(shift)
    assert shift.taken == 1
    # The first may come back once a place is free again: a new sign-up row.
    services.signup_cancel(volunteer=second, signup=shift.signups.get(volunteer=second))
    again = services.shift_signup(volunteer=first, shift=shift)
    assert again.pk != signup.pk
    _taken_matches_rows(shift)


def test_nobody_cancels_someone_elses_place(shift, volunteer, city, make_user):
    signup = services.shift_signup(volunteer=volunteer, shift=shift)
    other = make_volunteer(make_user, [city.north])
    with pytest.raises(NotPermitted):
        services.signup_cancel(volunteer=other, signup=signup)


def test_no_cancelling_after_the_start(shift, volunteer):
    signup = services.shift_signup(volunteer=volunteer, shift=shift)
    with pytest.raises(ShiftStarted):
        services.signup_cancel(
            volunteer=volunteer, signup=signup, now=shift.starts_at + timedelta(minutes=1)
        )
    _taken_matches_rows(shift)
    assert shift.taken == 1


def test_no_signing_up_to_a_past_or_cancelled_shift(city, north_staff, volunteer):
    past = make_shift(city.station_north, north_staff, date=in_days(-1))
    with pytest.raises(ShiftStarted):
        services.shift_signup(volunteer=volunteer, shift=past)
    started = make_shift(city.station_north, north_staff, date=in_days(0), starts=time(0, 0))
    with pytest.raises(ShiftStarted):
        services.shift_signup(volunteer=volunteer, shift=started)
    doomed = make_shift(city.station_north, north_staff)
    services.shift_cancel(actor=north_staff, shift=doomed, reason="下雨")
    with pytest.raises(ShiftNotOpen):
        services.shift_signup(volunteer=volunteer, shift=doomed)
    assert not ShiftSignup.objects.exists()


def test_a_skilled_shift_needs_the_skill(city, north_staff, volunteer, make_user):
    tutoring = make_shift(city.station_north, north_staff, skill=Skill.TUTORING)
    with pytest.raises(SkillMissing):
        services.shift_signup(volunteer=volunteer, shift=tutoring)
    escort = make_shift(city.station_north, north_staff, skill=Skill.ESCORT)
    assert services.shift_signup(volunteer=volunteer, shift=escort).pk


def test_only_a_volunteer_in_the_area_signs_up(city, make_user, south_staff, shift):
    with pytest.raises(NotAVolunteer):
        services.shift_signup(volunteer=make_user(), shift=shift)
    southerner = make_volunteer(make_user, [city.south])
    with pytest.raises(NotPermitted):
        services.shift_signup(volunteer=southerner, shift=shift)


def test_cancelling_a_shift_frees_places_and_tells_the_volunteers(
    city, make_user, north_staff, django_capture_on_commit_callbacks, mailoutbox
):
    shift = make_shift(city.station_north, north_staff)
    by_mail = make_volunteer(make_user, [city.north], email="mail@example.org")
    by_sms = make_user(email="sms@example.org")
    services.profile_save(
        user=by_sms, display_name="短信", skills=[], areas=[city.north], phone="+8613800138000"
    )
    for person in (by_mail, by_sms):
        services.shift_signup(volunteer=person, shift=shift)

    with django_capture_on_commit_callbacks(execute=True):
        services.shift_cancel(actor=north_staff, shift=shift, reason="场地维修")

    shift.refresh_from_db()
    assert (shift.status, shift.taken) == (ShiftStatus.CANCELLED, 0)
    assert set(shift.signups.values_list("status", flat=True)) == {SignupStatus.CANCELLED}
    assert [m.to for m in mailoutbox] == [["mail@example.org"]]
    assert shift.title in mailoutbox[0].body
    assert [m.to for m in sms.outbox] == ["+8613800138000"]
    assert AuditEvent.objects.get(verb="shift.cancel").reason == "场地维修"
    with pytest.raises(ShiftNotOpen):
        services.shift_cancel(actor=north_staff, shift=shift)


def test_station_b_cannot_cancel_station_as_shift(shift, south_staff):
    with pytest.raises(NotPermitted):
        services.shift_cancel(actor=south_staff, shift=shift)
    shift.refresh_from_db()
    assert shift.status == ShiftStatus.OPEN


# --- Check-in, check-out and verified hours -------------------------------------------


def _worked(shift, volunteer, staff, minutes):
    signup = services.shift_signup(volunteer=volunteer, shift=shift)
    start = shift.starts_at
    services.check_in(actor=staff, signup=signup, now=start)
    return services.check_out(actor=staff, signup=signup, now=start + timedelta(minutes=minutes))


@pytest.mark.parametrize(
    ("minutes", "hours"),
    [(170, "2.75"), (172, "2.75"), (173, "3.00"), (180, "3.00"), (7, "0.00"), (8, "0.25")],
)
def test_hours_are_the_times_rounded_to_a_quarter(shift, volunteer, north_staff, minutes, hours):
    signup = _worked(shift, volunteer, north_staff, minutes)
    assert services.hours_worked(signup) == Decimal(hours)


def test_verified_hours_become_the_record(shift, volunteer, north_staff):
    signup = _worked(shift, volunteer, north_staff, 182)
    assert (signup.status, signup.checked_in_by, signup.checked_out_by) == (
        SignupStatus.CHECKED_OUT,
        north_staff,
        north_staff,
    )

    verified = services.hours_verify(actor=north_staff, signup=signup)

    assert (verified.hours, verified.verified_by, verified.hours_reason) == (
        Decimal("3.00"),
        north_staff,
        "",
    )
    assert list(ShiftSignup.objects.verified().filter(volunteer=volunteer)) == [signup]
    event = AuditEvent.objects.get(verb="shift.hours_verify")
    assert event.data["hours"] == "3.00" and "王小明" not in str(event.data)
    with pytest.raises(AlreadyVerified):
        services.hours_verify(actor=north_staff, signup=signup)


def test_a_correction_needs_a_reason(shift, volunteer, north_staff):
    signup = _worked(shift, volunteer, north_staff, 60)
    with pytest.raises(HoursReasonNeeded):
        services.hours_verify(actor=north_staff, signup=signup, hours=Decimal("2"))
    with pytest.raises(HoursOutOfRange):
        services.hours_verify(actor=north_staff, signup=signup, hours=Decimal("25"), reason="x")
    verified = services.hours_verify(
        actor=north_staff, signup=signup, hours=Decimal("2"), reason="忘记签到"
    )
    assert (verified.hours, verified.hours_reason) == (Decimal("2.00"), "忘记签到")
    assert AuditEvent.objects.get(verb="shift.hours_verify").reason == "忘记签到"


def test_zero_hours_by_the_times_need_a_correction(shift, volunteer, north_staff):
    signup = _worked(shift, volunteer, north_staff, 5)
    with pytest.raises(HoursOutOfRange):
        services.hours_verify(actor=north_staff, signup=signup)
    signup.refresh_from_db()
    assert signup.verified_at is None


def test_the_order_of_steps_is_kept(shift, volunteer, north_staff):
    signup = services.shift_signup(volunteer=volunteer, shift=shift)
    with pytest.raises(SignupNotActive):
        services.check_out(actor=north_staff, signup=signup)
    with pytest.raises(SignupNotActive):
        services.hours_verify(actor=north_staff, signup=signup, hours=Decimal("1"), reason="x")
    services.check_in(actor=north_staff, signup=signup)
    with pytest.raises(SignupNotActive):
        services.check_in(actor=north_staff, signup=signup)
    with pytest.raises(SignupNotActive):
        services.signup_cancel(volunteer=volunteer, signup=signup)


def test_other_stations_staff_cannot_check_in_or_verify(shift, volunteer, north_staff, south_staff):
    signup = services.shift_signup(volunteer=volunteer, shift=shift)
    with pytest.raises(NotPermitted):
        services.check_in(actor=south_staff, signup=signup)
    signup = _worked_after(signup, north_staff)
    with pytest.raises(NotPermitted):
        services.hours_verify(actor=south_staff, signup=signup)
    signup.refresh_from_db()
    assert signup.verified_at is None


def _worked_after(signup, staff):
    start = timezone.now()
    services.check_in(actor=staff, signup=signup, now=start)
    return services.check_out(actor=staff, signup=signup, now=start + timedelta(hours=1))


def test_closing_a_shift_marks_who_never_came(city, make_user, north_staff):
    shift = make_shift(city.station_north, north_staff)
    came, absent = (make_volunteer(make_user, [city.north]) for _ in range(2))
    here = services.shift_signup(volunteer=came, shift=shift)
    services.shift_signup(volunteer=absent, shift=shift)
    _worked_after(here, north_staff)

    services.shift_complete(actor=north_staff, shift=shift)

    statuses = dict(shift.signups.values_list("volunteer", "status"))
    assert statuses == {came.pk: SignupStatus.CHECKED_OUT, absent.pk: SignupStatus.NO_SHOW}
    shift.refresh_from_db()
    assert (shift.status, shift.taken) == (ShiftStatus.DONE, 2)
    with pytest.raises(ShiftNotOpen):
        services.check_in(actor=north_staff, signup=shift.signups.get(volunteer=absent))
    # Hours of who came can still be verified after closing.
    assert services.hours_verify(actor=north_staff, signup=here).hours == Decimal("1.00")
