"""Writes of the feedback app: send a one-time link, answer it, follow up, handle cases.

Each write is one transaction, guards itself (a call from a task, the shell or the admin is
as safe as one from a view) and is audited without personal data: the respondent appears
only as ids, never by name, phone, address or the raw token. The raw token exists only in
the message sent; the database keeps its SHA-256 hash.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts import audit
from accounts.errors import InvalidTransition, LinliError, NotPermitted
from accounts.models import Region, User
from accounts.permissions import has_perm
from accounts.roles import Perm
from accounts.sms import send_sms
from accounts.transitions import Workflow
from accounts.workdays import add_working_days, working_days_between
from feedback.exceptions import (
    AlreadyAnswered,
    BadAddress,
    InvalidScore,
    LinkNotValid,
    LinkStillOpen,
    NoAddresses,
    NoContact,
    NoRespondent,
    NotDelivered,
    NoteRequired,
    TooManyAddresses,
)
from feedback.models import (
    Case,
    CaseStatus,
    ConfirmationLink,
    FollowUp,
    FollowUpStatus,
    LinkChannel,
    Rating,
    RatingChannel,
    hash_token,
)
from marketplace.models import Listing, ListingKind, ListingStatus

logger = logging.getLogger(__name__)

# A link is sent once the listing is delivered (or later, once it is closed).
RATEABLE = (ListingStatus.DELIVERED, ListingStatus.CLOSED)
# Longer than any token_urlsafe(32) (43 characters): refuse absurd input before hashing.
MAX_TOKEN_LENGTH = 64
CASE_SCORE_AT_MOST = 2
ON_BEHALF_CHANNELS = (RatingChannel.FOLLOW_UP_VISIT, RatingChannel.PHONE)

CASE = Workflow(
    "feedback.case",
    {
        CaseStatus.OPEN: {CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED},
        CaseStatus.IN_PROGRESS: {CaseStatus.RESOLVED},
        # Reopened when the resolution did not hold.
        CaseStatus.RESOLVED: {CaseStatus.IN_PROGRESS},
    },
)


def link_days() -> int:
    return settings.FEEDBACK_LINK_DAYS


def follow_up_days() -> int:
    return settings.FEEDBACK_FOLLOW_UP_DAYS


def visit_days() -> int:
    return settings.FEEDBACK_VISIT_DAYS


def case_days() -> int:
    return settings.FEEDBACK_CASE_DAYS


def respond_url(token: str, language: str | None = None) -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        return settings.SITE_URL + reverse("feedback:respond", args=[token])


def town_of(listing: Listing) -> Region:
    """The town above the listing's community (where its cases go)."""
    community = listing.community
    return community.parent if community.parent_id else community


def may_log(user: User, listing: Listing) -> bool:
    return has_perm(user, Perm.DELIVERY_LOG, listing.community)


def may_handle_case(user: User, case: Case) -> bool:
    return has_perm(user, Perm.WISH_REVIEW, case.town)


# --- Sending the link -------------------------------------------------------------------


@dataclass(frozen=True)
class _Respondent:
    household_id: int | None
    address: str  # phone or email; used to send, never stored or logged
    language: str


def _wish_respondent(listing: Listing, channel: str) -> _Respondent:
    from wishes.models import Wish

    if listing.kind != ListingKind.WISH:
        raise NoRespondent()
    wish = (
        Wish.objects.select_related("household", "raised_by").filter(pk=listing.source_id).first()
    )
    if wish is None:
        raise NoRespondent()
    user = wish.raised_by
    if channel == LinkChannel.EMAIL:
        address = user.email if user is not None else ""
    else:
        address = str(wish.household.phone) if wish.household.phone else ""
    if not address:
        raise NoContact()
    language = user.preferred_language if user is not None else settings.LANGUAGE_CODE
    return _Respondent(wish.household_id, address, language)


def _send(channel: str, address: str, context: dict, language: str) -> None:
    with translation.override(language):
        if channel == LinkChannel.EMAIL:
            subject = render_to_string("feedback/messages/link_subject.txt", context).strip()
            body = render_to_string("feedback/messages/link_email.txt", context).strip()
            send_mail(subject, body, None, [address])
        else:
            send_sms(address, render_to_string("feedback/messages/link_sms.txt", context).strip())


def _lock_rateable(listing: Listing) -> Listing:
    """Lock *listing* (with its community and town) and check it may be rated.

    Raises:
        NotDelivered: the listing is not delivered yet.
    Caller is inside a transaction.
    """
    listing = (
        Listing.objects.select_for_update(of=("self",))
        .select_related("community__parent")
        .get(pk=listing.pk)
    )
    if listing.status not in RATEABLE:
        raise NotDelivered()
    return listing


def _visit_link(
    *, listing: Listing, household_id: int | None, actor: User, now: datetime, used: bool
) -> ConfirmationLink:
    """A link that is never sent and never usable: it carries an answer staff record on a
    visit (one per respondent, like a sent link)."""
    return ConfirmationLink.objects.create(
        listing=listing,
        household_id=household_id,
        channel=LinkChannel.VISIT,
        token_hash=hash_token(secrets.token_urlsafe(32)),
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=link_days()),
        used_at=now if used else None,
    )


def confirmation_request(
    *, listing: Listing, actor: User, channel: str = LinkChannel.SMS
) -> ConfirmationLink:
    """Send the recipient of a delivered wish listing a one-time link to confirm and rate.

    The message leaves after the commit. The returned link carries the raw token in the
    unsaved attribute ``raw_token`` (for the caller's tests only; it is never stored).

    Raises:
        NotPermitted: *actor* may not log deliveries in the listing's community.
        NotDelivered: the listing is not delivered yet.
        NoRespondent / NoContact: nobody, or no address for *channel*, on record.
        LinkStillOpen: an earlier link to the same respondent can still be answered.
        AlreadyAnswered: the respondent has answered already.
    """
    if channel not in (LinkChannel.SMS, LinkChannel.EMAIL):
        raise LinliError()
    if not may_log(actor, listing):
        raise NotPermitted()
    with transaction.atomic():
        listing = _lock_rateable(listing)
        respondent = _wish_respondent(listing, channel)
        _refuse_second_link(listing, respondent.household_id)
        return _link_issue(listing=listing, actor=actor, channel=channel, respondent=respondent)


def follow_up_request(*, listing: Listing, actor: User) -> FollowUp:
    """Ask a recipient who has no phone or email on record by a visit instead: a link that
    is never sent (so the answer is still one per respondent) and its follow-up, due in
    ``FEEDBACK_VISIT_DAYS`` working days.

    Raises:
        NotPermitted, NotDelivered, NoRespondent, LinkStillOpen, AlreadyAnswered: as
        :func:`confirmation_request`.
    """
    if not may_log(actor, listing):
        raise NotPermitted()
    with transaction.atomic():
        listing = _lock_rateable(listing)
        household_id = _wish_household_id(listing)
        _refuse_second_link(listing, household_id)
        now = timezone.now()
        link = _visit_link(
            listing=listing, household_id=household_id, actor=actor, now=now, used=False
        )
        follow_up = FollowUp.objects.create(
            link=link,
            listing=listing,
            due_on=add_working_days(timezone.localdate(now), visit_days()),
            created_at=now,
        )
        audit.record(
            actor=actor,
            verb="feedback.follow_up.requested",
            target=follow_up,
            region=listing.community,
            data={"listing": listing.reference, "due_on": follow_up.due_on.isoformat()},
        )
    return follow_up


def _wish_household_id(listing: Listing) -> int:
    from wishes.models import Wish

    if listing.kind != ListingKind.WISH:
        raise NoRespondent()
    household_id = (
        Wish.objects.filter(pk=listing.source_id).values_list("household_id", flat=True).first()
    )
    if household_id is None:
        raise NoRespondent()
    return household_id


def _refuse_second_link(listing: Listing, household_id: int | None) -> None:
    """One answer per respondent: a new link only replaces one that expired unanswered."""
    earlier = ConfirmationLink.objects.filter(listing=listing, household_id=household_id)
    if earlier.filter(used_at__isnull=False).exists():
        raise AlreadyAnswered()
    if earlier.open().exists():
        raise LinkStillOpen()


def _link_issue(
    *, listing: Listing, actor: User | None, channel: str, respondent: _Respondent
) -> ConfirmationLink:
    """Create the link and send it after the commit. Caller holds the listing's lock."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    link = ConfirmationLink.objects.create(
        listing=listing,
        household_id=respondent.household_id,
        channel=channel,
        token_hash=hash_token(token),
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=link_days()),
    )
    audit.record(
        actor=actor,
        verb="feedback.link_sent",
        target=link,
        region=listing.community,
        data={"listing": listing.reference, "channel": channel, "days": link_days()},
    )
    context = {
        "title": listing.title,
        "reference": listing.reference,
        "url": respond_url(token, respondent.language),
        "days": link_days(),
    }
    address, language, link_id = respondent.address, respondent.language, link.pk

    def send() -> None:
        try:
            _send(channel, address, context, language)
        except Exception:  # a gateway failure must not undo the delivery; staff can resend
            logger.exception("feedback link %s could not be sent by %s", link_id, channel)
        else:
            logger.info("feedback link %s sent by %s", link_id, channel)

    transaction.on_commit(send)
    link.raw_token = token
    return link


# --- Several beneficiaries (a community project's survey) -------------------------------


def clean_addresses(channel: str, addresses: list[str]) -> list[str]:
    """The addresses, stripped, validated and without repeats (blank lines dropped).

    Raises:
        NoAddresses: none given.
        TooManyAddresses: more than ``PROJECTS_SURVEY_MAX_LINKS``.
        BadAddress: one is not a mobile number (SMS) or an email address (email); the error
            names its line number only, never the address.
    """
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email
    from phonenumber_field.phonenumber import to_python

    cleaned: list[str] = []
    for number, raw in enumerate(addresses, start=1):
        address = (raw or "").strip()
        if not address:
            continue
        if channel == LinkChannel.EMAIL:
            try:
                validate_email(address)
            except ValidationError:
                raise BadAddress(line=number) from None
        else:
            phone = to_python(address, region="CN")
            if phone is None or not getattr(phone, "is_valid", lambda: False)():
                raise BadAddress(line=number)
            address = phone.as_e164
        if address not in cleaned:
            cleaned.append(address)
    if not cleaned:
        raise NoAddresses()
    limit = settings.PROJECTS_SURVEY_MAX_LINKS
    if len(cleaned) > limit:
        raise TooManyAddresses(limit=limit)
    return cleaned


def survey_links_send(
    *, listing: Listing, actor: User, channel: str, addresses: list[str], language: str
) -> list[ConfirmationLink]:
    """Send one one-time link to each of several beneficiaries of a delivered listing.

    The addresses are used to send and are never stored or logged (the links carry no
    household); each message leaves after the commit.

    Raises:
        NotPermitted: *actor* may not log deliveries in the listing's community.
        NotDelivered: the listing is not delivered yet.
        NoAddresses, TooManyAddresses, BadAddress: see :func:`clean_addresses`.
    """
    if channel not in (LinkChannel.SMS, LinkChannel.EMAIL):
        raise LinliError()
    if not may_log(actor, listing):
        raise NotPermitted()
    cleaned = clean_addresses(channel, addresses)
    with transaction.atomic():
        listing = _lock_rateable(listing)
        return [
            _link_issue(
                listing=listing,
                actor=actor,
                channel=channel,
                respondent=_Respondent(None, address, language),
            )
            for address in cleaned
        ]


def rating_record(
    *,
    actor: User,
    listing: Listing,
    score: int,
    received: bool,
    comment: str = "",
    complaint: str = "",
    channel: str = RatingChannel.FOLLOW_UP_VISIT,
    now: datetime | None = None,
) -> Rating:
    """Station staff record one beneficiary's answer (on a visit or by phone): a visit link
    used at once carries the rating, so a low score or complaint opens a case as usual.

    Raises:
        NotPermitted: *actor* may not log deliveries in the listing's community.
        NotDelivered: the listing is not delivered yet.
        InvalidScore: not 1 to 5.
    """
    if channel not in ON_BEHALF_CHANNELS:
        raise LinliError()
    score = _clean_score(score)
    if not may_log(actor, listing):
        raise NotPermitted()
    now = now or timezone.now()
    with transaction.atomic():
        listing = _lock_rateable(listing)
        link = _visit_link(listing=listing, household_id=None, actor=actor, now=now, used=True)
        return _rate(
            listing=listing,
            link=link,
            score=score,
            received=bool(received),
            comment=comment,
            complaint=complaint,
            channel=channel,
            recorded_by=actor,
            now=now,
        )


# --- Answers ----------------------------------------------------------------------------


def _clean_score(score) -> int:
    try:
        value = int(score)
    except (TypeError, ValueError):
        raise InvalidScore() from None
    if not 1 <= value <= 5:
        raise InvalidScore()
    return value


def _claim_link(link: ConfirmationLink, now: datetime, *, require_unexpired: bool) -> bool:
    """Mark the link used in one conditional UPDATE: of two concurrent answers, one wins."""
    rows = ConfirmationLink.objects.filter(pk=link.pk, used_at__isnull=True)
    if require_unexpired:
        rows = rows.filter(expires_at__gt=now)
    claimed = rows.update(used_at=now) == 1
    if claimed:
        link.used_at = now
    return claimed


def _rate(
    *,
    listing: Listing,
    link: ConfirmationLink | None,
    score: int,
    received: bool,
    comment: str,
    complaint: str,
    channel: str,
    recorded_by: User | None,
    now: datetime,
) -> Rating:
    rating = Rating.objects.create(
        listing=listing,
        link=link,
        score=score,
        received=received,
        comment=(comment or "").strip(),
        complaint=(complaint or "").strip(),
        channel=channel,
        recorded_by=recorded_by,
        created_at=now,
    )
    audit.record(
        actor=recorded_by,
        verb="feedback.rated",
        target=rating,
        region=listing.community,
        data={
            "listing": listing.reference,
            "link": link.pk if link else None,
            "score": score,
            "received": received,
            "complaint": bool(rating.complaint),
            "channel": channel,
        },
    )
    if score <= CASE_SCORE_AT_MOST or rating.complaint:
        _case_open(rating=rating, listing=listing, now=now)
    # Donors and sponsors hear once, after the first rating (the task keeps it to once).
    from feedback.tasks import impact_notify

    impact_notify.delay_on_commit(listing.pk)
    return rating


def _case_open(*, rating: Rating, listing: Listing, now: datetime) -> Case:
    town = town_of(listing)
    case = Case.objects.create(
        rating=rating,
        listing=listing,
        town=town,
        opened_at=now,
        due_on=add_working_days(timezone.localdate(now), case_days()),
    )
    audit.record(
        actor=None,
        verb="feedback.case.opened",
        target=case,
        region=town,
        data={
            "listing": listing.reference,
            "rating": rating.pk,
            "low_score": rating.score <= CASE_SCORE_AT_MOST,
            "complaint": bool(rating.complaint),
            "due_on": case.due_on.isoformat(),
        },
    )
    return case


def link_for_token(token: str, *, now: datetime | None = None) -> ConfirmationLink:
    """The open link behind *token*, with its listing.

    Raises:
        LinkNotValid: unknown, used or expired (one error for all three).
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise LinkNotValid()
    link = (
        ConfirmationLink.objects.select_related("listing")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if link is None or not link.is_open(now):
        raise LinkNotValid()
    return link


def respond(
    *,
    token: str,
    received: bool,
    score: int,
    comment: str = "",
    complaint: str = "",
    now: datetime | None = None,
) -> Rating:
    """The recipient answers their link: receipt, a score, a comment, maybe a complaint.

    A score of 2 or below, or a complaint, opens a case for the town.

    Raises:
        InvalidScore: not 1 to 5.
        LinkNotValid: unknown, used (also by a concurrent answer) or expired.
    """
    score = _clean_score(score)
    now = now or timezone.now()
    with transaction.atomic():
        link = link_for_token(token, now=now)
        listing = Listing.objects.select_related("community").get(pk=link.listing_id)
        if not _claim_link(link, now, require_unexpired=True):
            raise LinkNotValid()
        rating = _rate(
            listing=listing,
            link=link,
            score=score,
            received=bool(received),
            comment=comment,
            complaint=complaint,
            channel=RatingChannel.LINK,
            recorded_by=None,
            now=now,
        )
        FollowUp.objects.filter(link=link, status=FollowUpStatus.OPEN).update(
            status=FollowUpStatus.ANSWERED, done_at=now
        )
    return rating


# --- Follow-up visits -------------------------------------------------------------------


def overdue_cutoff(today: date, days: int) -> date:
    """The latest day such that *days* working days have passed since it by *today*."""
    day = today - timedelta(days=days)
    while working_days_between(day, today) < days:
        day -= timedelta(days=1)
    return day


def follow_ups_open(*, today: date | None = None, now: datetime | None = None) -> int:
    """Open a follow-up visit for every unanswered link that is overdue or expired.

    Idempotent: a link has at most one follow-up (UNIQUE), and links that have one are
    skipped. Returns how many were opened.
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    cutoff = overdue_cutoff(today, follow_up_days())
    sent_before = timezone.make_aware(datetime.combine(cutoff + timedelta(days=1), time.min))
    due_on = add_working_days(today, visit_days())
    with transaction.atomic():
        pending = list(
            ConfirmationLink.objects.filter(used_at__isnull=True, follow_up__isnull=True)
            .filter(Q(created_at__lt=sent_before) | Q(expires_at__lte=now))
            .values_list("pk", "listing_id")
        )
        created = FollowUp.objects.bulk_create(
            [
                FollowUp(link_id=pk, listing_id=listing_id, due_on=due_on, created_at=now)
                for pk, listing_id in pending
            ],
            ignore_conflicts=True,
        )
        if pending:
            audit.record(
                actor=None,
                verb="feedback.follow_ups_opened",
                data={"count": len(created), "due_on": due_on.isoformat()},
            )
    return len(pending)


def follow_up_record(
    *,
    actor: User,
    follow_up: FollowUp,
    received: bool,
    score: int,
    comment: str = "",
    complaint: str = "",
    channel: str = RatingChannel.FOLLOW_UP_VISIT,
    now: datetime | None = None,
) -> Rating:
    """Station staff record the answer on the recipient's behalf and close the visit.

    Raises:
        NotPermitted: *actor* may not log deliveries in the listing's community.
        InvalidScore: not 1 to 5.
        AlreadyAnswered: the recipient answered the link, or the visit is closed.
    """
    if channel not in ON_BEHALF_CHANNELS:
        raise LinliError()
    score = _clean_score(score)
    if not may_log(actor, follow_up.listing):
        raise NotPermitted()
    now = now or timezone.now()
    with transaction.atomic():
        follow_up = FollowUp.objects.select_related("link", "listing__community__parent").get(
            pk=follow_up.pk
        )
        if follow_up.status != FollowUpStatus.OPEN:
            raise AlreadyAnswered()
        # Locks in one order everywhere, the link before its follow-up (as ``respond``):
        # the conditional UPDATE decides who answers; the loser stops here.
        if not _claim_link(follow_up.link, now, require_unexpired=False):
            raise AlreadyAnswered()
        FollowUp.objects.select_for_update().filter(pk=follow_up.pk).first()
        rating = _rate(
            listing=follow_up.listing,
            link=follow_up.link,
            score=score,
            received=bool(received),
            comment=comment,
            complaint=complaint,
            channel=channel,
            recorded_by=actor,
            now=now,
        )
        follow_up.status = FollowUpStatus.DONE
        follow_up.done_by = actor
        follow_up.done_at = now
        follow_up.save(update_fields=["status", "done_by", "done_at"])
        audit.record(
            actor=actor,
            verb="feedback.follow_up.done",
            target=follow_up,
            region=follow_up.listing.community,
            data={"rating": rating.pk, "channel": channel},
        )
    return rating


# --- Cases ------------------------------------------------------------------------------


def case_move(*, actor: User, case: Case, to: str, note: str) -> Case:
    """The town reviewer moves a case on (taken up, resolved, reopened), with a note.

    Resolving records the note as the resolution.

    Raises:
        NotPermitted: *actor* may not review wishes in the case's town.
        NoteRequired: no note.
        InvalidTransition: *to* is not an allowed move from the case's status.
    """
    if not may_handle_case(actor, case):
        raise NotPermitted()
    note = (note or "").strip()
    if not note:
        raise NoteRequired()
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("town", "listing")
            .get(pk=case.pk)
        )
        if not CASE.can(case, to):
            raise InvalidTransition(current=case.get_status_display())
        changed: list[str] = []
        if to == CaseStatus.RESOLVED:
            case.resolution = note
            case.resolved_at = timezone.now()
            case.resolved_by = actor
            changed = ["resolution", "resolved_at", "resolved_by"]
        CASE.move(
            case,
            to,
            actor=actor,
            reason=note,
            region=case.town,
            data={"listing": case.listing.reference},
            update_fields=changed,
        )
    return case
