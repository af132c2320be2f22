"""Fixtures of the station tests: a published wish's listing, its station's staff, and
helpers to pledge it in full the way donors do."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.roles import Role
from marketplace import services as marketplace
from marketplace.models import Listing, ListingStatus, Pledge
from tests.marketplace.giving_fixtures import site  # noqa: F401  (the Wagtail site for pages)
from tests.marketplace.money import pay
from tests.wishes.factories import make_wish
from wishes.models import Status, Wish
from wishes.services import NeedLine


@pytest.fixture
def staff(city, make_user):
    """Station staff of north_a (where the listing is)."""
    return make_user(Role.STATION_STAFF, city.north_a)


@pytest.fixture
def south_staff(city, make_user):
    return make_user(Role.STATION_STAFF, city.south_a)


@pytest.fixture
def listing(city, staff, make_user) -> Listing:
    """A published direct wish's listing: ¥1,200, two wheelchairs, and 4 hours of escort."""
    reviewer = make_user(Role.TOWN_REVIEWER, city.north)
    wish = make_wish(
        staff,
        city.north_a,
        status=Status.PUBLISHED,
        reviewer=reviewer,
        needs=[
            NeedLine(kind="money", amount=Decimal("1200.00")),
            NeedLine(kind="goods", item="轮椅", quantity=2, specification="折叠式"),
            NeedLine(kind="service", skill="陪诊", hours=Decimal("4")),
        ],
    )
    return Listing.objects.of(wish).get()


def wish_of(listing: Listing) -> Wish:
    return Wish.objects.select_related("household").get(pk=listing.source_id)


def fully_pledge(listing: Listing, make_user) -> dict[str, Pledge]:
    """Pledge every line to its target: money paid, goods and service confirmed."""
    pledges = {}
    for line in listing.lines.order_by("pk"):
        pledge = marketplace.pledge_create(donor=make_user(), line=line, quantity=line.target)
        if line.kind == "money":
            pay(pledge)
        else:
            marketplace.pledge_confirm(pledge=pledge)
        pledges[line.kind] = Pledge.objects.get(pk=pledge.pk)
    listing.refresh_from_db()
    assert listing.status == ListingStatus.FULLY_PLEDGED
    return pledges


def jpeg_bytes(*, gps: bool = False, size: tuple[int, int] = (64, 48)) -> bytes:
    """A small JPEG; with *gps*, an EXIF block holding a camera make and a GPS position."""
    image = Image.new("RGB", size, (200, 40, 40))
    out = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd[1] = "N"
        gps_ifd[2] = (22.0, 49.0, 30.0)
        gps_ifd[3] = "E"
        gps_ifd[4] = (113.0, 45.0, 15.0)
        image.save(out, "JPEG", exif=exif)
    else:
        image.save(out, "JPEG")
    return out.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)
