"""The demo city, the admin's audited role pages, sign-up, and the beat schedule."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.management.commands.seed_demo import DEMO_PASSWORD, PEOPLE
from accounts.models import AuditEvent, Organisation, Region, RoleAssignment, Station, User
from accounts.roles import Role
from projects.demo import NEIGHBOURS


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_complete():
    out = StringIO()
    call_command("seed_demo", "--force", stdout=out)
    counts = (
        Region.objects.count(),
        Station.objects.count(),
        Organisation.objects.count(),
        User.objects.count(),
    )
    events = AuditEvent.objects.count()
    call_command("seed_demo", "--force", "--quiet-logins", stdout=StringIO())
    # The logins printed, plus the four neighbours on the Shenghe council (not printed).
    assert counts == (17, 8, 6, len(PEOPLE) + len(NEIGHBOURS))
    assert (
        Region.objects.count(),
        Station.objects.count(),
        Organisation.objects.count(),
        User.objects.count(),
    ) == counts
    assert AuditEvent.objects.count() == events  # nothing happened the second time
    assert Region.objects.towns().count() == 4 and Region.objects.communities().count() == 12
    # One login per role, printed.
    held = set(RoleAssignment.objects.active().values_list("role", flat=True))
    assert held == set(Role.values)
    text = out.getvalue()
    assert DEMO_PASSWORD in text
    for email, *_ in PEOPLE:
        assert email in text


@pytest.mark.django_db
def test_seed_demo_refuses_without_debug():
    assert settings.DEBUG is False
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=StringIO())


@pytest.mark.django_db
def test_every_demo_login_works(client):
    call_command("seed_demo", "--force", "--quiet-logins", stdout=StringIO())
    for email, *_ in PEOPLE:
        response = client.post(
            reverse("account_login"), {"login": email, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, email
        assert client.get(reverse("accounts:dashboard")).status_code == 200, email
        client.logout()


@pytest.mark.django_db
def test_signup_requires_verification_and_grants_nothing(client, mailoutbox, english):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "Newcomer@Example.org",
            "password1": "a long good passphrase",
            "password2": "a long good passphrase",
            "display_name": "新邻居",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email__iexact="newcomer@example.org")
    assert user.display_name == "新邻居" and user.preferred_language == "en"
    assert not user.is_staff and not user.is_superuser and not user.role_assignments.exists()
    assert len(mailoutbox) == 1 and "confirm" in mailoutbox[0].body.lower()
    # Not verified yet: cannot sign in.
    client.logout()
    client.post(
        reverse("account_login"),
        {"login": "newcomer@example.org", "password": "a long good passphrase"},
    )
    assert client.get(reverse("accounts:dashboard")).status_code == 302


@pytest.mark.django_db
def test_admin_role_assignment_goes_through_the_audited_service(client, city, superuser, make_user):
    worker = make_user()
    client.force_login(superuser)
    response = client.post(
        "/admin/accounts/roleassignment/add/",
        {"user": worker.pk, "role": Role.STATION_STAFF, "region": city.north_a.pk},
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=worker)
    assert assignment.granted_by == superuser
    assert AuditEvent.objects.filter(
        verb="role.assign", target_id=str(assignment.pk), actor=superuser
    ).exists()
    # A duplicate is answered by the form, not a crash.
    again = client.post(
        "/admin/accounts/roleassignment/add/",
        {"user": worker.pk, "role": Role.STATION_STAFF, "region": city.north_a.pk},
    )
    assert again.status_code == 200 and RoleAssignment.objects.filter(user=worker).count() == 1
    # Revoking keeps the row.
    client.post(
        "/admin/accounts/roleassignment/",
        {"action": "revoke_selected", "_selected_action": [assignment.pk]},
    )
    assignment.refresh_from_db()
    assert assignment.revoked_at is not None
    assert AuditEvent.objects.filter(verb="role.revoke").exists()


@pytest.mark.django_db
def test_audit_events_are_read_only_in_the_admin(client, superuser):
    from accounts import audit

    event = audit.record(actor=superuser, verb="test.event")
    client.force_login(superuser)
    assert client.get("/admin/accounts/auditevent/").status_code == 200
    assert (
        client.get(f"/admin/accounts/auditevent/{event.pk}/change/").status_code == 200
    )  # view only
    assert client.get(f"/admin/accounts/auditevent/{event.pk}/delete/").status_code == 403
    assert client.get("/admin/accounts/auditevent/add/").status_code == 403


@pytest.mark.django_db
def test_beat_schedule_names_registered_tasks():
    from config.celery import app

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


@pytest.mark.django_db
def test_failed_logins_are_rate_limited(client, make_user, settings, english):
    from django.core.cache import cache

    from config.settings import base

    settings.ACCOUNT_RATE_LIMITS = (
        base.ACCOUNT_RATE_LIMITS
    )  # the real limits, off elsewhere in tests
    cache.clear()
    user = make_user()
    url = reverse("account_login")
    for _ in range(5):
        response = client.post(url, {"login": user.email, "password": "wrong"})
        assert "Too many failed login attempts" not in response.text
    response = client.post(url, {"login": user.email, "password": "wrong"})
    assert response.status_code in (200, 429)
    assert "Too many failed login attempts" in response.text
    # Even the right password waits now.
    response = client.post(url, {"login": user.email, "password": "correct horse battery staple"})
    assert client.get(reverse("accounts:dashboard")).status_code == 302
    cache.clear()
