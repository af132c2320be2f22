"""The demo wishes: every status, realistic, fictional, and loaded only once."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import AuditEvent, User
from accounts.roles import Perm
from marketplace import demo as marketplace_demo
from wishes import demo, selectors
from wishes.models import (
    AidRecord,
    Household,
    Objection,
    ObjectionStatus,
    Referral,
    Route,
    Status,
    Verification,
    Wish,
)


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Wish, Household, AidRecord, Objection, Verification, Referral, AuditEvent)
    }


@pytest.fixture
def seeded(db):
    call_command("seed_demo", "--force", "--quiet-logins", stdout=StringIO())


@pytest.mark.django_db
def test_seed_demo_twice_gives_the_same_wishes():
    call_command("seed_demo", "--force", "--quiet-logins", stdout=StringIO())
    first = counts()
    call_command("seed_demo", "--force", "--quiet-logins", stdout=StringIO())
    assert counts() == first
    # The funds demo publishes its own wishes (a delivered one, an open one, an express one),
    # and one more is claimed whole.
    assert first["Wish"] == len(demo.DEMOS) + len(marketplace_demo.fund_wishes()) + 1
    assert demo.seed_wishes() == 0


def test_every_status_is_in_the_demo(seeded):
    assert set(Wish.objects.values_list("status", flat=True)) == set(Status.values)


def test_the_demo_shows_the_interesting_cases(seeded):
    # A wish on notice with an open objection, which blocks its publication.
    on_notice = Wish.objects.filter(status=Status.NOTICE)
    assert on_notice.filter(objections__status=ObjectionStatus.OPEN).exists()
    assert on_notice.exclude(objections__isnull=False).exists()
    # Published both ways, one after a dismissed objection; one withdrawn by an upheld one.
    published = Wish.objects.filter(status=Status.PUBLISHED)
    assert set(published.values_list("route", flat=True)) == {Route.DIRECT, Route.EXPRESS}
    assert Objection.objects.filter(status=ObjectionStatus.DISMISSED).exists()
    upheld = Objection.objects.get(status=ObjectionStatus.UPHELD)
    assert upheld.wish.status == Status.WITHDRAWN
    # The reviewer sees a duplicate warning on a verified wish (same person, another household).
    waiting = Wish.objects.filter(status=Status.VERIFIED).select_related("household")
    assert any(selectors.duplicates_of(wish).any() for wish in waiting)
    shared = Household.objects.with_id_number(demo.SHARED_ID)
    assert shared.count() == 2 and len({h.community_id for h in shared}) == 1
    # Aid was recorded, and lowered the index of those households' wishes.
    assert AidRecord.objects.count() >= 2
    # A referral to another station, a policy referral answered, a route for each wish decided.
    assert Referral.objects.filter(to_station__community__code="dg-nc-sh").exists()
    assert Wish.objects.filter(status=Status.RESOLVED).exclude(policy_answer="").exists()
    # Two served by the station: one still under way, one delivered (the stations demo).
    assert Wish.objects.filter(status=Status.STATION_SERVICE, route=Route.STATION).count() == 1
    assert Wish.objects.filter(status=Status.RESOLVED, route=Route.STATION).count() == 1
    # Several communities and categories, all scored with version 1 and explained.
    assert Wish.objects.values("community").distinct().count() >= 2
    assert Wish.objects.values("category").distinct().count() >= 8
    assert not Wish.objects.filter(need_index_version__isnull=True).exists()
    assert all(len(w.need_index_explanation) == 8 for w in Wish.objects.all())


def test_the_demo_people_are_obviously_fictional(seeded):
    for household in Household.objects.all():
        assert household.id_number.startswith("99")  # no province has the code 99
        assert "某" in household.head_name and "演示" in household.address
        assert not household.phone or str(household.phone).startswith("+86138001380")
    # Nothing personal in what becomes public.
    names = [h.head_name for h in Household.objects.all()]
    for wish in Wish.objects.all():
        assert not any(name[:2] in wish.title + wish.story for name in names)


def test_the_demo_staff_can_work_on_their_wishes(seeded):
    staff = User.objects.get(email=demo.STAFF)
    reviewer = User.objects.get(email=demo.REVIEWER)
    yuanmei = Wish.objects.filter(station__community__code="dg-nc-ym")
    assert yuanmei.filter(status=Status.SUBMITTED).exists()  # waiting for the station
    assert yuanmei.filter(status=Status.ACCEPTED).exists()  # waiting for a home visit
    for wish in yuanmei:
        assert selectors.access_wish(staff, wish.pk, perm=Perm.WISH_VERIFY) == wish
    for wish in Wish.objects.all():  # the town reviewer sees every demo wish
        assert selectors.access_wish(reviewer, wish.pk, perm=Perm.WISH_REVIEW) == wish


@pytest.mark.django_db
def test_the_logins_mention_the_demo_wishes():
    out = StringIO()
    call_command("seed_demo", "--force", stdout=out)
    assert "Demo wishes" in out.getvalue()


@pytest.mark.django_db
def test_demo_has_giving_on_its_listings():
    from marketplace.models import Listing, Payment, Pledge, Receipt

    call_command("seed_demo", "--force", "--quiet-logins")
    call_command("seed_demo", "--force", "--quiet-logins")
    assert Listing.objects.exists()
    assert Pledge.objects.filter(status="pending", anonymous=True).count() == 1
    company = Pledge.objects.get(payments__receipt_number="ICBC-DEMO-0001")
    assert company.status == "confirmed"
    assert Receipt.objects.count() == Payment.objects.filter(receipt__isnull=False).count()
    assert Pledge.objects.filter(status="confirmed").count() > 1  # and the funds demo's
