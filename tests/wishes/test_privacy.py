"""Privacy: no personal data of a household on any public page or response.

Wishes are seeded in every status with distinctive personal data (the factories' ``SECRET_*``),
with an objection, a referral and aid on record. Every public page is rendered in both
languages and searched for that data in every form it could take. The requester's own pages
(my wishes, my wish, the tracking link) are searched too: a requester may forward them, so
they show the wish and its steps, never the household's private record.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from tests.wishes.factories import (
    SECRET_ADDRESS,
    SECRET_ID,
    SECRET_NAME,
    SECRET_NOTES,
    SECRET_PHONE,
    make_household,
    make_wish,
)
from wishes import services
from wishes.models import PUBLIC_STATUSES, Household, Route, Status, Wish
from wishes.services import NeedLine
from wishes.tracking import tracking_token

OBJECTION_TEXT = "异议内容OBJ-PRIVATE-7731"
OBJECTOR_NAME = "异议人隐名"
REFERRAL_REASON = "转介原因REF-PRIVATE-4410"
AID_DESCRIPTION = "临时救助AID-PRIVATE-5520"
APPROVAL_NOTE = "审核意见REVIEW-PRIVATE-9902"
LANGUAGES = ("zh-hans", "en")

_NATIONAL = SECRET_PHONE.removeprefix("+86")  # 13912345678
SECRETS = [
    SECRET_NAME,
    SECRET_ID,
    SECRET_ID.lower(),
    SECRET_ID[6:14],  # the date of birth inside the ID number
    Household(id_number=SECRET_ID).masked_id_number,  # not even the masked form is public
    SECRET_PHONE,
    _NATIONAL,
    f"{_NATIONAL[:3]} {_NATIONAL[3:7]} {_NATIONAL[7:]}",  # 139 1234 5678
    f"{_NATIONAL[:3]}-{_NATIONAL[3:7]}-{_NATIONAL[7:]}",  # 139-1234-5678
    f"+86 {_NATIONAL[:3]} {_NATIONAL[3:7]} {_NATIONAL[7:]}",
    SECRET_ADDRESS,
    SECRET_ADDRESS.split(" ")[0],  # 幸福里秘密巷, however the number is written
    SECRET_NOTES,
    "ZX-PRIVATE",
]
# Shown to nobody but staff (the objector's identity and words, internal reasons, aid).
INTERNAL = [OBJECTION_TEXT, OBJECTOR_NAME, REFERRAL_REASON, AID_DESCRIPTION, APPROVAL_NOTE]


@pytest.fixture(autouse=True)
def _no_language_leak():
    """A request to /en/ leaves English active in this thread; later tests expect the default."""
    yield
    translation.deactivate()


def assert_no_secrets(text: str, where: str, *, internal: bool = True) -> None:
    leaked = [s for s in SECRETS + (INTERNAL if internal else []) if s in text]
    assert not leaked, f"{where} leaks {leaked}"
    # Any 11-digit mobile number or 18-character ID number at all is a leak.
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", text), f"{where}: a phone number"
    assert not re.search(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])", text), f"{where}: an ID"


def _advance(wish: Wish, status: str, people) -> Wish:
    """Take a wish raised online through the services to *status*."""
    staff, reviewer = people.north_staff, people.north_reviewer
    if status == Status.SUBMITTED:
        return wish
    if status == Status.WITHDRAWN:
        return services.wish_withdraw(actor=people.resident, wish=wish, reason="不再需要了")
    wish = services.wish_accept(actor=staff, wish=wish)
    if status == Status.ACCEPTED:
        return wish
    wish = services.wish_verify(
        actor=staff, wish=wish, visited_on=timezone.localdate(), notes=SECRET_NOTES
    )
    if status == Status.VERIFIED:
        return wish
    if status == Status.REJECTED:
        return services.wish_reject(actor=reviewer, wish=wish, reason="不符合条件")
    route = {
        Status.REFERRED: Route.POLICY,
        Status.RESOLVED: Route.POLICY,
        Status.STATION_SERVICE: Route.STATION,
    }.get(status, Route.EXPRESS)
    wish = services.wish_approve(
        actor=reviewer,
        wish=wish,
        route=route,
        reason=APPROVAL_NOTE,
        duplicate_reason="复核确认",
        express_amount=Decimal("800.00") if route == Route.EXPRESS else None,
        policy_department="民政局" if route == Route.POLICY else "",
        policy_due_on=timezone.localdate() + timedelta(days=10) if route == Route.POLICY else None,
    )
    if status == Status.RESOLVED:
        return services.policy_answer(actor=staff, wish=wish, answer="已纳入低保")
    if status == Status.PUBLISHED:
        services.wish_publish(wish=wish, now=wish.notice_ends_at + timedelta(seconds=1))
        wish.refresh_from_db()
    return wish


@pytest.fixture
def world(city, people, make_user):
    """Wishes in every status, raised online by the resident (so the requester's pages show
    them all) and taken in by staff; an objection, a referral and aid on record."""
    from cms.demo import seed_site

    seed_site()
    online = {}
    for status in Status.values:
        household = make_household(city.north_a, people.resident)
        wish = services.wish_submit(
            user=people.resident,
            household=household,
            title=f"心愿 {status}",
            story="需要帮助购买轮椅和支付部分医药费。",
            category="medical",
            urgency="urgent",
            needs=[
                NeedLine(kind="money", amount=Decimal("1500")),
                NeedLine(kind="service", skill="陪诊", hours=Decimal("6")),
            ],
        )
        online[status] = _advance(wish, status, people)
    staff_taken = {
        status: make_wish(
            people.north_staff, city.north_a, status=status, reviewer=people.north_reviewer
        )
        for status in (
            Status.ACCEPTED,
            Status.VERIFIED,
            Status.NOTICE,
            Status.PUBLISHED,
            Status.REFERRED,
            Status.STATION_SERVICE,
            Status.REJECTED,
        )
    }
    objector = make_user(email="objector@example.org", display_name=OBJECTOR_NAME)
    services.objection_file(user=objector, wish=online[Status.NOTICE], text=OBJECTION_TEXT)
    referred = make_wish(people.north_staff, city.north_a)
    services.wish_refer(
        actor=people.north_staff,
        wish=referred,
        to_station=city.station_south,
        reason=REFERRAL_REASON,
    )
    services.aid_record(
        actor=people.north_staff,
        household=online[Status.NOTICE].household,
        received_on=timezone.localdate(),
        value=Decimal("300.00"),
        source="government",
        description=AID_DESCRIPTION,
    )
    every = [*online.values(), *staff_taken.values(), referred]
    return {"online": online, "staff": staff_taken, "every": every, "city": city}


@pytest.mark.django_db
def test_seeded_data_is_really_there(world):
    """Guard the guard: the secrets exist in the database, so their absence means something."""
    household = world["online"][Status.NOTICE].household
    household.refresh_from_db()
    assert household.head_name.startswith(SECRET_NAME)
    assert household.id_number == SECRET_ID and str(household.phone) == SECRET_PHONE
    assert household.address == SECRET_ADDRESS
    assert world["staff"][Status.NOTICE].verification.notes == SECRET_NOTES
    assert {w.status for w in world["online"].values()} == set(Status.values)


def public_urls(world) -> list[str]:
    station = world["city"].station_north
    urls = ["/healthz"]
    for language in LANGUAGES:
        with translation.override(language):
            urls += [
                f"/{language}/",
                reverse("wishes:notice"),
                reverse("wishes:published"),
                reverse("accounts:stations"),
                reverse("accounts:station", args=[station.pk]),
                reverse("accounts:station", args=[world["city"].station_south.pk]),
                reverse("wishes:notice") + "?page=2",
            ]
            urls += [
                reverse("wishes:public", args=[w.reference])
                for w in world["every"]
                if w.status in PUBLIC_STATUSES
            ]
    return urls


@pytest.mark.django_db
def test_no_personal_data_on_any_public_page(client, world):
    public = [w for w in world["every"] if w.status in PUBLIC_STATUSES]
    assert len(public) == 4  # two on notice, two published
    for url in public_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_secrets(response.content.decode(), url)
    # The lists really show the public wishes (else the test above proves nothing).
    notice = client.get(reverse("wishes:notice")).text
    assert world["online"][Status.NOTICE].reference in notice


@pytest.mark.django_db
def test_no_personal_data_for_a_signed_in_visitor(client, world, make_user):
    """Signed in (the objection form shows), still nothing private, not even objections."""
    client.force_login(make_user(email="visitor@example.org"))
    for url in public_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_secrets(response.content.decode(), url)


@pytest.mark.django_db
def test_wishes_not_public_are_404_and_the_404_says_nothing(client, world):
    hidden = [w for w in world["every"] if w.status not in PUBLIC_STATUSES]
    assert {w.status for w in hidden} == set(Status.values) - set(PUBLIC_STATUSES)
    for wish in hidden:
        for language in LANGUAGES:
            with translation.override(language):
                url = reverse("wishes:public", args=[wish.reference])
            response = client.get(url)
            assert response.status_code == 404, (wish.status, url)
            text = response.content.decode()
            assert_no_secrets(text, url)
            assert wish.title not in text


@pytest.mark.django_db
def test_objecting_to_a_hidden_wish_reveals_nothing(client, world, make_user):
    client.force_login(make_user(email="prober@example.org"))
    for wish in world["every"]:
        if wish.status in PUBLIC_STATUSES:
            continue
        response = client.post(reverse("wishes:object", args=[wish.reference]), {"text": "探测"})
        assert response.status_code == 404
        assert_no_secrets(response.content.decode(), wish.reference)


@pytest.mark.django_db
def test_requester_pages_show_no_private_record(client, world, people):
    """The requester's pages are safe to forward: the wish and its steps, not the household.

    Internal reasons (the reviewer's note, a referral's reason) stay internal too; only a
    rejection, withdrawal or resolution tells the requester why.
    """
    client.force_login(people.resident)
    urls = []
    for language in LANGUAGES:
        with translation.override(language):
            urls.append(reverse("wishes:mine"))
            for wish in world["online"].values():
                urls.append(reverse("wishes:my_wish", args=[wish.reference]))
                urls.append(reverse("wishes:track", args=[tracking_token(wish.reference)]))
            for wish in [*world["staff"].values(), world["every"][-1]]:
                urls.append(reverse("wishes:track", args=[tracking_token(wish.reference)]))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_secrets(response.content.decode(), url)
    # ... while they do show the wish itself.
    mine = client.get(reverse("wishes:mine")).text
    assert all(w.reference in mine for w in world["online"].values())


@pytest.mark.django_db
def test_tracking_link_for_anyone_shows_no_private_record(client, world):
    """A tracking link travels by SMS and may be forwarded: nothing private behind it."""
    for wish in world["every"]:
        url = reverse("wishes:track", args=[tracking_token(wish.reference)])
        response = client.get(url)
        assert response.status_code == 200
        assert_no_secrets(response.content.decode(), url)


@pytest.mark.django_db
def test_a_forged_tracking_link_is_404(client, world):
    wish = world["online"][Status.ACCEPTED]
    token = tracking_token(wish.reference)
    assert client.get(reverse("wishes:track", args=[token[:-2] + "xx"])).status_code == 404
    assert client.get(reverse("wishes:track", args=[wish.reference])).status_code == 404


@pytest.mark.django_db
def test_the_online_form_after_an_error_shows_only_what_the_user_typed(client, world, people):
    """The form re-renders what was typed for the person typing it, and nothing else: no
    other household's data (e.g. from the duplicate check) comes back with it."""
    from tests.wishes.test_public import wish_form_data

    client.force_login(people.resident)
    response = client.post(
        reverse("wishes:new"),
        wish_form_data(world["city"].north_a, title="", id_number=SECRET_ID.lower()),
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert SECRET_ID.lower() in text  # what they typed is kept ...
    leaked = [s for s in [SECRET_NAME, SECRET_ADDRESS, SECRET_NOTES, _NATIONAL] if s in text]
    assert not leaked  # ... and nobody else's record appears
