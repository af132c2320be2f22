"""Photos of proposals: cleaned of EXIF, only images, at most six, public unless hidden."""

import io

import pytest
from django.urls import reverse
from PIL import Image

from accounts.errors import NotPermitted
from accounts.models import AuditEvent
from projects.exceptions import PhotoPersonalDataUnconfirmed, ReasonRequired, TooManyProjectPhotos
from projects.models import AgendaItem, Photo, ProgressUpdate, Project
from projects.selectors.proposals import proposal_photos
from projects.services import photos as services
from projects.services import proposals as proposal_services
from tests.projects.proposals_fixtures import consultation, jpeg_bytes, propose, upload
from wishes.exceptions import InvalidAttachment

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposal(city, councils):
    return propose(councils.resident, city.north_a)


def _add(actor, proposal, data=None, **kwargs):
    return services.photo_add(
        actor=actor,
        proposal=proposal,
        upload=upload(data or jpeg_bytes(), name="李四家楼道.jpg"),
        no_personal_data=kwargs.pop("no_personal_data", True),
        **kwargs,
    )


def test_exif_and_gps_are_stripped_and_the_name_is_random(proposal, councils):
    raw = jpeg_bytes(gps=True)
    with Image.open(io.BytesIO(raw)) as original:
        assert original.getexif().get_ifd(0x8825)[1] == "N"
    # when
    photo = _add(councils.resident, proposal, raw, description="楼道")
    # then
    with photo.file.open("rb") as stored:
        data = stored.read()
    assert b"Exif" not in data and b"PhoneMaker" not in data
    with Image.open(io.BytesIO(data)) as cleaned:
        assert dict(cleaned.getexif()) == {}
    assert "李四" not in photo.file.name and photo.token in photo.file.name
    event = AuditEvent.objects.get(verb="photo.added")
    assert event.data["proposal"] == proposal.reference


def test_a_non_image_is_refused_with_a_translated_message(proposal, councils):
    with pytest.raises(InvalidAttachment) as refused:
        _add(councils.resident, proposal, b"%PDF-1.4 not a photo %%EOF")
    assert refused.value.status == 400
    assert not Photo.objects.exists()


def test_the_no_personal_data_confirmation_is_required(proposal, councils):
    with pytest.raises(PhotoPersonalDataUnconfirmed):
        _add(councils.resident, proposal, no_personal_data=False)


def test_who_may_add_proposal_photos(proposal, councils, make_user):
    _add(councils.members[2], proposal)  # a council member of the community
    for outsider in (make_user(), councils.south_members[0]):
        with pytest.raises(NotPermitted):
            _add(outsider, proposal)
    proposal_services.proposal_withdraw(actor=councils.resident, proposal=proposal, reason="x")
    with pytest.raises(NotPermitted):  # the proposer, once it is withdrawn
        _add(councils.resident, proposal)


def test_at_most_six_photos(proposal, councils):
    for _ in range(services.MAX_PHOTOS):
        _add(councils.resident, proposal)
    with pytest.raises(TooManyProjectPhotos):
        _add(councils.resident, proposal)
    assert Photo.objects.count() == services.MAX_PHOTOS


def test_a_photo_is_public_until_hidden(client, proposal, councils):
    photo = _add(councils.resident, proposal)
    url = reverse("projects:photo", args=[photo.token])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    # hiding needs a reason and a right in the community
    with pytest.raises(NotPermitted):
        services.photo_hide(actor=councils.resident, photo=photo, reason="有人脸")
    with pytest.raises(ReasonRequired):
        services.photo_hide(actor=councils.station, photo=photo, reason="")
    services.photo_hide(actor=councils.station, photo=photo, reason="照片里有人脸")
    services.photo_hide(actor=councils.reviewer, photo=photo, reason="again")  # a no-op
    assert AuditEvent.objects.filter(verb="photo.hidden").count() == 1
    assert client.get(url).status_code == 404
    assert client.get(reverse("projects:photo", args=["0" * 32])).status_code == 404


def test_progress_photos_are_for_the_station_and_the_minute_keeper(proposal, councils, city):
    # given: a project with a progress update (rows made directly: the delivery part's
    # services are written in parallel)
    item = AgendaItem.objects.create(consultation=consultation(councils.north), proposal=proposal)
    project = Project.objects.create(
        proposal=proposal,
        decided_by=item,
        reference="MP2612-ABCDEF",
        community=city.north_a,
        title=proposal.title,
        description="加装扶手",
        category=proposal.category,
        beneficiaries=proposal.beneficiaries,
        beneficiary_count=proposal.beneficiary_count,
        implementer_kind="station",
        station=city.station_north,
        delivery_way="驿站组织施工",
    )
    update = ProgressUpdate.objects.create(
        project=project, body="扶手已到货", percent=30, posted_by=councils.station
    )
    # when / then
    for allowed in (councils.station, councils.secretary, councils.reviewer):
        assert _add(allowed, proposal, update=update).update == update
    for refused in (councils.resident, councils.members[1], councils.south_station):
        with pytest.raises(NotPermitted):
            _add(refused, proposal, update=update)
    # progress photos do not count against the proposal's own six, nor show on its page
    assert proposal_photos(proposal) == []


def test_staff_hide_a_photo_from_the_page_and_it_is_gone(client, councils, city):
    """A council member hides a photo from the proposal page (with a reason): the photo
    answers 404 and leaves the page; the reason stays in the audit trail."""
    from accounts.models import AuditEvent
    from projects.services.photos import photo_add
    from tests.projects.proposals_fixtures import propose
    from tests.stations.conftest import jpeg_bytes, upload

    proposal = propose(councils.resident, city.north_a, title="路口积水")
    photo = photo_add(
        actor=councils.resident,
        proposal=proposal,
        upload=upload(jpeg_bytes()),
        no_personal_data=True,
    )
    page = reverse("projects:proposal", kwargs={"reference": proposal.reference})
    photo_url = reverse("projects:photo", kwargs={"token": photo.token})
    client.force_login(councils.resident)  # the proposer may not take photos down
    assert "photo_hide" not in client.get(page).content.decode()
    assert photo.token in client.get(page).content.decode()

    client.force_login(councils.members[1])
    hide = reverse("projects:photo_hide", kwargs={"token": photo.token})
    assert f'action="{hide}"' in client.get(page).content.decode()
    response = client.post(hide, {"reason": "", "next": page})
    assert response.status_code == 302 and client.get(photo_url).status_code == 200  # no reason
    response = client.post(hide, {"reason": "照片里有门牌号", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == page  # not off-site
    assert client.get(photo_url).status_code == 404
    assert photo.token not in client.get(page).content.decode()
    assert AuditEvent.objects.get(verb="photo.hidden").reason == "照片里有门牌号"
