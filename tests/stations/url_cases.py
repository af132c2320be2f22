"""The stations app's part of the URL permission matrix (``tests/test_urls.py``).

``stations_world`` builds what the cases need; ``stations_cases`` lists one Case per
scoped URL. ``tests/test_urls.py`` walks them with the rest.
"""

from decimal import Decimal
from io import BytesIO
from typing import Any

from accounts.roles import Role

MATRIX = {
    "stations:workspace": "scoped",
    "stations:listing_delivery": "scoped",
    "stations:delivery_log": "scoped",
    "stations:intake_record": "scoped",
    "stations:photo_upload": "scoped",
    "stations:delivery_attest": "scoped",
    "stations:photo_share": "scoped",
    "stations:photo": "scoped",
    "stations:impact": "scoped",
    "stations:shared_photo": "scoped",
}


class RewindingFile(BytesIO):
    """An upload the test client can send more than once (it reads without rewinding)."""

    name = "evidence.jpg"

    def read(self, *args: Any) -> bytes:
        self.seek(0)
        return super().read(*args)


def _jpeg() -> bytes:
    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "JPEG")
    return out.getvalue()


def stations_world(city, make_user) -> dict[str, Any]:
    """A fully pledged wish listing at the north station: a delivery with a photo, a goods
    pledge awaiting intake, and the station staff on both sides."""
    from marketplace import services as market
    from marketplace.models import Listing
    from stations import services as stations
    from tests.marketplace.money import pay
    from tests.stations.conftest import upload
    from tests.wishes.factories import make_wish
    from wishes.models import Status
    from wishes.services import NeedLine

    staff = make_user(Role.STATION_STAFF, city.north_a, email="station.north@example.org")
    south = make_user(Role.STATION_STAFF, city.south_a, email="station.south@example.org")
    reviewer = make_user(Role.TOWN_REVIEWER, city.north, email="station.reviewer@example.org")
    wish = make_wish(
        staff,
        city.north_a,
        status=Status.PUBLISHED,
        reviewer=reviewer,
        needs=[
            NeedLine(kind="money", amount=Decimal("500.00")),
            NeedLine(kind="goods", item="轮椅", quantity=3),
        ],
    )
    listing = Listing.objects.of(wish).get()
    money, goods = listing.lines.get(kind="money"), listing.lines.get(kind="goods")
    donor = make_user(email="station.donor@example.org")
    pay(market.pledge_create(donor=donor, line=money, quantity=money.target))
    goods_pledge = market.pledge_create(donor=donor, line=goods, quantity=goods.target)
    market.pledge_confirm(pledge=goods_pledge)
    delivery = stations.delivery_log(actor=staff, line=goods, quantity=Decimal("1"), note="一台")
    photo = stations.delivery_photo_add(actor=staff, delivery=delivery, upload=upload(_jpeg()))
    # Shared with the listing's donors (the impact page and its photo view).
    shared = stations.delivery_photo_add(actor=staff, delivery=delivery, upload=upload(_jpeg()))
    stations.delivery_photo_share(actor=staff, photo=shared, shareable=True, no_personal_data=True)
    return {
        "station_donor": donor,
        "station_shared_photo": shared,
        "station_staff": staff,
        "station_south": south,
        "station_listing": listing,
        "station_goods_line": goods,
        "station_goods_pledge": goods_pledge,
        "station_delivery": delivery,
        "station_photo": photo,
    }


def stations_cases(w) -> list:
    from tests.test_urls import Case

    staff, south = w["station_staff"], w["station_south"]
    listing, delivery, photo = w["station_listing"], w["station_delivery"], w["station_photo"]
    pledge = w["station_goods_pledge"]
    return [
        # A user who logs deliveries nowhere (a supervisor reads, never delivers): 404.
        Case("stations:workspace", {}, allowed=staff, wrong=w["supervisor"]),
        Case("stations:listing_delivery", {"pk": listing.pk}, allowed=staff, wrong=south),
        Case(
            "stations:delivery_log",
            {"pk": listing.pk},
            allowed=staff,
            wrong=south,
            method="post",
            ok=302,
            data={"line": w["station_goods_line"].pk, "quantity": "1", "note": "第二台轮椅"},
        ),
        Case(
            "stations:intake_record",
            {"pk": listing.pk},
            allowed=staff,
            wrong=south,
            method="post",
            ok=302,
            data={"pledge": pledge.pk, "item": "轮椅", "quantity": "3", "condition": "new"},
        ),
        Case(
            "stations:photo_upload",
            {"pk": delivery.pk},
            allowed=staff,
            wrong=south,
            method="post",
            ok=302,
            data={"photo": RewindingFile(_jpeg()), "description": "交接"},
        ),
        Case(
            "stations:delivery_attest",
            {"pk": delivery.pk},
            allowed=staff,
            wrong=south,
            method="post",
            ok=302,
            data={"reason": "老人卧床"},
        ),
        Case(
            "stations:photo_share",
            {"pk": photo.pk},
            allowed=staff,
            wrong=south,
            method="post",
            ok=302,
            data={"shareable": "on", "no_personal_data": "on"},
        ),
        Case("stations:photo", {"token": photo.token}, allowed=staff, wrong=south),
        # Donor impact: the listing's donors (and sponsor admins) only; staff are not donors.
        Case("stations:impact", {"pk": listing.pk}, allowed=w["station_donor"], wrong=south),
        Case(
            "stations:shared_photo",
            {"token": w["station_shared_photo"].token},
            allowed=w["station_donor"],
            wrong=staff,
        ),
    ]
