"""Photo evidence, cleaned the one way the project cleans photos: ``wishes.attachments``.

This module only adapts that code to a delivery (size checks before and while reading,
then ``clean_photo``: Pillow re-encode, EXIF and GPS dropped, pixel cap); nothing is copied.
"""

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from wishes import attachments
from wishes.attachments import CleanFile
from wishes.exceptions import InvalidAttachment


def clean_upload(upload: UploadedFile, *, limit: int) -> CleanFile:
    """Read *upload* (at most *limit* bytes) and return it as a clean photo.

    Raises:
        InvalidAttachment: too large, empty, or not a photo in an accepted format.
    """
    # Decided on the declared size first: a huge upload is refused without reading it.
    if upload.size is None or upload.size > limit:
        raise attachments._too_large(limit)
    if upload.size == 0:
        raise InvalidAttachment(why=_("the file is empty"))
    data = attachments._read(upload, limit)
    return attachments.clean_photo(data)
