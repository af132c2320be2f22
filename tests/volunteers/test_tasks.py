"""Reminders a day before a shift: once, by SMS to the profile's phone or else by email."""

from datetime import time, timedelta

import pytest

from accounts import sms
from tests.volunteers.conftest import in_days, make_shift, make_volunteer
from volunteers import services
from volunteers.tasks import shift_reminders_send

pytestmark = pytest.mark.django_db


def test_the_reminder_is_sent_once_within_a_day_before(
    city, make_user, north_staff, volunteer, mailoutbox
):
    soon = make_shift(city.station_north, north_staff, title="明天的班", date=in_days(1))
    later = make_shift(city.station_north, north_staff, title="后天的班", date=in_days(3))
    texted = make_user(email="texted@example.org")
    services.profile_save(
        user=texted, display_name="短信", skills=[], areas=[city.north], phone="+8613900139000"
    )
    for person in (volunteer, texted):
        services.shift_signup(volunteer=person, shift=soon)
        services.shift_signup(volunteer=person, shift=later)
    cancelled = make_volunteer(make_user, [city.north])
    services.signup_cancel(
        volunteer=cancelled, signup=services.shift_signup(volunteer=cancelled, shift=soon)
    )
    now = soon.starts_at - timedelta(hours=23)

    assert shift_reminders_send(now=now) == 2
    assert shift_reminders_send(now=now + timedelta(hours=1)) == 0

    assert [m.to for m in mailoutbox] == [["wang@example.org"]]
    assert "明天的班" in mailoutbox[0].body and "明天的班" in mailoutbox[0].subject
    assert [m.to for m in sms.outbox] == ["+8613900139000"]
    assert "明天的班" in sms.outbox[0].body
    assert set(soon.signups.holding().values_list("reminded_at", flat=True)) == {now}
    assert set(later.signups.values_list("reminded_at", flat=True)) == {None}


def test_no_reminder_for_a_started_or_cancelled_shift(city, north_staff, volunteer, mailoutbox):
    today = make_shift(city.station_north, north_staff, date=in_days(1), starts=time(8, 0))
    services.shift_signup(volunteer=volunteer, shift=today)
    services.shift_cancel(actor=north_staff, shift=today)
    assert shift_reminders_send(now=today.starts_at - timedelta(hours=2)) == 0
    started = make_shift(city.station_north, north_staff, date=in_days(1), starts=time(8, 0))
    services.shift_signup(volunteer=volunteer, shift=started)
    assert shift_reminders_send(now=started.starts_at + timedelta(minutes=5)) == 0
    assert mailoutbox == []


def test_the_reminder_reads_in_the_volunteers_language(city, make_user, north_staff, mailoutbox):
    english = make_volunteer(
        make_user, [city.north], email="en@example.org", preferred_language="en"
    )
    shift = make_shift(city.station_north, north_staff, title="Walk", date=in_days(1))
    services.shift_signup(volunteer=english, shift=shift)
    assert shift_reminders_send(now=shift.starts_at - timedelta(hours=3)) == 1
    assert mailoutbox[0].subject.startswith("Reminder: volunteer shift")
