"""Follow-up visits after N working days, staff recording on behalf, and cases."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.errors import InvalidTransition, NotPermitted
from accounts.models import AuditEvent, CalendarOverride
from accounts.workdays import add_working_days
from feedback import services
from feedback.exceptions import AlreadyAnswered, LinkNotValid, NoteRequired
from feedback.models import Case, CaseStatus, ConfirmationLink, FollowUp, FollowUpStatus, Rating

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
SENT = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)  # a Monday


def _sent_on(link, when=SENT, days=14):
    ConfirmationLink.objects.filter(pk=link.pk).update(
        created_at=when, expires_at=when + timedelta(days=days)
    )
    link.refresh_from_db()
    return link


def _noon(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI) + timedelta(hours=12)


# --- Follow-ups -------------------------------------------------------------------------


def test_follow_up_opens_after_n_working_days_and_is_idempotent(delivered, north_staff, send):
    link = _sent_on(send(delivered, north_staff))
    # 7 working days after Monday 2 November: Wednesday 11 November.
    assert services.follow_ups_open(today=date(2026, 11, 10), now=_noon(date(2026, 11, 10))) == 0
    assert not FollowUp.objects.exists()
    assert services.follow_ups_open(today=date(2026, 11, 11), now=_noon(date(2026, 11, 11))) == 1
    follow_up = FollowUp.objects.get()
    assert follow_up.link_id == link.pk
    assert follow_up.listing_id == delivered.pk
    assert follow_up.status == FollowUpStatus.OPEN
    assert follow_up.due_on == add_working_days(date(2026, 11, 11), 5)
    # Running again (the next day, or twice the same day) opens nothing new.
    assert services.follow_ups_open(today=date(2026, 11, 11), now=_noon(date(2026, 11, 11))) == 0
    assert services.follow_ups_open(today=date(2026, 11, 12), now=_noon(date(2026, 11, 12))) == 0
    assert FollowUp.objects.count() == 1


def test_follow_up_counts_working_days_from_the_calendar(delivered, north_staff, send, settings):
    settings.FEEDBACK_FOLLOW_UP_DAYS = 3
    _sent_on(send(delivered, north_staff))
    # Wednesday 4 November declared a day off: 3 working days run to Friday 6 November.
    CalendarOverride.objects.create(date=date(2026, 11, 4), is_working_day=False, note="test")
    assert services.follow_ups_open(today=date(2026, 11, 5), now=_noon(date(2026, 11, 5))) == 0
    assert services.follow_ups_open(today=date(2026, 11, 6), now=_noon(date(2026, 11, 6))) == 1


def test_expired_link_gets_a_follow_up_even_before_n_working_days(
    delivered, north_staff, send, settings
):
    settings.FEEDBACK_FOLLOW_UP_DAYS = 30
    _sent_on(send(delivered, north_staff), days=2)
    assert services.follow_ups_open(today=date(2026, 11, 5), now=_noon(date(2026, 11, 5))) == 1


def test_answered_links_get_no_follow_up(delivered, north_staff, send):
    link = send(delivered, north_staff)
    services.respond(token=link.raw_token, received=True, score=5)
    _sent_on(link)
    assert services.follow_ups_open(today=date(2026, 11, 20), now=_noon(date(2026, 11, 20))) == 0


def test_answer_by_link_closes_the_open_follow_up(delivered, north_staff, send):
    link = _sent_on(send(delivered, north_staff), when=timezone.now() - timedelta(days=13))
    services.follow_ups_open()
    follow_up = FollowUp.objects.get()
    services.respond(token=link.raw_token, received=True, score=4)
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.ANSWERED
    with pytest.raises(AlreadyAnswered):
        services.follow_up_record(actor=north_staff, follow_up=follow_up, received=True, score=3)
    assert Rating.objects.count() == 1


@pytest.fixture
def follow_up(delivered, north_staff, send):
    link = _sent_on(send(delivered, north_staff), when=timezone.now() - timedelta(days=20))
    services.follow_ups_open()
    follow_up = FollowUp.objects.get()
    follow_up.raw_token = link.raw_token
    return follow_up


@pytest.mark.parametrize("channel", ["follow_up_visit", "phone"])
def test_staff_record_on_behalf_with_channel(follow_up, north_staff, channel):
    rating = services.follow_up_record(
        actor=north_staff,
        follow_up=follow_up,
        received=True,
        score=4,
        comment="上门回访，满意",
        channel=channel,
    )
    assert rating.channel == channel
    assert rating.recorded_by == north_staff
    assert rating.link_id == follow_up.link_id
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.DONE
    assert follow_up.done_by == north_staff
    assert follow_up.done_at is not None
    assert not Case.objects.exists()
    event = AuditEvent.objects.get(verb="feedback.follow_up.done")
    assert event.actor == north_staff
    assert event.data == {"rating": rating.pk, "channel": channel}
    # The recipient can no longer answer; a second record is refused.
    with pytest.raises(AlreadyAnswered):
        services.follow_up_record(actor=north_staff, follow_up=follow_up, received=True, score=2)
    assert Rating.objects.count() == 1


def test_record_on_behalf_may_open_a_case(follow_up, north_staff):
    rating = services.follow_up_record(
        actor=north_staff, follow_up=follow_up, received=False, score=3, complaint="只送了一半"
    )
    assert Case.objects.get().rating == rating


def test_record_on_behalf_is_scoped(follow_up, south_staff, north_reviewer):
    for outsider in (south_staff, north_reviewer):
        with pytest.raises(NotPermitted):
            services.follow_up_record(actor=outsider, follow_up=follow_up, received=True, score=5)
    assert not Rating.objects.exists()


def test_link_answered_by_staff_cannot_be_used_by_the_recipient(follow_up, north_staff):
    ConfirmationLink.objects.filter(pk=follow_up.link_id).update(
        expires_at=timezone.now() + timedelta(days=1)
    )
    services.follow_up_record(actor=north_staff, follow_up=follow_up, received=True, score=5)
    with pytest.raises(LinkNotValid):
        services.respond(token=follow_up.raw_token, received=True, score=1)


# --- Cases ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "complaint", "opens"),
    [(1, "", True), (2, "", True), (3, "", False), (5, "", False), (5, "态度不好", True)],
)
def test_low_score_or_complaint_opens_a_case_with_a_deadline(
    delivered, north_staff, send, city, score, complaint, opens
):
    link = send(delivered, north_staff)
    rating = services.respond(token=link.raw_token, received=True, score=score, complaint=complaint)
    assert Case.objects.exists() is opens
    if opens:
        case = Case.objects.get()
        assert case.rating == rating
        assert case.town == city.north
        assert case.status == CaseStatus.OPEN
        assert case.due_on == add_working_days(timezone.localdate(case.opened_at), 5)


@pytest.fixture
def case(delivered, north_staff, send):
    link = send(delivered, north_staff)
    services.respond(token=link.raw_token, received=False, score=1, complaint="没有收到轮椅")
    return Case.objects.get()


def test_case_moves_are_audited(case, north_reviewer):
    services.case_move(actor=north_reviewer, case=case, to="in_progress", note="已联系驿站")
    services.case_move(actor=north_reviewer, case=case, to="resolved", note="已补送轮椅")
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED
    assert case.resolution == "已补送轮椅"
    assert case.resolved_by == north_reviewer
    events = list(AuditEvent.objects.filter(verb__startswith="feedback.case.").order_by("pk"))
    assert [e.verb for e in events] == [
        "feedback.case.opened",
        "feedback.case.in_progress",
        "feedback.case.resolved",
    ]
    assert [e.reason for e in events[1:]] == ["已联系驿站", "已补送轮椅"]
    assert events[2].data["from"] == "in_progress"
    assert events[2].actor == north_reviewer
    assert events[2].region == case.town
    # Reopening is allowed; moving a resolved case to "open" is not.
    with pytest.raises(InvalidTransition):
        services.case_move(actor=north_reviewer, case=case, to="open", note="x")
    services.case_move(actor=north_reviewer, case=case, to="in_progress", note="再次投诉")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS


def test_case_move_needs_a_note(case, north_reviewer):
    with pytest.raises(NoteRequired):
        services.case_move(actor=north_reviewer, case=case, to="in_progress", note="  ")
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_case_move_is_scoped_to_the_town_reviewer(case, south_reviewer, north_staff):
    for outsider in (south_reviewer, north_staff):
        with pytest.raises(NotPermitted):
            services.case_move(actor=outsider, case=case, to="in_progress", note="x")
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_no_phone_means_a_visit_at_once(city, north_staff, north_reviewer, deliver, settings):
    from decimal import Decimal

    from accounts import sms
    from feedback.exceptions import NoContact
    from marketplace.models import Listing, ListingStatus
    from tests.wishes.factories import make_household, make_wish
    from wishes.models import Status
    from wishes.services import NeedLine

    wish = make_wish(
        north_staff,
        city.north_a,
        status=Status.PUBLISHED,
        reviewer=north_reviewer,
        household=make_household(city.north_a, north_staff, phone=""),
        needs=[NeedLine(kind="money", amount=Decimal("100"))],
    )
    listing = Listing.objects.of(wish).get()
    Listing.objects.filter(pk=listing.pk).update(status=ListingStatus.DELIVERED)
    with pytest.raises(NoContact):
        services.confirmation_request(listing=listing, actor=north_staff)
    follow_up = services.follow_up_request(listing=listing, actor=north_staff)
    assert follow_up.status == FollowUpStatus.OPEN
    assert follow_up.link.channel == "visit"
    assert follow_up.due_on == add_working_days(timezone.localdate(), 5)
    assert not sms.outbox
    # The daily task leaves it alone; a second request is refused while it is open.
    assert services.follow_ups_open(now=timezone.now() + timedelta(days=60)) == 0
    from feedback.exceptions import LinkStillOpen

    with pytest.raises(LinkStillOpen):
        services.follow_up_request(listing=listing, actor=north_staff)
    rating = services.follow_up_record(
        actor=north_staff, follow_up=follow_up, received=True, score=5
    )
    assert rating.channel == "follow_up_visit"
    from feedback.selectors import satisfaction_by_station

    row = satisfaction_by_station()[0]
    assert (row.links, row.answered, row.count) == (1, 1, 1)


def test_follow_up_request_is_scoped(delivered, south_staff):
    with pytest.raises(NotPermitted):
        services.follow_up_request(listing=delivered, actor=south_staff)
    assert not FollowUp.objects.exists()
