"""Private attachments: what gets in (re-encoded photos, real PDFs), who gets them out."""

import io

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from PIL import ExifTags, Image, PngImagePlugin

from accounts.errors import InvalidTransition, NotPermitted
from accounts.models import AuditEvent
from accounts.roles import Role
from tests.wishes.factories import make_wish
from wishes import attachments, services
from wishes.exceptions import InvalidAttachment
from wishes.models import Attachment, Status
from wishes.views.files import attachments_context

MB = 1024 * 1024


# --- Files to upload --------------------------------------------------------------------


def jpeg_with_gps() -> bytes:
    """A 40×20 photo whose EXIF says: rotate 90°, taken at a GPS position, by SecretCam."""
    image = Image.new("RGB", (40, 20), (200, 30, 30))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (22.0, 59.0, 30.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (113.0, 45.0, 10.0),
    }
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"home of SECRET person")
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # precondition
    return data


def png(*, alpha: bool) -> bytes:
    image = Image.new(
        "RGBA" if alpha else "RGB", (30, 30), (10, 120, 200, 128)[: 4 if alpha else 3]
    )
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "address of SECRET person")
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=text)
    return out.getvalue()


PDF = (
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
    b"trailer <</Root 1 0 R>>\n%%EOF\n"
)
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
LINUX_ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200


def upload(name: str, data: bytes, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


class HugeUpload(SimpleUploadedFile):
    """Claims 50 MB without holding it; reading it at all fails the test."""

    def __init__(self):
        super().__init__("huge.jpg", b"", content_type="image/jpeg")
        self.size = 50 * MB

    def read(self, *args, **kwargs):
        raise AssertionError("a file over the limit must be refused before it is read")

    def chunks(self, *args, **kwargs):
        raise AssertionError("a file over the limit must be refused before it is read")


def stored_files() -> set[str]:
    """Every file in the private storage (InMemoryStorage in tests)."""
    storage = storages["private"]

    def walk(folder: str) -> set[str]:
        try:
            dirs, files = storage.listdir(folder)
        except FileNotFoundError:
            return set()
        found = {f"{folder}/{f}" for f in files}
        for d in dirs:
            found |= walk(f"{folder}/{d}")
        return found

    return walk("wishes")


@pytest.fixture
def wish(city, people):
    return make_wish(people.north_staff, city.north_a, status=Status.ACCEPTED)


def post_file(client, wish, data, name, content_type, kind, description="门窗照片"):
    return client.post(
        reverse("wishes:attachment_upload", args=[wish.pk]),
        {
            "kind": kind,
            "description": description,
            "file": upload(name, data, content_type),
            "next": "/zh-hans/",
        },
    )


# --- Photos are re-encoded without metadata ---------------------------------------------


@pytest.mark.django_db
def test_a_jpeg_with_gps_is_stored_upright_re_encoded_and_without_exif(client, wish, people):
    client.force_login(people.north_staff)

    response = post_file(
        client, wish, jpeg_with_gps(), "IMG_0001 陈秘密家.jpg", "image/jpeg", "photo"
    )

    assert response.status_code == 302 and response["Location"] == "/zh-hans/"
    item = Attachment.objects.get(wish=wish)
    assert (item.kind, item.extension, item.content_type) == ("photo", "jpg", "image/jpeg")
    assert item.file.name == f"wishes/{wish.pk}/{item.token}.jpg"
    assert "IMG_0001" not in item.file.name and len(item.token) == 32
    with item.file.open("rb") as f:
        stored = f.read()
    assert item.size == len(stored)
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG"
    assert image.size == (20, 40)  # the orientation was applied to the pixels ...
    assert not image.getexif()  # ... and the EXIF (GPS, camera, orientation) is gone
    assert "exif" not in image.info and "comment" not in image.info
    assert b"SecretCam" not in stored and b"SECRET" not in stored
    # The audit trail records the upload, but not the file's name.
    event = AuditEvent.objects.get(verb="attachment.add")
    assert event.actor == people.north_staff and event.data["wish"] == wish.pk
    assert "IMG_0001" not in str(event.data) and "IMG_0001" not in event.target_label


@pytest.mark.django_db
def test_a_transparent_png_stays_png_and_loses_its_text_chunks(wish, people):
    item = attachments.attachment_add(
        actor=people.north_staff,
        wish=wish,
        upload=upload("sign.png", png(alpha=True), "image/png"),
        kind="photo",
    )
    with item.file.open("rb") as f:
        stored = f.read()
    image = Image.open(io.BytesIO(stored))
    assert (item.extension, item.content_type, image.format) == ("png", "image/png", "PNG")
    assert image.mode == "RGBA" and b"SECRET" not in stored and "Comment" not in image.info


@pytest.mark.django_db
def test_an_opaque_png_becomes_a_jpeg(wish, people):
    item = attachments.attachment_add(
        actor=people.north_staff,
        wish=wish,
        upload=upload("scan.png", png(alpha=False), "image/png"),
        kind="photo",
    )
    assert (item.extension, item.content_type) == ("jpg", "image/jpeg")


def _encoded(fmt: str, mode: str, **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, (16, 16)).save(out, fmt, **save)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "extension"),
    [
        (_encoded("WEBP", "RGB"), "jpg"),
        (_encoded("GIF", "P"), "jpg"),
        (_encoded("GIF", "P", transparency=0), "png"),
    ],
    ids=["webp", "gif", "transparent-gif"],
)
def test_other_photo_formats_are_re_encoded(data, extension):
    clean = attachments.clean_photo(data)
    assert clean.extension == extension
    assert Image.open(io.BytesIO(clean.content)).format == {"jpg": "JPEG", "png": "PNG"}[extension]


@pytest.mark.django_db
def test_a_large_photo_is_scaled_down(wish, people):
    out = io.BytesIO()
    Image.new("RGB", (6000, 1500), (90, 90, 90)).save(out, "JPEG")
    item = attachments.attachment_add(
        actor=people.north_staff,
        wish=wish,
        upload=upload("wide.jpg", out.getvalue(), "image/jpeg"),
        kind="photo",
    )
    with item.file.open("rb") as f:
        assert max(Image.open(f).size) <= attachments.MAX_SIDE


@pytest.mark.django_db
def test_a_pdf_is_stored_as_sent(client, wish, people):
    client.force_login(people.north_staff)

    response = post_file(client, wish, PDF, "住院发票 陈秘密.pdf", "application/pdf", "document")

    assert response.status_code == 302
    item = Attachment.objects.get(wish=wish)
    assert (item.kind, item.extension, item.content_type) == ("document", "pdf", "application/pdf")
    assert item.file.name == f"wishes/{wish.pk}/{item.token}.pdf"
    with item.file.open("rb") as f:
        assert f.read() == PDF


# --- Refusals: 4xx with a reason, nothing stored ----------------------------------------


@pytest.mark.django_db
def test_a_50_mb_upload_is_refused_before_it_is_read(wish, people):
    before = stored_files()
    with pytest.raises(InvalidAttachment) as caught:
        attachments.attachment_add(
            actor=people.north_staff, wish=wish, upload=HugeUpload(), kind="photo"
        )
    assert "10 MB" in str(caught.value)
    assert not Attachment.objects.exists() and stored_files() == before


@pytest.mark.django_db
def test_an_upload_over_the_limit_gets_400_and_stores_nothing(
    client, wish, people, settings, english
):
    settings.WISH_ATTACHMENT_MAX_BYTES = 2 * MB
    client.force_login(people.north_staff)
    before = stored_files()

    response = post_file(
        client, wish, PDF + b"\0" * (2 * MB), "big.pdf", "application/pdf", "document"
    )

    assert response.status_code == 400
    assert "This file cannot be accepted: it is larger than 2 MB" in response.content.decode()
    assert not Attachment.objects.exists() and stored_files() == before
    assert not AuditEvent.objects.filter(verb="attachment.add").exists()


@pytest.mark.django_db
def test_a_file_that_lies_about_its_size_is_cut_off_while_reading(wish, people, settings):
    settings.WISH_ATTACHMENT_MAX_BYTES = 1000
    liar = upload("small.pdf", PDF + b"\0" * 5000, "application/pdf")
    liar.size = 500
    with pytest.raises(InvalidAttachment):
        attachments.attachment_add(
            actor=people.north_staff, wish=wish, upload=liar, kind="document"
        )
    assert not Attachment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("payload", [WINDOWS_EXE, LINUX_ELF], ids=["exe", "elf"])
def test_an_executable_renamed_jpg_is_refused(client, wish, people, english, payload):
    client.force_login(people.north_staff)
    before = stored_files()

    response = post_file(client, wish, payload, "evil.jpg", "image/jpeg", "photo")

    assert response.status_code == 400
    assert "it is not a photo in a format we accept" in response.content.decode()
    assert not Attachment.objects.exists() and stored_files() == before


@pytest.mark.django_db
def test_a_text_file_named_pdf_is_refused(client, wish, people, english):
    client.force_login(people.north_staff)

    response = post_file(
        client, wish, b"just some text, not a PDF\n", "doc.pdf", "application/pdf", "document"
    )

    assert response.status_code == 400
    assert "it is not a PDF document" in response.content.decode()
    assert not Attachment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PDF, "photo"),  # a PDF is not a photo
        (png(alpha=False), "document"),  # a photo is not a PDF
        (b"%PDF-1.4\n<script>alert(1)</script>", "document"),  # a header alone is not a PDF
        (jpeg_with_gps()[:200], "photo"),  # a truncated photo
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "photo"),
        (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "photo"),  # never Ghostscript
        (_encoded("BMP", "RGB"), "photo"),  # a real image, but not a format we accept
    ],
    ids=[
        "pdf-as-photo",
        "png-as-document",
        "pdf-header-only",
        "truncated-jpeg",
        "svg",
        "eps",
        "bmp",
    ],
)
def test_files_that_are_not_what_they_claim_are_refused(wish, people, data, kind):
    with pytest.raises(InvalidAttachment):
        attachments.attachment_add(
            actor=people.north_staff, wish=wish, upload=upload("x", data, "image/jpeg"), kind=kind
        )
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_a_decompression_bomb_is_refused(wish, people, english):
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, "PNG")  # 48 million pixels in a few kilobytes
    assert len(out.getvalue()) < 100_000
    with pytest.raises(InvalidAttachment) as caught:
        attachments.attachment_add(
            actor=people.north_staff,
            wish=wish,
            upload=upload("bomb.png", out.getvalue(), "image/png"),
            kind="photo",
        )
    assert "more than 40 million pixels" in str(caught.value)


@pytest.mark.django_db
def test_an_empty_file_is_refused(client, wish, people):
    client.force_login(people.north_staff)
    response = post_file(client, wish, b"", "empty.pdf", "application/pdf", "document")
    assert response.status_code == 400 and not Attachment.objects.exists()


@pytest.mark.django_db
def test_a_wish_holds_a_limited_number_of_files(wish, people, monkeypatch):
    monkeypatch.setattr(attachments, "MAX_PER_WISH", 1)
    attachments.attachment_add(
        actor=people.north_staff, wish=wish, upload=upload("a.pdf", PDF, "x"), kind="document"
    )
    with pytest.raises(InvalidAttachment):
        attachments.attachment_add(
            actor=people.north_staff, wish=wish, upload=upload("b.pdf", PDF, "x"), kind="document"
        )


@pytest.mark.django_db
def test_the_service_refuses_the_wrong_area_and_closed_wishes(wish, people, make_user, city):
    with pytest.raises(NotPermitted):
        attachments.attachment_add(
            actor=people.south_staff, wish=wish, upload=upload("a.pdf", PDF, "x"), kind="document"
        )
    volunteer = make_user(Role.VOLUNTEER, city.north_a)
    with pytest.raises(NotPermitted):
        attachments.attachment_add(
            actor=volunteer, wish=wish, upload=upload("a.pdf", PDF, "x"), kind="document"
        )
    services.wish_withdraw(actor=people.north_staff, wish=wish, reason="已通过其他渠道解决")
    wish.refresh_from_db()
    with pytest.raises(InvalidTransition):
        attachments.attachment_add(
            actor=people.north_staff, wish=wish, upload=upload("a.pdf", PDF, "x"), kind="document"
        )


# --- Who may upload and read ------------------------------------------------------------


@pytest.fixture
def photo(wish, people):
    return attachments.attachment_add(
        actor=people.north_staff,
        wish=wish,
        upload=upload("roof.jpg", jpeg_with_gps(), "image/jpeg"),
        kind="photo",
        description="屋顶漏雨",
    )


@pytest.mark.django_db
def test_another_areas_staff_get_404_on_upload_and_download(client, wish, photo, people):
    client.force_login(people.south_staff)

    upload_response = post_file(client, wish, PDF, "a.pdf", "application/pdf", "document")
    download = client.get(reverse("wishes:attachment", args=[photo.token]))

    assert upload_response.status_code == 404 and download.status_code == 404
    assert Attachment.objects.count() == 1
    assert not AuditEvent.objects.filter(verb="attachment.view").exists()


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_sign_in(client, wish, photo):
    for response in (
        client.get(reverse("wishes:attachment", args=[photo.token])),
        post_file(client, wish, PDF, "a.pdf", "application/pdf", "document"),
    ):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_a_download_is_streamed_with_safe_headers_and_audited(client, photo, people):
    client.force_login(people.north_staff)
    with storages["private"].open(photo.file.name) as f:
        stored = f.read()

    response = client.get(reverse("wishes:attachment", args=[photo.token]))

    assert response.status_code == 200
    assert stored and b"".join(response.streaming_content) == stored
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == f'inline; filename="{photo.token}.jpg"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp and "script-src" not in csp
    event = AuditEvent.objects.get(verb="attachment.view")
    assert event.actor == people.north_staff and event.target_id == str(photo.pk)
    assert event.region == photo.wish.station.community


@pytest.mark.django_db
def test_a_pdf_download_lets_the_browsers_viewer_show_it_and_nothing_else(client, wish, people):
    item = attachments.attachment_add(
        actor=people.north_staff, wish=wish, upload=upload("a.pdf", PDF, "x"), kind="document"
    )
    client.force_login(people.north_staff)
    response = client.get(reverse("wishes:attachment", args=[item.token]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{item.token}.pdf"'
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "object-src 'self'" in csp and "script-src" not in csp


@pytest.mark.django_db
def test_other_staff_of_the_area_with_private_access_may_download(
    client, photo, make_user, city, people
):
    colleague = make_user(Role.STATION_STAFF, city.north_a, email="colleague@example.org")
    for user in (colleague, people.north_reviewer, make_user(Role.SUPERVISOR, city.north)):
        client.force_login(user)
        assert client.get(reverse("wishes:attachment", args=[photo.token])).status_code == 200
    assert AuditEvent.objects.filter(verb="attachment.view").count() == 3


@pytest.mark.django_db
def test_a_volunteer_of_the_area_gets_404(client, photo, make_user, city, wish):
    volunteer = make_user(Role.VOLUNTEER, city.north_a)
    client.force_login(volunteer)
    assert client.get(reverse("wishes:attachment", args=[photo.token])).status_code == 404
    assert post_file(client, wish, PDF, "a.pdf", "x", "document").status_code == 404


@pytest.mark.django_db
def test_an_unknown_token_is_404(client, people):
    client.force_login(people.north_staff)
    assert client.get(reverse("wishes:attachment", args=["0" * 32])).status_code == 404


@pytest.mark.django_db
def test_the_upload_page_only_takes_post(client, wish, people):
    client.force_login(people.north_staff)
    assert client.get(reverse("wishes:attachment_upload", args=[wish.pk])).status_code == 405


@pytest.mark.django_db
def test_next_must_stay_on_this_site(client, wish, people):
    client.force_login(people.north_staff)
    response = client.post(
        reverse("wishes:attachment_upload", args=[wish.pk]),
        {"kind": "document", "file": upload("a.pdf", PDF, "x"), "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and response["Location"] == reverse(
        "wishes:staff_detail", args=[wish.pk]
    )


@pytest.mark.django_db
def test_download_query_count(client, photo, people, django_assert_num_queries):
    client.force_login(people.north_staff)
    url = reverse("wishes:attachment", args=[photo.token])
    client.get(url)  # warm the content-type cache
    # session, user, attachment with wish/station/community, role scopes, audit insert
    with django_assert_num_queries(5):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_upload_query_count(client, wish, people, django_assert_num_queries):
    client.force_login(people.north_staff)
    post_file(client, wish, PDF, "a.pdf", "application/pdf", "document")  # warm caches
    # session, user, role scopes, the wish, file count, insert, audit insert, savepoints
    with django_assert_num_queries(9):
        response = post_file(client, wish, PDF, "b.pdf", "application/pdf", "document")
    assert response.status_code == 302 and Attachment.objects.count() == 2


# --- The include for the staff page -----------------------------------------------------


@pytest.mark.django_db
def test_the_include_lists_files_and_offers_the_form_to_staff(photo, people, wish):
    request = RequestFactory().get("/zh-hans/staff/wishes/1/")
    request.user = people.north_staff
    context = {"wish": wish, "request": request, **attachments_context(people.north_staff, wish)}
    html = render_to_string("wishes/files/attachments.html", context, request=request)
    assert reverse("wishes:attachment", args=[photo.token]) in html
    assert reverse("wishes:attachment_upload", args=[wish.pk]) in html
    assert 'enctype="multipart/form-data"' in html and "屋顶漏雨" in html


@pytest.mark.django_db
def test_the_include_shows_no_files_to_those_who_may_not_open_them(
    photo, wish, make_user, city, django_assert_num_queries
):
    supervisor_elsewhere = make_user(Role.SUPERVISOR, city.south)
    volunteer = make_user(Role.VOLUNTEER, city.north_a)
    for user in (supervisor_elsewhere, volunteer):
        user = type(user).objects.get(pk=user.pk)
        with django_assert_num_queries(1):  # the user's roles; no file list
            context = attachments_context(user, wish)
        assert context["attachments"] == [] and context["attachment_form"] is None
        request = RequestFactory().get("/")
        request.user = user
        html = render_to_string(
            "wishes/files/attachments.html", {"wish": wish, **context}, request=request
        )
        assert photo.token not in html and "<form" not in html


@pytest.mark.django_db
def test_the_description_is_escaped(wish, people):
    item = attachments.attachment_add(
        actor=people.north_staff,
        wish=wish,
        upload=upload("a.pdf", PDF, "x"),
        kind="document",
        description="<script>alert(1)</script>",
    )
    request = RequestFactory().get("/")
    request.user = people.north_staff
    html = render_to_string(
        "wishes/files/attachments.html",
        {"wish": wish, **attachments_context(people.north_staff, wish)},
        request=request,
    )
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert item.token in html


def test_a_failure_after_the_file_is_written_leaves_no_file(wish, people, monkeypatch):
    """``file_first``: the row's transaction fails after the file was written, so the file
    is deleted too (the same helper stores delivery and project photos)."""
    before = stored_files()

    def fail(**kwargs):
        raise RuntimeError("the audit trail is down")

    monkeypatch.setattr(attachments.audit, "record", fail)
    with pytest.raises(RuntimeError):
        attachments.attachment_add(
            actor=people.north_staff,
            wish=wish,
            upload=upload("sign.png", png(alpha=True), "image/png"),
            kind="photo",
        )
    assert not Attachment.objects.exists() and stored_files() == before
