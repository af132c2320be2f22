"""Database rules: the tree's shape, unique roles, append-only audit."""

import pytest
from django.db import IntegrityError, connection, transaction

from accounts import audit, services
from accounts.exceptions import InvalidRegionParent
from accounts.models import AppendOnlyError, AuditEvent, Region, RegionLevel, RoleAssignment
from accounts.roles import Role


@pytest.mark.django_db
def test_region_paths_follow_the_tree(city):
    assert city.city.path == "/dg/"
    assert city.north_a.path == "/dg/dg-n/dg-n-a/"
    assert city.north.contains(city.north_a) and not city.north.contains(city.south_a)
    assert city.north_a.depth == 3
    assert set(Region.objects.within(city.north.path)) == {city.north, city.north_a, city.north_b}


@pytest.mark.django_db
def test_region_levels_must_nest(city):
    with pytest.raises(InvalidRegionParent):
        services.region_create(
            actor=None, name="x", code="x1", level=RegionLevel.COMMUNITY, parent=city.city
        )
    with pytest.raises(InvalidRegionParent):
        services.region_create(actor=None, name="x", code="x2", level=RegionLevel.TOWN, parent=None)


@pytest.mark.django_db
def test_database_refuses_a_town_without_parent():
    with pytest.raises(IntegrityError), transaction.atomic():
        Region.objects.create(name="x", code="x", level=RegionLevel.TOWN, path="/x/")


@pytest.mark.django_db
def test_one_active_assignment_per_user_role_region(city, make_user):
    user = make_user(Role.VOLUNTEER, city.north)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.VOLUNTEER, region=city.north)


@pytest.mark.django_db
def test_audit_event_cannot_be_changed_or_deleted_through_the_orm(superuser):
    event = audit.record(actor=superuser, verb="test.event", target=superuser, reason="because")
    event.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).reason == "because"


@pytest.mark.django_db
def test_postgres_trigger_refuses_raw_update_and_delete(superuser):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only; CI runs this there")
    event = audit.record(actor=superuser, verb="test.event")
    for sql in (
        "UPDATE accounts_auditevent SET reason = 'x' WHERE id = %s",
        "DELETE FROM accounts_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(Exception, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, reason="").exists()


@pytest.mark.django_db
def test_audit_records_actor_label_target_and_ip(superuser, client):
    token = audit.current_ip.set("10.1.2.3")
    try:
        event = audit.record(actor=superuser, verb="test.event", target=superuser, data={"k": 1})
    finally:
        audit.current_ip.reset(token)
    assert event.actor_label == superuser.email
    assert event.ip == "10.1.2.3"
    assert event.target_label == str(superuser)
    assert AuditEvent.objects.for_object(superuser).get() == event
    system = audit.record(actor=None, verb="test.system")
    assert system.actor is None and system.actor_label == "system"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "1.1.1.1", "10.0.0.9"),  # no proxy: the header is the client's word, ignored
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # one nginx: its entry, not the spoofed one
        (2, "203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (1, "", "10.0.0.9"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(settings, rf, proxies, forwarded, expected):
    from accounts.middleware import client_ip

    settings.TRUSTED_PROXIES = proxies
    request = rf.get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


@pytest.mark.django_db
def test_a_request_records_its_address_in_the_audit_trail(client, make_user):
    user = make_user()
    client.force_login(user)
    client.post(
        "/en/me/profile/",
        {"display_name": "x", "phone": "", "preferred_language": "en"},
        REMOTE_ADDR="198.51.100.4",
    )
    assert AuditEvent.objects.get(verb="profile.update").ip == "198.51.100.4"
