"""Services: guarded, audited, idempotent where repeated."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts import services
from accounts.errors import InvalidTransition, NotPermitted
from accounts.exceptions import (
    AlreadyMember,
    InvitationForSomeoneElse,
    InvitationNotOpen,
    InvitationPending,
    LastAdmin,
    RoleAlreadyHeld,
)
from accounts.models import (
    AuditEvent,
    CalendarOverride,
    Invitation,
    InvitationStatus,
    Membership,
    RoleAssignment,
)
from accounts.roles import Role

# --- Roles ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_city_admin_assigns_a_role_in_the_city_and_it_is_audited(city, make_user):
    admin = make_user(Role.CITY_ADMIN, city.city)
    worker = make_user()
    assignment = services.role_assign(
        actor=admin, user=worker, role=Role.STATION_STAFF, region=city.north_a, reason="new hire"
    )
    event = AuditEvent.objects.get(verb="role.assign", target_id=str(assignment.pk))
    assert event.actor == admin and event.region == city.north_a and event.reason == "new hire"
    assert assignment.granted_by == admin


@pytest.mark.django_db
def test_role_assign_is_refused_outside_the_actors_scope(city, make_user):
    reviewer = make_user(Role.TOWN_REVIEWER, city.north)  # may not assign roles at all
    admin_north = make_user(Role.CITY_ADMIN, city.north)  # an admin over one town only
    worker = make_user()
    with pytest.raises(NotPermitted):
        services.role_assign(actor=reviewer, user=worker, role=Role.VOLUNTEER, region=city.north_a)
    with pytest.raises(NotPermitted):
        services.role_assign(
            actor=admin_north, user=worker, role=Role.VOLUNTEER, region=city.south_a
        )
    with pytest.raises(NotPermitted):
        services.role_assign(actor=worker, user=worker, role=Role.CITY_ADMIN, region=city.city)
    assert not RoleAssignment.objects.filter(user=worker).exists()


@pytest.mark.django_db
def test_same_role_twice_is_refused_with_a_message(city, make_user, superuser):
    worker = make_user(Role.VOLUNTEER, city.north)
    with pytest.raises(RoleAlreadyHeld):
        services.role_assign(actor=superuser, user=worker, role=Role.VOLUNTEER, region=city.north)


@pytest.mark.django_db
def test_revoke_keeps_the_row_and_is_idempotent(city, make_user, superuser):
    worker = make_user(Role.VOLUNTEER, city.north)
    assignment = worker.role_assignments.get()
    services.role_revoke(actor=superuser, assignment=assignment, reason="left")
    services.role_revoke(actor=superuser, assignment=assignment, reason="left again")
    assignment.refresh_from_db()
    assert assignment.revoked_at is not None and assignment.revoked_by == superuser
    assert AuditEvent.objects.filter(verb="role.revoke").count() == 1
    # The role can be given again afterwards.
    services.role_assign(actor=superuser, user=worker, role=Role.VOLUNTEER, region=city.north)


# --- Organisations and invitations ------------------------------------------------------


@pytest.mark.django_db
def test_invite_sends_mail_in_the_invitees_language(
    organisation, org_admin, make_user, mailoutbox, django_capture_on_commit_callbacks
):
    make_user(email="english@example.org", preferred_language="en")
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.organisation_invite(
            actor=org_admin, organisation=organisation, email=" English@Example.org "
        )
    assert invitation.email == "english@example.org"
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["english@example.org"]
    assert "invited you" in mail.body and invitation.token in mail.body
    assert AuditEvent.objects.filter(
        verb="invitation.create", target_id=str(invitation.pk)
    ).exists()


@pytest.mark.django_db
def test_invitation_mail_defaults_to_chinese(
    organisation, org_admin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.organisation_invite(
            actor=org_admin, organisation=organisation, email="stranger@example.org"
        )
    assert "邀请" in mailoutbox[0].subject


@pytest.mark.django_db
def test_only_an_admin_member_may_invite(organisation, make_user):
    member = make_user()
    Membership.objects.create(organisation=organisation, user=member, is_admin=False)
    with pytest.raises(NotPermitted):
        services.organisation_invite(actor=member, organisation=organisation, email="x@example.org")
    with pytest.raises(NotPermitted):
        services.organisation_invite(
            actor=make_user(), organisation=organisation, email="x@example.org"
        )


@pytest.mark.django_db
def test_no_second_open_invitation_and_no_invitation_for_a_member(
    organisation, org_admin, invitation
):
    with pytest.raises(InvitationPending):
        services.organisation_invite(
            actor=org_admin, organisation=organisation, email="new@example.org"
        )
    with pytest.raises(AlreadyMember):
        services.organisation_invite(
            actor=org_admin, organisation=organisation, email=org_admin.email
        )


@pytest.mark.django_db
def test_an_expired_invitation_can_be_replaced(organisation, org_admin, invitation):
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    fresh = services.organisation_invite(
        actor=org_admin, organisation=organisation, email="new@example.org"
    )
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.EXPIRED and fresh.is_open


@pytest.mark.django_db
def test_accept_makes_a_member_once(invitation, make_user):
    invitee = make_user(email="new@example.org")
    membership = services.invitation_accept(user=invitee, token=invitation.token)
    again = services.invitation_accept(user=invitee, token=invitation.token)  # a double click
    assert membership == again and not membership.is_admin
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED and invitation.accepted_by == invitee
    assert AuditEvent.objects.filter(verb="invitation.accepted").count() == 1


@pytest.mark.django_db
def test_accept_refuses_someone_else_expired_and_unknown(invitation, make_user):
    with pytest.raises(InvitationForSomeoneElse):
        services.invitation_accept(user=make_user(), token=invitation.token)
    with pytest.raises(InvitationNotOpen):
        services.invitation_accept(user=make_user(), token="no-such-token")
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(InvitationNotOpen):
        services.invitation_accept(user=make_user(email="new@example.org"), token=invitation.token)


@pytest.mark.django_db
def test_revoke_then_accept_is_refused(invitation, org_admin, make_user):
    services.invitation_revoke(actor=org_admin, invitation=invitation, reason="wrong person")
    services.invitation_revoke(actor=org_admin, invitation=invitation)  # harmless repeat
    with pytest.raises(InvitationNotOpen):
        services.invitation_accept(user=make_user(email="new@example.org"), token=invitation.token)


@pytest.mark.django_db
def test_revoke_of_an_accepted_invitation_is_an_invalid_transition(
    invitation, org_admin, make_user
):
    services.invitation_accept(user=make_user(email="new@example.org"), token=invitation.token)
    with pytest.raises(InvalidTransition):
        services.invitation_revoke(actor=org_admin, invitation=invitation)


@pytest.mark.django_db
def test_expiry_job_marks_only_lapsed_invitations(organisation, org_admin, invitation):
    other = services.organisation_invite(
        actor=org_admin, organisation=organisation, email="later@example.org"
    )
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(hours=1)
    )
    assert services.invitations_expire() == 1
    assert services.invitations_expire() == 0  # idempotent
    invitation.refresh_from_db()
    other.refresh_from_db()
    assert (
        invitation.status == InvitationStatus.EXPIRED and other.status == InvitationStatus.PENDING
    )
    # Reads never waited for the job: open() already excluded the lapsed one.
    assert list(Invitation.objects.open()) == [other]


# --- Profile and calendar ---------------------------------------------------------------


@pytest.mark.django_db
def test_profile_update_is_audited(make_user):
    user = make_user()
    services.profile_update(
        user=user, display_name="  王阿姨 ", phone="+8613800138000", preferred_language="en"
    )
    user.refresh_from_db()
    assert user.display_name == "王阿姨" and user.preferred_language == "en"
    assert AuditEvent.objects.filter(verb="profile.update", actor=user).exists()


@pytest.mark.django_db
def test_only_city_admins_correct_the_calendar(city, make_user):
    admin = make_user(Role.CITY_ADMIN, city.city)
    reviewer = make_user(Role.TOWN_REVIEWER, city.north)
    with pytest.raises(NotPermitted):
        services.calendar_override_set(actor=reviewer, day=date(2027, 2, 6), is_working_day=True)
    services.calendar_override_set(
        actor=admin, day=date(2027, 2, 6), is_working_day=True, note="春节调休"
    )
    services.calendar_override_set(
        actor=admin, day=date(2027, 2, 6), is_working_day=False, note="更正"
    )
    assert CalendarOverride.objects.get(date=date(2027, 2, 6)).is_working_day is False
    assert AuditEvent.objects.filter(verb="calendar.override").count() == 2


# --- Membership -------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_removes_a_member_and_a_member_may_leave(organisation, org_admin, make_user):
    alice, bob = make_user(), make_user()
    alice_m = Membership.objects.create(organisation=organisation, user=alice)
    bob_m = Membership.objects.create(organisation=organisation, user=bob)
    with pytest.raises(NotPermitted):
        services.membership_remove(actor=alice, membership=bob_m)  # members cannot remove others
    services.membership_remove(actor=org_admin, membership=bob_m, reason="left the company")
    services.membership_remove(actor=alice, membership=alice_m)
    services.membership_remove(actor=alice, membership=alice_m)  # repeated: no-op
    assert list(organisation.memberships.values_list("user", flat=True)) == [org_admin.pk]
    assert AuditEvent.objects.filter(verb="membership.remove").count() == 1
    assert AuditEvent.objects.filter(verb="membership.leave").count() == 1


@pytest.mark.django_db
def test_the_last_administrator_cannot_leave_or_step_down(organisation, org_admin, make_user):
    admin_m = organisation.memberships.get(user=org_admin)
    with pytest.raises(LastAdmin):
        services.membership_remove(actor=org_admin, membership=admin_m)
    with pytest.raises(LastAdmin):
        services.membership_set_admin(actor=org_admin, membership=admin_m, is_admin=False)
    # With a second administrator, the first may step down.
    deputy = make_user()
    deputy_m = Membership.objects.create(organisation=organisation, user=deputy)
    services.membership_set_admin(actor=org_admin, membership=deputy_m, is_admin=True)
    services.membership_set_admin(actor=deputy, membership=admin_m, is_admin=False)
    admin_m.refresh_from_db()
    assert not admin_m.is_admin
    with pytest.raises(NotPermitted):
        services.membership_set_admin(actor=org_admin, membership=deputy_m, is_admin=False)


@pytest.mark.django_db
def test_an_administrator_cannot_revoke_their_own_role(city, make_user):
    from accounts.exceptions import OwnRole

    admin = make_user(Role.CITY_ADMIN, city.city)
    with pytest.raises(OwnRole):
        services.role_revoke(actor=admin, assignment=admin.role_assignments.get())
    other = make_user(Role.CITY_ADMIN, city.city)
    services.role_revoke(actor=other, assignment=admin.role_assignments.get(), reason="retired")
