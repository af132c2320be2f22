"""The admin shows the station records read-only, without the recipients' identity."""

from decimal import Decimal

import pytest

from stations import services
from tests.stations.conftest import fully_pledge, jpeg_bytes, upload
from tests.wishes.factories import SECRET_ADDRESS, SECRET_NAME

pytestmark = pytest.mark.django_db


def test_admin_lists_and_shows_deliveries_read_only(client, superuser, listing, staff, make_user):
    fully_pledge(listing, make_user)
    delivery = services.delivery_log(
        actor=staff, line=listing.lines.get(kind="goods"), quantity=Decimal("2"), note="两台轮椅"
    )
    services.delivery_photo_add(actor=staff, delivery=delivery, upload=upload(jpeg_bytes()))
    client.force_login(superuser)
    for url in (
        "/admin/stations/delivery/",
        f"/admin/stations/delivery/{delivery.pk}/change/",
        "/admin/stations/deliveryphoto/",
        "/admin/stations/goodsintake/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert SECRET_NAME not in text and SECRET_ADDRESS not in text, url
    assert client.get("/admin/stations/delivery/add/").status_code == 403
