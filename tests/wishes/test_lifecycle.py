"""The wish lifecycle through its services: guarded, audited, told to the requester."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts import sms
from accounts.errors import InvalidTransition, NotPermitted
from accounts.models import AuditEvent
from tests.wishes.factories import SECRET_ID, make_household, make_wish
from wishes import services
from wishes.exceptions import (
    ConsentRequired,
    DuplicateReasonRequired,
    NotOnNotice,
    ObjectionAlreadyFiled,
    ReasonRequired,
    RouteDetailsMissing,
)
from wishes.models import Household, ObjectionStatus, Referral, Route, Status
from wishes.services import NeedLine


@pytest.fixture(autouse=True)
def _clear_sms():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.mark.django_db
def test_staff_intake_accepts_at_once_with_a_working_day_deadline(
    city, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        wish = make_wish(people.north_staff, city.north_a, urgency="urgent")
    assert wish.status == Status.ACCEPTED
    assert wish.first_responsible == people.north_staff and wish.station == city.station_north
    from accounts.workdays import add_working_days

    assert wish.due_on == add_working_days(timezone.localdate(wish.accepted_at), 5)
    assert wish.reference.startswith("W") and wish.need_index > 0
    # The requester has no account: the household's phone gets an SMS with a tracking link.
    assert (
        len(sms.outbox) == 1
        and wish.reference in sms.outbox[0].body
        and "/wishes/track/" in sms.outbox[0].body
    )


@pytest.mark.django_db
def test_emergency_deadline_is_one_working_day(city, people):
    wish = make_wish(people.north_staff, city.north_a, urgency="emergency")
    from accounts.workdays import add_working_days

    assert wish.due_on == add_working_days(timezone.localdate(wish.accepted_at), 1)


@pytest.mark.django_db
def test_intake_outside_the_area_is_refused(city, people):
    household = make_household(city.north_a, people.north_staff)
    with pytest.raises(NotPermitted):
        services.wish_intake(
            actor=people.south_staff,
            household=household,
            channel="hotline",
            title="t",
            story="s",
            category="other",
            urgency="normal",
            needs=[NeedLine(kind="money", amount=Decimal("10"))],
        )


@pytest.mark.django_db
def test_household_needs_consent_and_hides_its_id(city, people):
    with pytest.raises(ConsentRequired):
        services.household_create(
            actor=people.north_staff,
            consent=False,
            consent_note="",
            head_name="x",
            address="y",
            community=city.north_a,
        )
    household = make_household(city.north_a, people.north_staff)
    assert household.id_hash == Household.hash_id_number(SECRET_ID.lower())  # normalised
    assert str(household) == f"Household #{household.pk}" or "#" in str(household)
    assert household.masked_id_number == "4419**********123X"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM wishes_household WHERE id = %s", [household.pk])
        stored = cursor.fetchone()[0]
    assert SECRET_ID not in stored  # encrypted at rest
    assert Household.objects.get(pk=household.pk).id_number == SECRET_ID
    assert list(Household.objects.with_id_number(SECRET_ID)) == [household]


@pytest.mark.django_db
def test_online_wish_waits_for_a_station_then_runs(
    city, people, mailoutbox, django_capture_on_commit_callbacks
):
    household = make_household(city.north_a, people.resident)
    with django_capture_on_commit_callbacks(execute=True):
        wish = services.wish_submit(
            user=people.resident,
            household=household,
            title="孩子的学费",
            story="需要帮助支付下学期学费。",
            category="education",
            urgency="normal",
            needs=[NeedLine(kind="money", amount=Decimal("3000"))],
        )
    assert (
        wish.status == Status.SUBMITTED and wish.due_on is None and wish.first_responsible is None
    )
    assert wish.station == city.station_north
    with django_capture_on_commit_callbacks(execute=True):
        services.wish_accept(actor=people.north_staff, wish=wish)
    wish.refresh_from_db()
    assert (
        wish.status == Status.ACCEPTED
        and wish.first_responsible == people.north_staff
        and wish.due_on
    )
    # The requester signed up online: messages come by email.
    assert [m.to for m in mailoutbox] == [[people.resident.email]] * 2


@pytest.mark.django_db
def test_referral_keeps_history_and_the_first_responsible_officer(city, people):
    wish = make_wish(people.north_staff, city.north_a)
    services.wish_refer(
        actor=people.north_staff, wish=wish, to_station=city.station_south, reason="户籍在南城"
    )
    wish.refresh_from_db()
    assert wish.station == city.station_south and wish.first_responsible == people.north_staff
    assert Referral.objects.get(wish=wish).from_station == city.station_north
    # Now the south station's staff look after it, and the north's no longer can.
    services.wish_verify(
        actor=people.south_staff, wish=wish, visited_on=date.today(), notes="入户核实"
    )
    with pytest.raises(NotPermitted):
        services.wish_refer(
            actor=people.north_staff, wish=wish, to_station=city.station_north, reason="x"
        )
    with pytest.raises(ReasonRequired):
        services.wish_refer(
            actor=people.south_staff, wish=wish, to_station=city.station_north, reason=" "
        )


@pytest.mark.django_db
def test_review_routes(city, people):
    for status, route in [
        (Status.NOTICE, Route.DIRECT),
        (Status.NOTICE, Route.EXPRESS),
        (Status.REFERRED, Route.POLICY),
        (Status.STATION_SERVICE, Route.STATION),
    ]:
        wish = make_wish(
            people.north_staff,
            city.north_a,
            status=status,
            reviewer=people.north_reviewer,
            route=route,
        )
        assert wish.status == status and wish.route == route, route
        assert wish.reviewed_by == people.north_reviewer
    assert wish.notice_ends_at is None


@pytest.mark.django_db
def test_a_station_route_wish_is_served_through_a_listing_nobody_else_sees(
    city, people, client, make_user
):
    from marketplace import services as market
    from marketplace.exceptions import NotOpen
    from marketplace.models import Listing, ListingStatus

    wish = make_wish(
        people.north_staff,
        city.north_a,
        status=Status.STATION_SERVICE,
        reviewer=people.north_reviewer,
    )
    listing = Listing.objects.of(wish).get()
    # Delivered, evidenced and rated by the station like any listing ...
    assert listing.status == ListingStatus.IN_DELIVERY and not listing.offered
    assert listing.station == wish.station and listing.lines.count() == wish.needs.count()
    # ... but never offered to donors, nor shown on any public page.
    assert not Listing.objects.visible().filter(pk=listing.pk).exists()
    with pytest.raises(NotOpen):
        market.pledge_create(
            donor=make_user(), line=listing.lines.get(kind="money"), quantity=Decimal("50")
        )
    assert client.get(f"/zh-hans/give/{listing.reference}/").status_code == 404
    assert listing.title not in client.get("/zh-hans/give/").content.decode()


@pytest.mark.django_db
def test_review_needs_details_permission_and_a_verified_wish(city, people):
    wish = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED)
    with pytest.raises(NotPermitted):
        services.wish_approve(
            actor=people.south_reviewer, wish=wish, route=Route.DIRECT, duplicate_reason="x"
        )
    with pytest.raises(NotPermitted):
        services.wish_approve(
            actor=people.north_staff, wish=wish, route=Route.DIRECT, duplicate_reason="x"
        )
    with pytest.raises(RouteDetailsMissing):
        services.wish_approve(
            actor=people.north_reviewer, wish=wish, route=Route.EXPRESS, duplicate_reason="x"
        )
    with pytest.raises(RouteDetailsMissing):
        services.wish_approve(
            actor=people.north_reviewer, wish=wish, route=Route.POLICY, duplicate_reason="x"
        )
    accepted = make_wish(people.north_staff, city.north_a)
    with pytest.raises(InvalidTransition):
        services.wish_approve(
            actor=people.north_reviewer, wish=accepted, route=Route.DIRECT, duplicate_reason="x"
        )


@pytest.mark.django_db
def test_duplicate_aid_needs_a_recorded_reason(city, people):
    household = make_household(city.north_a, people.north_staff)
    make_wish(
        people.north_staff, city.north_a, household=household
    )  # an open wish of the same household
    second = make_wish(
        people.north_staff, city.north_a, household=household, status=Status.VERIFIED
    )
    with pytest.raises(DuplicateReasonRequired):
        services.wish_approve(actor=people.north_reviewer, wish=second, route=Route.DIRECT)
    services.wish_approve(
        actor=people.north_reviewer,
        wish=second,
        route=Route.DIRECT,
        duplicate_reason="两项需求不同",
    )
    second.refresh_from_db()
    assert second.duplicate_reason == "两项需求不同"
    event = AuditEvent.objects.get(verb="wish.notice", target_id=str(second.pk))
    assert event.data["duplicate_override"] is True


@pytest.mark.django_db
def test_same_person_in_another_household_is_a_duplicate(city, people):
    from wishes.selectors import duplicates_of

    first = make_wish(people.north_staff, city.north_a)
    other_household = make_household(
        city.north_b, people.north_staff
    )  # same ID number, other record
    second = make_wish(
        people.north_staff, city.north_a, household=other_household, status=Status.VERIFIED
    )
    assert [w.pk for w in duplicates_of(second).wishes] == [first.pk]
    stranger = make_household(city.north_a, people.north_staff, id_number="440100199001011234")
    third = make_wish(people.north_staff, city.north_a, household=stranger, status=Status.VERIFIED)
    assert not duplicates_of(third).any()


@pytest.mark.django_db
def test_reject_needs_a_reason_and_tells_the_requester(
    city, people, django_capture_on_commit_callbacks
):
    wish = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED)
    with pytest.raises(ReasonRequired):
        services.wish_reject(actor=people.north_reviewer, wish=wish, reason="")
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.wish_reject(actor=people.north_reviewer, wish=wish, reason="已享受同类救助")
    wish.refresh_from_db()
    assert wish.status == Status.REJECTED and wish.decision_reason == "已享受同类救助"
    assert wish.reference in sms.outbox[-1].body


@pytest.mark.django_db
def test_notice_objection_blocks_publication_until_answered(city, people, make_user):
    wish = make_wish(
        people.north_staff, city.north_a, status=Status.NOTICE, reviewer=people.north_reviewer
    )
    neighbour = make_user()
    objection = services.objection_file(user=neighbour, wish=wish, text="该户已有稳定收入")
    with pytest.raises(ObjectionAlreadyFiled):
        services.objection_file(user=neighbour, wish=wish, text="again")
    after_notice = wish.notice_ends_at + timedelta(minutes=1)
    assert services.wishes_publish_due(now=after_notice) == 0  # blocked by the open objection
    services.objection_decide(
        actor=people.north_reviewer, objection=objection, uphold=False, reason="核实收入不稳定"
    )
    assert services.wishes_publish_due(now=after_notice) == 1
    wish.refresh_from_db()
    assert wish.status == Status.PUBLISHED and wish.published_at == after_notice
    with pytest.raises(NotOnNotice):
        services.objection_file(user=neighbour, wish=wish, text="too late")


@pytest.mark.django_db
def test_upheld_objection_withdraws_the_wish(city, people, make_user):
    wish = make_wish(
        people.north_staff, city.north_a, status=Status.NOTICE, reviewer=people.north_reviewer
    )
    objection = services.objection_file(user=make_user(), wish=wish, text="重复申请")
    with pytest.raises(NotPermitted):
        services.objection_decide(
            actor=people.south_reviewer, objection=objection, uphold=True, reason="x"
        )
    services.objection_decide(
        actor=people.north_reviewer, objection=objection, uphold=True, reason="确属重复"
    )
    wish.refresh_from_db()
    objection.refresh_from_db()
    assert wish.status == Status.WITHDRAWN and objection.status == ObjectionStatus.UPHELD


@pytest.mark.django_db
def test_not_published_before_the_notice_period_ends(city, people):
    wish = make_wish(
        people.north_staff, city.north_a, status=Status.NOTICE, reviewer=people.north_reviewer
    )
    assert wish.notice_ends_at - wish.reviewed_at == timedelta(days=5)
    assert services.wishes_publish_due(now=wish.notice_ends_at - timedelta(seconds=1)) == 0
    assert services.wish_publish(wish=wish, now=wish.notice_ends_at) is True


@pytest.mark.django_db
def test_policy_referral_is_tracked_until_answered(city, people):
    wish = make_wish(
        people.north_staff, city.north_a, status=Status.REFERRED, reviewer=people.north_reviewer
    )
    assert wish.policy_department == "民政局" and wish.policy_due_on
    services.policy_answer(actor=people.north_staff, wish=wish, answer="已纳入低保")
    wish.refresh_from_db()
    assert wish.status == Status.RESOLVED and wish.policy_answer == "已纳入低保"


@pytest.mark.django_db
def test_requester_may_withdraw_their_own_wish(city, people):
    household = make_household(city.north_a, people.resident)
    wish = services.wish_submit(
        user=people.resident,
        household=household,
        title="t",
        story="s",
        category="other",
        urgency="normal",
        needs=[NeedLine(kind="service", skill="陪诊", hours=Decimal("4"))],
    )
    services.wish_withdraw(actor=people.resident, wish=wish, reason="已解决")
    wish.refresh_from_db()
    assert wish.status == Status.WITHDRAWN


@pytest.mark.django_db
def test_every_step_is_in_the_audit_trail(city, people):
    from wishes.selectors import timeline

    wish = make_wish(
        people.north_staff, city.north_a, status=Status.PUBLISHED, reviewer=people.north_reviewer
    )
    verbs = list(timeline(wish).values_list("verb", flat=True))
    assert verbs == ["wish.accepted", "wish.verified", "wish.notice", "wish.published"]
    assert AuditEvent.objects.filter(verb="household.create").exists()


@pytest.mark.django_db
def test_a_supervisor_reads_but_cannot_record_aid(city, people, make_user):
    from accounts.roles import Role

    supervisor = make_user(Role.SUPERVISOR, city.city)
    wish = make_wish(people.north_staff, city.north_a)
    with pytest.raises(NotPermitted):
        services.aid_record(
            actor=supervisor,
            household=wish.household,
            received_on=date.today(),
            value=Decimal("100"),
            source="government",
            description="临时救助",
        )
    services.aid_record(
        actor=people.north_staff,
        household=wish.household,
        received_on=date.today(),
        value=Decimal("100"),
        source="government",
        description="临时救助",
        wish=wish,
    )


@pytest.mark.django_db
def test_publish_command_publishes_what_is_due(city, people):
    from io import StringIO

    from django.core.management import call_command

    from wishes.models import Wish

    wish = make_wish(
        people.north_staff, city.north_a, status=Status.NOTICE, reviewer=people.north_reviewer
    )
    out = StringIO()
    call_command("publish_wishes", stdout=out)
    assert "0 wish(es)" in out.getvalue()
    Wish.objects.filter(pk=wish.pk).update(notice_ends_at=timezone.now() - timedelta(minutes=1))
    call_command("publish_wishes", stdout=out)
    wish.refresh_from_db()
    assert wish.status == Status.PUBLISHED and "1 wish(es)" in out.getvalue()


@pytest.mark.django_db
def test_why_this_score_reads_as_labels_not_codes(city, people, english):
    from wishes.selectors import need_index_explanation

    wish = make_wish(people.north_staff, city.north_a, urgency="emergency")
    rows = {row["label"]: row["value"] for row in need_index_explanation(wish)}
    assert rows["Housing condition"] == "Poor"
    assert rows["Urgency"] == "Emergency"
    assert rows["Disability"] == "Grade 2"
    assert sum(Decimal(r["points"]) for r in need_index_explanation(wish)) == wish.need_index
