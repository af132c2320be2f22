"""Volunteering's pages: the volunteer's side and the station's, in both languages, with
scoping (another station's shift is a 404), the certificate and the employers' CSV."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Membership, RoleAssignment
from accounts.roles import Role
from tests.accounts.factories import OrganisationFactory
from tests.volunteers.conftest import in_days, make_shift, make_volunteer
from tests.volunteers.helpers import verified
from volunteers import services
from volunteers.models import Shift, ShiftSignup, ShiftStatus, SignupStatus, Skill

pytestmark = pytest.mark.django_db


# --- The volunteer's side -----------------------------------------------------------------


def test_becoming_a_volunteer_on_the_profile_page(client, city, make_user, english):
    user = make_user()
    client.force_login(user)
    url = reverse("volunteers:profile")
    assert "Become a volunteer" in client.get(url).text

    response = client.post(
        url,
        {
            "display_name": "赵六",
            "skills": ["repair", "cleaning"],
            "areas": [city.north_a.pk],
            "availability": "周末上午",
            "weekends": "on",
            "phone": "13800138000",
        },
    )

    assert response.status_code == 302 and response["Location"] == reverse("volunteers:shifts")
    profile = user.volunteer_profile
    assert (profile.display_name, profile.skills, profile.weekends, profile.weekdays) == (
        "赵六",
        ["repair", "cleaning"],
        True,
        False,
    )
    assert str(profile.phone) == "+8613800138000"
    assert RoleAssignment.objects.active().get(user=user).role == Role.VOLUNTEER
    page = client.get(url).text
    assert "Your volunteer profile" in page and "周末上午" in page


def test_a_bad_profile_keeps_the_input(client, city, make_user):
    client.force_login(make_user())
    response = client.post(reverse("volunteers:profile"), {"display_name": "赵六", "areas": []})
    assert response.status_code == 400
    assert 'value="赵六"' in response.text
    assert (
        not RoleAssignment.objects.exists()
        or not RoleAssignment.objects.filter(role=Role.VOLUNTEER).exists()
    )


def test_only_ones_own_organisations_are_offered(client, city, make_user):
    user = make_user()
    mine = OrganisationFactory(region=city.north, name="我的公司")
    OrganisationFactory(region=city.north, name="别人的公司")
    Membership.objects.create(organisation=mine, user=user)
    client.force_login(user)
    page = client.get(reverse("volunteers:profile")).text
    assert "我的公司" in page and "别人的公司" not in page


def test_open_shifts_in_my_areas_filtered(
    client, city, north_staff, south_staff, volunteer, english
):
    make_shift(city.station_north, north_staff, title="北边陪诊", skill=Skill.ESCORT)
    make_shift(
        city.station_north, north_staff, title="北边辅导", skill=Skill.TUTORING, date=in_days(5)
    )
    make_shift(city.station_south, south_staff, title="南边清洁")
    gone = make_shift(city.station_north, north_staff, title="取消的班")
    services.shift_cancel(actor=north_staff, shift=gone)
    client.force_login(volunteer)
    url = reverse("volunteers:shifts")

    page = client.get(url).text
    assert "北边陪诊" in page and "北边辅导" in page
    assert "南边清洁" not in page and "取消的班" not in page
    escort = client.get(url, {"skill": "escort"}).text
    assert "北边陪诊" in escort and "北边辅导" not in escort
    by_day = client.get(url, {"day": in_days(5).isoformat()}).text
    assert "北边辅导" in by_day and "北边陪诊" not in by_day
    assert "No open shifts match." in client.get(url, {"skill": "repair"}).text


def test_someone_without_a_profile_is_invited_to_make_one(client, make_user, shift):
    client.force_login(make_user())
    page = client.get(reverse("volunteers:shifts")).text
    assert reverse("volunteers:profile") in page and shift.title not in page


def test_signing_up_and_cancelling_on_the_page(client, shift, volunteer, english):
    client.force_login(volunteer)
    response = client.post(reverse("volunteers:signup", args=[shift.pk]))
    assert response.status_code == 302
    signup = ShiftSignup.objects.get(shift=shift, volunteer=volunteer)
    page = client.get(reverse("volunteers:shifts")).text
    assert "You are signed up" in page and reverse("volunteers:cancel", args=[signup.pk]) in page

    assert client.post(reverse("volunteers:cancel", args=[signup.pk])).status_code == 302
    signup.refresh_from_db()
    shift.refresh_from_db()
    assert (signup.status, shift.taken) == (SignupStatus.CANCELLED, 0)


def test_a_full_shift_answers_409_with_the_message(client, city, make_user, north_staff, english):
    shift = make_shift(city.station_north, north_staff, capacity=1)
    services.shift_signup(volunteer=make_volunteer(make_user, [city.north]), shift=shift)
    late = make_volunteer(make_user, [city.north])
    client.force_login(late)
    response = client.post(reverse("volunteers:signup", args=[shift.pk]))
    assert response.status_code == 409
    assert "This shift is full." in response.text


def test_another_areas_shift_and_someone_elses_signup_are_404(
    client, city, make_user, south_staff, shift, volunteer
):
    south_shift = make_shift(city.station_south, south_staff)
    signup = services.shift_signup(volunteer=volunteer, shift=shift)
    client.force_login(volunteer)
    assert client.post(reverse("volunteers:signup", args=[south_shift.pk])).status_code == 404
    client.force_login(make_volunteer(make_user, [city.north]))
    assert client.post(reverse("volunteers:cancel", args=[signup.pk])).status_code == 404
    signup.refresh_from_db()
    assert signup.status == SignupStatus.SIGNED_UP


def test_my_hours_and_the_certificate_show_only_my_own(
    client, city, make_user, north_staff, volunteer, english
):
    mine = make_shift(city.station_north, north_staff, title="我的班")
    theirs = make_shift(city.station_north, north_staff, title="别人的班")
    verified(mine, volunteer, north_staff, minutes=90)
    verified(theirs, make_volunteer(make_user, [city.north], name="李雷"), north_staff, minutes=60)
    unverified = make_shift(city.station_north, north_staff, title="未核实的班")
    services.shift_signup(volunteer=volunteer, shift=unverified)
    client.force_login(volunteer)

    hours = client.get(reverse("volunteers:my_hours")).text
    assert "我的班" in hours and "1.50" in hours
    assert "别人的班" not in hours and "未核实的班" not in hours
    certificate = client.get(reverse("volunteers:certificate")).text
    assert (
        "Certificate of volunteer service" in certificate
        and "王小明" in certificate
        and "1.50" in certificate
    )
    assert "别人的班" not in certificate and "李雷" not in certificate
    assert "@media print" in certificate


def test_an_empty_certificate(client, volunteer, english):
    client.force_login(volunteer)
    assert "No verified hours yet." in client.get(reverse("volunteers:certificate")).text


# --- The station's side -----------------------------------------------------------------


def test_station_staff_offer_a_shift(client, city, north_staff, listing):
    client.force_login(north_staff)
    url = reverse("volunteers:station_shifts")
    assert client.get(url).status_code == 200
    line = listing.lines.get(kind="service")
    data = {
        "station": city.station_north.pk,
        "listing_line": line.pk,
        "title": "陪诊",
        "date": in_days(3).isoformat(),
        "starts": "09:00",
        "ends": "11:30",
        "place": "市人民医院",
        "skill": "escort",
        "capacity": "2",
    }
    response = client.post(url, data)
    shift = Shift.objects.get()
    assert response["Location"] == reverse("volunteers:shift", args=[shift.pk])
    assert (shift.listing_line, shift.capacity, shift.created_by) == (line, 2, north_staff)
    bad = client.post(url, {**data, "ends": "08:00"})
    assert bad.status_code == 400 and "市人民医院" in bad.text
    assert Shift.objects.count() == 1


def test_another_stations_staff_cannot_offer_at_this_station(client, city, south_staff):
    client.force_login(south_staff)
    response = client.post(
        reverse("volunteers:station_shifts"),
        {
            "station": city.station_north.pk,
            "title": "x",
            "date": in_days(3).isoformat(),
            "starts": "09:00",
            "ends": "10:00",
            "place": "x",
            "skill": "other",
            "capacity": "1",
        },
    )
    assert response.status_code == 400
    assert not Shift.objects.exists()


def test_station_a_cannot_manage_station_bs_shifts(client, shift, volunteer, south_staff):
    signup = services.shift_signup(volunteer=volunteer, shift=shift)
    client.force_login(south_staff)
    assert client.get(reverse("volunteers:shift", args=[shift.pk])).status_code == 404
    for name, pk in (
        ("volunteers:shift_cancel", shift.pk),
        ("volunteers:shift_complete", shift.pk),
        ("volunteers:check_in", signup.pk),
        ("volunteers:check_out", signup.pk),
        ("volunteers:verify", signup.pk),
    ):
        assert client.post(reverse(name, args=[pk]), {"reason": "x"}).status_code == 404, name
    shift.refresh_from_db()
    signup.refresh_from_db()
    assert (shift.status, signup.status) == (ShiftStatus.OPEN, SignupStatus.SIGNED_UP)


def test_a_volunteer_has_no_station_pages(client, volunteer):
    client.force_login(volunteer)
    for name in ("volunteers:station_shifts", "volunteers:totals", "volunteers:totals_csv"):
        assert client.get(reverse(name)).status_code == 404, name


def test_the_roster_checks_in_out_and_verifies(client, shift, volunteer, north_staff, english):
    signup = services.shift_signup(volunteer=volunteer, shift=shift)
    client.force_login(north_staff)
    roster = reverse("volunteers:shift", args=[shift.pk])
    assert "王小明" in client.get(roster).text

    assert client.post(reverse("volunteers:check_in", args=[signup.pk]))["Location"] == roster
    signup.refresh_from_db()
    ShiftSignup.objects.filter(pk=signup.pk).update(
        checked_in_at=timezone.now() - timedelta(minutes=125)
    )
    assert client.post(reverse("volunteers:check_out", args=[signup.pk]))["Location"] == roster
    assert "2.00" in client.get(roster).text  # by the times

    refused = client.post(
        reverse("volunteers:verify", args=[signup.pk]), {f"s{signup.pk}-hours": "3"}
    )
    assert refused.status_code == 400
    assert (
        "Give a reason when you correct the hours" in refused.text and 'value="3"' in refused.text
    )
    done = client.post(
        reverse("volunteers:verify", args=[signup.pk]),
        {f"s{signup.pk}-hours": "3", f"s{signup.pk}-reason": "提前到场"},
    )
    assert done["Location"] == roster
    signup.refresh_from_db()
    assert (signup.hours, signup.verified_by, signup.hours_reason) == (
        Decimal("3.00"),
        north_staff,
        "提前到场",
    )


def test_cancelling_a_shift_on_its_page(client, shift, north_staff):
    client.force_login(north_staff)
    url = reverse("volunteers:shift_cancel", args=[shift.pk])
    assert client.post(url, {}).status_code == 400  # a reason is needed
    assert client.post(url, {"reason": "台风"}).status_code == 302
    shift.refresh_from_db()
    assert shift.status == ShiftStatus.CANCELLED
    assert client.post(url, {"reason": "again"}).status_code == 400


def _hours_world(city, make_user, north_staff, south_staff):
    """Two organisations' volunteers with verified hours at both stations."""
    acme = OrganisationFactory(region=city.north, name="华信科技")
    bank = OrganisationFactory(region=city.north, name="=东莞银行")
    people = {}
    for name, org in (("张三", acme), ("李四", acme), ("王五", bank), ("赵六", None)):
        user = make_user()
        if org:
            Membership.objects.create(organisation=org, user=user)
        services.profile_save(
            user=user,
            display_name=name,
            skills=[],
            areas=[city.north, city.south],
            organisation=org,
            phone="+8613700137000",
        )
        people[name] = user
    north = make_shift(city.station_north, north_staff)
    north2 = make_shift(city.station_north, north_staff, date=in_days(4))
    south = make_shift(city.station_south, south_staff)
    verified(north, people["张三"], north_staff, minutes=120)
    verified(north2, people["张三"], north_staff, minutes=90)
    verified(north, people["李四"], north_staff, minutes=60)
    verified(north, people["王五"], north_staff, minutes=45)
    verified(north2, people["赵六"], north_staff, minutes=30)
    verified(south, people["李四"], south_staff, minutes=240)
    unverified = services.shift_signup(volunteer=people["王五"], shift=north2)
    services.check_in(actor=north_staff, signup=unverified, now=north2.starts_at)
    return people


def test_totals_within_the_staffs_area(client, city, make_user, north_staff, south_staff):
    _hours_world(city, make_user, north_staff, south_staff)
    client.force_login(north_staff)
    response = client.get(reverse("volunteers:totals"))
    totals = response.context["totals"]
    assert [
        (r["volunteer__volunteer_profile__display_name"], r["shifts"], r["hours"])
        for r in totals.volunteers
    ] == [
        ("张三", 2, Decimal("3.50")),
        ("李四", 1, Decimal("1.00")),
        ("王五", 1, Decimal("0.75")),
        ("赵六", 1, Decimal("0.50")),
    ]
    assert [
        (r["volunteer__volunteer_profile__organisation__name"], r["volunteers"], r["hours"])
        for r in totals.organisations
    ] == [
        ("=东莞银行", 1, Decimal("0.75")),
        ("华信科技", 2, Decimal("4.50")),
        (None, 1, Decimal("0.50")),
    ]
    assert [(r["shift__station__name"], r["volunteers"], r["hours"]) for r in totals.stations] == [
        ("北一驿站", 4, Decimal("5.75"))
    ]
    assert totals.hours == Decimal("5.75")
    assert "13700137000" not in response.text

    reviewer = make_user(Role.STATION_STAFF, city.city)
    client.force_login(reviewer)
    everywhere = client.get(reverse("volunteers:totals")).context["totals"]
    assert everywhere.hours == Decimal("9.75")
    period = client.get(reverse("volunteers:totals"), {"start": in_days(3).isoformat()}).context[
        "totals"
    ]
    assert period.hours == Decimal("2.00")  # only the shift in four days


def test_the_employers_csv_is_exact_and_has_no_phone(
    client, city, make_user, north_staff, south_staff, english
):
    _hours_world(city, make_user, north_staff, south_staff)
    client.force_login(north_staff)

    response = client.get(reverse("volunteers:totals_csv"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="volunteer-hours-')
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(body[1:]))) == [
        ["Organisation", "Volunteer", "Shifts", "Verified hours"],
        ["'=东莞银行", "王五", "1", "0.75"],
        ["华信科技", "张三", "2", "3.50"],
        ["华信科技", "李四", "1", "1.00"],
        ["(no organisation)", "赵六", "1", "0.50"],
    ]
    assert "137" not in body
    assert AuditEvent.objects.get(verb="volunteers.totals_export").data["rows"] == 4


def test_the_csv_holds_only_the_staffs_own_area(client, city, make_user, north_staff, south_staff):
    _hours_world(city, make_user, north_staff, south_staff)
    client.force_login(south_staff)
    body = client.get(reverse("volunteers:totals_csv")).content.decode("utf-8")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert len(rows[0]) == 4
    assert rows[1:] == [["华信科技", "李四", "1", "4.00"]]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_page_in_both_languages(client, city, north_staff, shift, volunteer, language):
    from django.utils import translation

    signup = services.shift_signup(volunteer=volunteer, shift=shift)
    with translation.override(language):
        pages = [
            (volunteer, reverse("volunteers:profile")),
            (volunteer, reverse("volunteers:shifts")),
            (volunteer, reverse("volunteers:my_hours")),
            (volunteer, reverse("volunteers:certificate")),
            (north_staff, reverse("volunteers:station_shifts")),
            (north_staff, reverse("volunteers:shift", args=[shift.pk])),
            (north_staff, reverse("volunteers:totals")),
        ]
    for user, url in pages:
        assert url.startswith("/en/") == (language == "en")
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'lang="{language}"' in response.text
        assert "<h1>" in response.text, url
    assert signup.pk


def test_the_admin_lists_volunteering_read_only_without_phones(client, superuser, shift, volunteer):
    services.profile_save(
        user=volunteer,
        display_name="王小明",
        skills=[],
        areas=[shift.station.community],
        phone="+8613600136000",
    )
    signup = services.shift_signup(volunteer=volunteer, shift=shift)
    client.force_login(superuser)
    for model, obj in (
        ("volunteerprofile", volunteer.volunteer_profile),
        ("shift", shift),
        ("shiftsignup", signup),
    ):
        changelist = client.get(reverse(f"admin:volunteers_{model}_changelist"))
        assert changelist.status_code == 200, model
        detail = client.get(reverse(f"admin:volunteers_{model}_change", args=[obj.pk]))
        assert detail.status_code == 200, model
        assert "13600136000" not in changelist.text + detail.text, model
        assert client.get(reverse(f"admin:volunteers_{model}_add")).status_code == 403, model
