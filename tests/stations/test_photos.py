"""Photo evidence: only photos, not too large, and nothing of the original's metadata."""

import io
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse
from PIL import Image

from accounts.errors import NotPermitted
from accounts.models import AuditEvent
from stations import services
from stations.models import DeliveryPhoto
from tests.stations.conftest import fully_pledge, jpeg_bytes, upload
from wishes.exceptions import InvalidAttachment

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivery(listing, staff, make_user):
    fully_pledge(listing, make_user)
    return services.delivery_log(
        actor=staff, line=listing.lines.get(kind="goods"), quantity=Decimal("2"), note="两台轮椅"
    )


def test_a_jpeg_with_gps_exif_is_stored_without_any_exif(delivery, staff):
    raw = jpeg_bytes(gps=True)
    with Image.open(io.BytesIO(raw)) as original:  # the test photo really carries a position
        assert original.getexif().get_ifd(0x8825)[1] == "N"

    photo = services.delivery_photo_add(
        actor=staff, delivery=delivery, upload=upload(raw, name="张三家门口.jpg")
    )

    with photo.file.open("rb") as stored:
        data = stored.read()
    assert b"Exif" not in data and b"PhoneMaker" not in data
    with Image.open(io.BytesIO(data)) as cleaned:
        assert cleaned.format == "JPEG"
        assert dict(cleaned.getexif()) == {}
        assert cleaned.getexif().get_ifd(0x8825) == {}
    assert photo.content_type == "image/jpeg"
    assert "张三" not in photo.file.name and photo.token in photo.file.name
    assert AuditEvent.objects.filter(verb="delivery_photo.add").count() == 1


def test_not_an_image_is_refused(delivery, staff):
    with pytest.raises(InvalidAttachment) as error:
        services.delivery_photo_add(
            actor=staff,
            delivery=delivery,
            upload=upload(b"%PDF-1.4 not a photo %%EOF", name="x.jpg"),
        )
    assert error.value.status == 400
    assert not DeliveryPhoto.objects.exists()


@override_settings(WISH_ATTACHMENT_MAX_BYTES=1000)
def test_too_large_is_refused(delivery, staff):
    big = jpeg_bytes(size=(400, 400))
    assert len(big) > 1000
    with pytest.raises(InvalidAttachment) as error:
        services.delivery_photo_add(actor=staff, delivery=delivery, upload=upload(big))
    assert "1000" not in str(error.value) and "0 MB" in str(error.value)
    assert not DeliveryPhoto.objects.exists()


def test_staff_elsewhere_may_not_add_photos(delivery, south_staff):
    with pytest.raises(NotPermitted):
        services.delivery_photo_add(
            actor=south_staff, delivery=delivery, upload=upload(jpeg_bytes())
        )


def _post_photo(client, delivery, data, name="x.jpg"):
    return client.post(
        reverse("stations:photo_upload", args=[delivery.pk]),
        {"photo": upload(data, name=name), "description": "交接现场"},
    )


def test_upload_view_refuses_a_non_image_in_chinese(client, site, delivery, staff):
    client.force_login(staff)
    response = _post_photo(client, delivery, b"just some text")
    assert response.status_code == 400
    text = response.content.decode()
    assert "无法接收该文件：不是可接受格式的照片" in text
    assert 'value="交接现场"' in text  # the description typed is kept
    assert not DeliveryPhoto.objects.exists()


def test_upload_view_refuses_a_non_image_in_english(client, site, delivery, staff, english):
    client.force_login(staff)
    response = _post_photo(client, delivery, b"just some text")
    assert response.status_code == 400
    assert "This file cannot be accepted: it is not a photo" in response.content.decode()


def test_upload_view_stores_a_photo_and_redirects(client, site, delivery, staff):
    client.force_login(staff)
    response = _post_photo(client, delivery, jpeg_bytes(gps=True))
    assert response.status_code == 302
    assert response["Location"] == reverse("stations:listing_delivery", args=[delivery.listing_id])
    assert DeliveryPhoto.objects.filter(delivery=delivery, description="交接现场").count() == 1


# --- Serving a photo -------------------------------------------------------------------


@pytest.fixture
def photo(delivery, staff):
    return services.delivery_photo_add(actor=staff, delivery=delivery, upload=upload(jpeg_bytes()))


def test_photo_is_served_privately_to_the_stations_staff(client, photo, staff):
    client.force_login(staff)
    response = client.get(reverse("stations:photo", args=[photo.token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")
    assert AuditEvent.objects.filter(verb="delivery_photo.view", actor=staff).count() == 1


def test_photo_is_served_to_the_town_reviewer_above(client, city, make_user, photo):
    from accounts.roles import Role

    client.force_login(make_user(Role.TOWN_REVIEWER, city.north))
    assert client.get(reverse("stations:photo", args=[photo.token])).status_code == 200


def test_photo_is_404_for_another_stations_staff(client, photo, south_staff):
    client.force_login(south_staff)
    response = client.get(reverse("stations:photo", args=[photo.token]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(verb="delivery_photo.view").exists()


def test_photo_is_404_for_a_donor_and_an_unknown_token(client, make_user, photo, staff):
    client.force_login(make_user())
    assert client.get(reverse("stations:photo", args=[photo.token])).status_code == 404
    client.force_login(staff)
    assert client.get(reverse("stations:photo", args=["0" * 32])).status_code == 404


def test_photo_asks_anonymous_users_to_sign_in(client, photo):
    response = client.get(reverse("stations:photo", args=[photo.token]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_delivery_takes_a_limited_number_of_photos(delivery, staff, monkeypatch):
    from stations.exceptions import TooManyPhotos

    monkeypatch.setattr(services, "MAX_PHOTOS_PER_DELIVERY", 2)
    for _ in range(2):
        services.delivery_photo_add(actor=staff, delivery=delivery, upload=upload(jpeg_bytes()))
    with pytest.raises(TooManyPhotos):
        services.delivery_photo_add(actor=staff, delivery=delivery, upload=upload(jpeg_bytes()))
    assert delivery.photos.count() == 2
