"""Photos of proposals, progress and acceptance: re-encoded without EXIF or GPS, stored
privately under a random name and served publicly by token (their uploader confirmed they
show no personal data); council staff, reviewers and the station can hide one.
"""

import secrets

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from accounts import audit
from accounts.errors import NotPermitted
from accounts.models import User
from projects import rules
from projects.exceptions import (
    PhotoPersonalDataUnconfirmed,
    ReasonRequired,
    TooManyProjectPhotos,
)
from projects.models import Acceptance, Council, Photo, ProgressUpdate, Proposal, ProposalStatus
from stations import photos as cleaning
from wishes.attachments import file_first

MAX_PHOTOS = 6  # per proposal, per progress update, per acceptance


def _may_add(actor: User, proposal: Proposal, *, staff_context: bool) -> bool:
    if staff_context:
        if rules.may_run(actor, proposal.community):
            return True
        council = Council.objects.filter(community_id=proposal.community_id).first()
        return council is not None and rules.may_keep_minutes(actor, council)
    if proposal.proposed_by_id == getattr(actor, "pk", None) and proposal.status in (
        ProposalStatus.OPEN,
        ProposalStatus.TABLED,
    ):
        return True
    return rules.may_table(actor, proposal.community)


def photo_add(
    *,
    actor: User,
    proposal: Proposal,
    upload: UploadedFile,
    description: str = "",
    no_personal_data: bool,
    update: ProgressUpdate | None = None,
    acceptance: Acceptance | None = None,
) -> Photo:
    """Store a public photo of a proposal (or of a project's progress update or
    acceptance, passing the proposal it grew from), re-encoded, under a random name.

    Raises:
        NotPermitted: for a proposal photo, neither its proposer (while open or tabled) nor
            allowed to table there; for an update or acceptance photo, neither the station
            running the project nor the council's minute keeper.
        PhotoPersonalDataUnconfirmed: the uploader did not confirm it shows no personal data.
        TooManyProjectPhotos: the proposal, update or acceptance has its maximum already.
        wishes.exceptions.InvalidAttachment: too large, empty, or not a photo.
    """
    staff_context = update is not None or acceptance is not None
    if not getattr(actor, "is_authenticated", False) or not _may_add(
        actor, proposal, staff_context=staff_context
    ):
        raise NotPermitted()
    if not no_personal_data:
        raise PhotoPersonalDataUnconfirmed()
    same_place = Photo.objects.filter(proposal=proposal, update=update, acceptance=acceptance)
    if same_place.count() >= MAX_PHOTOS:
        raise TooManyProjectPhotos(count=MAX_PHOTOS)
    clean = cleaning.clean_upload(upload, limit=settings.WISH_ATTACHMENT_MAX_BYTES)
    photo = Photo(
        proposal=proposal,
        update=update,
        acceptance=acceptance,
        token=secrets.token_hex(16),
        extension=clean.extension,
        content_type=clean.content_type,
        size=len(clean.content),
        description=(description or "").strip()[:120],
        uploaded_by=actor,
    )
    with file_first(photo, clean.content), transaction.atomic():
        # Checked again under the proposal's lock: its status may have moved, and two
        # uploads at once must not pass the cap.
        locked = (
            Proposal.objects.select_for_update(of=("self",))
            .select_related("community")
            .get(pk=proposal.pk)
        )
        if not _may_add(actor, locked, staff_context=staff_context):
            raise NotPermitted()
        if same_place.count() >= MAX_PHOTOS:
            raise TooManyProjectPhotos(count=MAX_PHOTOS)
        photo.save()
        audit.record(
            actor=actor,
            verb="photo.added",
            target=photo,
            region=proposal.community,
            data={
                "proposal": proposal.reference,
                "update": update.pk if update else None,
                "acceptance": acceptance.pk if acceptance else None,
                "size": photo.size,
            },
        )
    return photo


def photo_hide(*, actor: User, photo: Photo, reason: str) -> Photo:
    """Hide a photo from the public (it shows something it should not). Idempotent.

    Raises:
        NotPermitted: may not table, review or run projects in the photo's community.
        ReasonRequired: no reason given.
    """
    community = Proposal.objects.select_related("community").get(pk=photo.proposal_id).community
    if not rules.may_hide_photos(actor, community):
        raise NotPermitted()
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    with transaction.atomic():
        locked = Photo.objects.select_for_update().get(pk=photo.pk)
        if locked.hidden:
            return locked
        locked.hidden = True
        locked.save(update_fields=["hidden"])
        audit.record(
            actor=actor, verb="photo.hidden", target=locked, region=community, reason=reason
        )
    return locked
