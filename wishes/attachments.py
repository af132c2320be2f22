"""Private attachments of a wish: photos (re-encoded, metadata stripped) and PDF documents.

An uploaded file is never trusted: not its name, not the browser's content type, not its
size claim beyond the first check. Photos are decoded by Pillow (a fixed list of raster
formats, a pixel cap against decompression bombs) and written out afresh as JPEG, or PNG when
they are transparent, which drops EXIF (GPS position, camera, time) and every other metadata
chunk. Documents must be PDF by their first bytes. The stored name is a random token.
"""

import io
import secrets
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts import audit
from accounts.errors import InvalidTransition, NotPermitted
from accounts.models import User
from accounts.permissions import has_perm
from accounts.roles import Perm
from wishes.exceptions import InvalidAttachment
from wishes.models import Attachment, AttachmentKind, Status, Wish
from wishes.services import wish_region

# Raster formats a phone or scanner produces. Never EPS/PS (Pillow hands those to
# Ghostscript), never formats with scripting or external references.
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; decoding costs ~120 MB of memory at most
MAX_SIDE = 3000  # evidence photos are stored at most this many pixels wide or high
JPEG_QUALITY = 85
MAX_PER_WISH = 30
CLOSED = (Status.REJECTED, Status.WITHDRAWN)


@dataclass(frozen=True)
class CleanFile:
    content: bytes
    extension: str
    content_type: str


def _refuse(why: str) -> InvalidAttachment:
    return InvalidAttachment(why=why)


def _read(upload: UploadedFile, limit: int) -> bytes:
    """The upload's bytes, read in chunks and abandoned as soon as they pass *limit*
    (a file object may claim a smaller size than it has)."""
    buffer = io.BytesIO()
    upload.seek(0)
    for chunk in upload.chunks():
        buffer.write(chunk)
        if buffer.tell() > limit:
            raise _too_large(limit)
    return buffer.getvalue()


def _too_large(limit: int) -> InvalidAttachment:
    return _refuse(_("it is larger than %(megabytes)d MB") % {"megabytes": limit // (1024 * 1024)})


def _not_a_photo() -> InvalidAttachment:
    return _refuse(_("it is not a photo in a format we accept (JPEG, PNG, WebP or GIF)"))


def _open(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data), formats=PHOTO_FORMATS)


def clean_photo(data: bytes) -> CleanFile:
    """Decode *data* as a photo and encode it again without any metadata.

    The EXIF orientation is applied to the pixels first (so the photo stays upright once the
    tag is gone), large photos are scaled down to ``MAX_SIDE``, and the result is JPEG, or PNG
    if the photo has transparency.

    Raises:
        InvalidAttachment: not an image in ``PHOTO_FORMATS``, broken, or too many pixels.
    """
    try:
        with warnings.catch_warnings():
            # Pillow warns above Image.MAX_IMAGE_PIXELS and raises above twice that; our own
            # cap is lower still and is checked before any pixel is decoded.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with _open(data) as probe:
                if probe.width * probe.height > MAX_PIXELS:
                    raise _refuse(
                        _("the photo has more than %(megapixels)d million pixels")
                        % {"megapixels": MAX_PIXELS // 1_000_000}
                    )
                probe.verify()  # structure and checksums; the image is unusable afterwards
            with _open(data) as image:
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at a smaller scale
                upright = ImageOps.exif_transpose(image)  # decodes the pixels: may raise
    except InvalidAttachment:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        TypeError,
        IndexError,
        struct.error,
    ) as exc:
        raise _not_a_photo() from exc
    upright.thumbnail((MAX_SIDE, MAX_SIDE))
    transparent = upright.mode in ("RGBA", "LA", "PA") or (
        upright.mode == "P" and "transparency" in upright.info
    )
    clean = upright.convert("RGBA" if transparent else "RGB")
    clean.info = {}  # comments, ICC profiles, text chunks: nothing of the original travels
    out = io.BytesIO()
    if transparent:
        clean.save(out, "PNG", optimize=True)
        return CleanFile(out.getvalue(), "png", "image/png")
    clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return CleanFile(out.getvalue(), "jpg", "image/jpeg")


def clean_pdf(data: bytes) -> CleanFile:
    """Accept *data* as a PDF if it is one by its content (not by name or declared type).

    Raises:
        InvalidAttachment: it does not start with the PDF header or lacks the end marker.
    """
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-2048:]:
        raise _refuse(_("it is not a PDF document"))
    return CleanFile(data, "pdf", "application/pdf")


@contextmanager
def file_first(instance, content: bytes) -> Iterator[None]:
    """Write *instance*'s file, then let the block save its row: if the block fails, the
    file is deleted too, so no file is left without its row. Nest the block's
    ``transaction.atomic()`` inside this, so the rollback comes first."""
    instance.file.save("upload", ContentFile(content), save=False)
    try:
        yield
    except BaseException:
        instance.file.storage.delete(instance.file.name)
        raise


def attachment_add(
    *, actor: User, wish: Wish, upload: UploadedFile, kind: str, description: str = ""
) -> Attachment:
    """Store a photo or PDF for *wish* under a random name, and audit it (without the name).

    Raises:
        NotPermitted: *actor* may neither verify nor take in wishes in the wish's area.
        InvalidTransition: the wish was rejected or withdrawn.
        InvalidAttachment: too large, empty, not what it claims to be, or too many files.
    """
    region = wish_region(wish)
    if not (has_perm(actor, Perm.WISH_VERIFY, region) or has_perm(actor, Perm.WISH_INTAKE, region)):
        raise NotPermitted()
    if wish.status in CLOSED:
        raise InvalidTransition(current=wish.get_status_display())
    if kind not in AttachmentKind.values:
        raise _refuse(_("choose whether it is a photo or a document"))
    limit = settings.WISH_ATTACHMENT_MAX_BYTES
    # Decided on the declared size first: a huge upload is refused without reading it.
    if upload.size is None or upload.size > limit:
        raise _too_large(limit)
    if upload.size == 0:
        raise _refuse(_("the file is empty"))
    if wish.attachments.count() >= MAX_PER_WISH:
        raise _refuse(_("a wish can have at most %(count)d files") % {"count": MAX_PER_WISH})
    data = _read(upload, limit)
    clean = clean_photo(data) if kind == AttachmentKind.PHOTO else clean_pdf(data)

    attachment = Attachment(
        wish=wish,
        kind=kind,
        token=secrets.token_hex(16),
        extension=clean.extension,
        content_type=clean.content_type,
        size=len(clean.content),
        description=description.strip()[:120],
        uploaded_by=actor,
    )
    with file_first(attachment, clean.content), transaction.atomic():
        attachment.save()
        audit.record(
            actor=actor,
            verb="attachment.add",
            target=attachment,
            region=region,
            data={
                "wish": wish.pk,
                "kind": kind,
                "content_type": clean.content_type,
                "size": attachment.size,
            },
        )
    return attachment
