"""The demo shows the stations' side: deliveries, verified volunteer hours, a rating by the
recipient's link, a follow-up visit that recorded a complaint, and its case, once."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from feedback.models import Case, CaseStatus, FollowUp, Rating, RatingChannel
from marketplace.models import ListingStatus
from stations import demo
from stations.models import Delivery
from volunteers.models import Shift, ShiftSignup
from wishes.models import Status


def seed() -> None:
    call_command("seed_demo", "--force", "--quiet-logins", stdout=StringIO())


@pytest.mark.django_db
def test_the_demo_shows_deliveries_hours_ratings_and_a_case():
    seed()
    # Delivered by the station's own team, and confirmed by the recipient's link.
    counselling = demo._listing(demo.COUNSELLING)
    assert counselling.status == ListingStatus.DELIVERED and not counselling.offered
    assert counselling.source.status == Status.RESOLVED
    assert Rating.objects.get(listing=counselling, channel=RatingChannel.LINK).score == 5
    # Part delivered: ten of thirty hours.
    hospice = demo._listing(demo.HOSPICE)
    assert hospice.status == ListingStatus.IN_DELIVERY
    assert sum(d.quantity for d in Delivery.objects.filter(listing=hospice)) == Decimal("10")
    # Verified hours on the counselling shift, and a shift still to staff.
    worked = ShiftSignup.objects.get(verified_at__isnull=False)
    assert worked.hours == Decimal("3.00") and worked.volunteer.email == "volunteer@linli.local"
    assert Shift.objects.filter(signups__isnull=True).count() == 1
    # The handrails: a visit recorded a low rating and a complaint; the town took it up.
    handrails = demo._listing(demo.HANDRAILS)
    visit = FollowUp.objects.get(listing=handrails)
    assert visit.done_by.email == "station.staff@linli.local"
    rating = Rating.objects.get(listing=handrails)
    assert rating.score == 2 and rating.channel == RatingChannel.FOLLOW_UP_VISIT
    case = Case.objects.get()
    assert case.rating == rating and case.status == CaseStatus.IN_PROGRESS


@pytest.mark.django_db
def test_seeding_twice_loads_the_stations_demo_once():
    seed()
    counts = [m.objects.count() for m in (Delivery, Rating, Shift, ShiftSignup, Case)]
    seed()
    assert [m.objects.count() for m in (Delivery, Rating, Shift, ShiftSignup, Case)] == counts
    assert demo.seed_stations() is False
