"""The decision → town review → listing handoff, progress, acceptance, ratings, cancel."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from accounts.errors import InvalidTransition, NotPermitted
from accounts.models import AuditEvent
from feedback import services as feedback
from feedback.selectors import listing_outcome
from marketplace.models import Listing, ListingStatus, Payment, PaymentStatus, PledgeStatus
from marketplace.payments import services as payments
from projects.exceptions import (
    ImplementerRequired,
    LinesRequired,
    NotAccepted,
    NotFunded,
    NotPassed,
    PercentBackwards,
    ProjectExists,
    ReasonRequired,
)
from projects.models import AcceptanceMethod, ItemKind, ItemResult, ProjectStatus
from projects.services import delivery
from projects.services.delivery import add_months
from tests.projects.delivery_fixtures import (
    LINES,
    approved,
    decide,
    fund_fully,
    funded,
    passed_item,
)

pytestmark = pytest.mark.django_db


def test_add_months_clamps_the_day_to_the_months_end():
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2026, 7, 15), 6) == date(2027, 1, 15)
    assert add_months(date(2026, 12, 1), 1) == date(2027, 1, 1)


def test_decide_submit_approve_publishes_the_listing(
    councils, city, django_capture_on_commit_callbacks
):
    # Given a decision the council passed
    with django_capture_on_commit_callbacks(execute=True):
        project = decide(councils, city)
    # Then it awaits the town, its reviewers are told, the proposal's data carried over
    assert project.status == ProjectStatus.SUBMITTED
    assert project.reference.startswith("MP") and len(project.reference) == 13
    assert project.title == project.proposal.title and project.category == "public_facility"
    assert [m.to for m in mail.outbox] == [[councils.reviewer.email]]
    assert AuditEvent.objects.filter(verb="project.decided").count() == 1
    # When the town approves
    now = timezone.now()
    project = delivery.project_approve(actor=councils.reviewer, project=project, now=now)
    # Then a project listing is published with the decision's lines and deadline
    listing = Listing.objects.get(pk=project.listing_id)
    assert project.status == ProjectStatus.FUNDING and project.approved_at == now
    assert project.deadline == add_months(timezone.localdate(now), 6) == listing.deadline
    assert listing.kind == "project" and listing.offered and listing.status == ListingStatus.OPEN
    assert Listing.objects.visible().filter(pk=listing.pk).exists()
    assert [(ln.kind, ln.target, ln.description) for ln in listing.lines.order_by("pk")] == [
        (line.kind, line.target, line.description) for line in LINES
    ]
    assert listing.source == project and listing.community == city.north_a
    # And approving again changes nothing
    assert delivery.project_approve(actor=councils.reviewer, project=project).listing == listing


def test_only_the_secretary_decides_a_passed_item_once(councils, city):
    item = passed_item(councils)
    with pytest.raises(NotPermitted):
        delivery.project_decide(
            actor=councils.members[1],
            item=item,
            description="x",
            beneficiaries="y",
            beneficiary_count=1,
            implementer_kind="volunteers",
            implementer_name="青年志愿队",
            delivery_way="z",
            lines=list(LINES),
        )
    decide(councils, city, item=item)
    with pytest.raises(ProjectExists):
        decide(councils, city, item=item)


def test_a_decision_needs_a_passed_item_lines_and_a_named_implementer(councils, city):
    rejected = passed_item(councils)
    rejected.result = ItemResult.REJECTED
    rejected.save()
    with pytest.raises(NotPassed):
        decide(councils, city, item=rejected)
    with pytest.raises(NotPassed):
        decide(councils, city, item=passed_item(councils, kind=ItemKind.ACCEPTANCE))
    with pytest.raises(LinesRequired):
        decide(councils, city, lines=[], item=passed_item(councils))
    with pytest.raises(ImplementerRequired):  # another community's station
        decide(councils, city, station=city.station_south)
    with pytest.raises(ImplementerRequired):
        decide(councils, city, implementer_kind="contractor", station=None, implementer_name=" ")


def test_send_back_shows_the_reason_and_the_council_revises(councils, city):
    project = decide(councils, city)
    with pytest.raises(ReasonRequired):
        delivery.project_send_back(actor=councils.reviewer, project=project, reason=" ")
    delivery.project_send_back(actor=councils.reviewer, project=project, reason="预算偏高")
    project.refresh_from_db()
    assert project.status == ProjectStatus.SENT_BACK
    assert delivery.send_back_reason(project) == "预算偏高"
    with pytest.raises(InvalidTransition):
        delivery.project_approve(actor=councils.reviewer, project=project)
    project = delivery.project_revise(
        actor=councils.secretary,
        project=project,
        description="只装扶手。",
        beneficiaries="行动不便的老人",
        beneficiary_count=30,
        implementer_kind="contractor",
        implementer_name="某装修公司",
        delivery_way="公开比价后施工。",
        deadline_months=3,
        lines=[LINES[0]],
    )
    assert project.status == ProjectStatus.SUBMITTED and project.station is None
    assert list(project.lines.values_list("target", flat=True)) == [Decimal("3000.00")]
    project = delivery.project_approve(actor=councils.reviewer, project=project)
    assert project.listing.lines.count() == 1


def test_a_reviewer_of_another_town_cannot_approve_or_cancel(councils, city):
    project = decide(councils, city)
    with pytest.raises(NotPermitted):
        delivery.project_approve(actor=councils.south_reviewer, project=project)
    with pytest.raises(NotPermitted):
        delivery.project_cancel(actor=councils.south_reviewer, project=project, reason="x")
    with pytest.raises(NotPermitted):
        delivery.project_approve(actor=councils.station, project=project)


def test_progress_never_goes_backwards_and_the_first_update_starts_the_work(councils, city):
    project = approved(councils, city)
    update = delivery.progress_post(
        actor=councils.station, project=project, body="材料已到", percent=20, milestone="采购"
    )
    project.refresh_from_db()
    assert project.status == ProjectStatus.IN_PROGRESS and project.percent_complete == 20
    assert update.milestone == "采购"
    with pytest.raises(PercentBackwards):
        delivery.progress_post(actor=councils.secretary, project=project, body="x", percent=10)
    delivery.progress_post(actor=councils.secretary, project=project, body="一半", percent=50)
    project.refresh_from_db()
    assert project.percent_complete == 50 and project.updates.count() == 2
    with pytest.raises(NotPermitted):  # a council member who is not the secretary
        delivery.progress_post(actor=councils.members[1], project=project, body="x", percent=60)
    with pytest.raises(NotPermitted):
        delivery.progress_post(actor=councils.south_station, project=project, body="x", percent=60)


def test_progress_before_approval_is_refused(councils, city):
    project = decide(councils, city)
    with pytest.raises(InvalidTransition):
        delivery.progress_post(actor=councils.station, project=project, body="x", percent=5)


def test_overdue_flag_follows_the_deadline(councils, city):
    project = approved(councils, city)
    assert not project.is_overdue()
    assert project.is_overdue(today=project.deadline + timedelta(days=1))
    from projects.models import Project

    assert Project.objects.overdue(project.deadline + timedelta(days=1)).get() == project


def test_staff_acceptance_needs_everything_pledged(councils, city, make_user):
    project = approved(councils, city)
    with pytest.raises(NotFunded):
        delivery.project_accept_record(actor=councils.station, project=project, note="已验收")
    fund_fully(project, make_user(email="donor@example.org"))
    with pytest.raises(NotPermitted):
        delivery.project_accept_record(actor=councils.secretary, project=project, note="x")
    acceptance = delivery.project_accept_record(
        actor=councils.station, project=project, note="扶手牢固，坡道平整"
    )
    project.refresh_from_db()
    assert acceptance.method == AcceptanceMethod.STAFF_RECORD
    assert project.status == ProjectStatus.ACCEPTED and project.percent_complete == 100
    assert project.accepted_at == acceptance.accepted_at
    assert project.listing.status == ListingStatus.DELIVERED
    assert AuditEvent.objects.filter(verb="project.accepted").count() == 1


def test_accept_by_vote_and_several_ratings_count(councils, city, make_user):
    # Given a funded project and a passed acceptance vote
    project = funded(councils, city, make_user(email="donor@example.org"))
    item = passed_item(councils, kind=ItemKind.ACCEPTANCE, proposal=project.proposal)
    # When the vote is applied
    acceptance = delivery.project_accept_by_vote(item=item)
    project.refresh_from_db()
    assert acceptance.method == AcceptanceMethod.COUNCIL_VOTE and acceptance.item == item
    assert project.status == ProjectStatus.ACCEPTED
    assert project.listing.status == ListingStatus.DELIVERED
    # And applied twice: nothing more, and why is on record
    assert delivery.project_accept_by_vote(item=item) is None
    assert AuditEvent.objects.filter(verb="project.accept_skipped").exists()
    # Then two beneficiaries answer links and staff record a third
    links = delivery.project_survey_send(
        actor=councils.station,
        project=project,
        channel="sms",
        addresses=["13800138000", "", "13900139000", "13800138000"],
        language="zh-hans",
    )
    assert len(links) == 2 and all(link.household_id is None for link in links)
    feedback.respond(token=links[0].raw_token, received=True, score=5)
    feedback.respond(token=links[1].raw_token, received=True, score=4)
    delivery.project_rating_record(actor=councils.station, project=project, score=3)
    outcome = listing_outcome(project.listing)
    assert outcome.count == 3 and outcome.average == Decimal("4.0")
    # No phone number is kept anywhere on record
    assert not AuditEvent.objects.filter(data__icontains="13800138000").exists()


def test_accept_by_vote_skips_an_unfunded_project(councils, city):
    project = approved(councils, city)
    item = passed_item(councils, kind=ItemKind.ACCEPTANCE, proposal=project.proposal)
    assert delivery.project_accept_by_vote(item=item) is None
    project.refresh_from_db()
    assert project.status == ProjectStatus.FUNDING


def test_ratings_need_an_accepted_project(councils, city):
    project = approved(councils, city)
    with pytest.raises(NotAccepted):
        delivery.project_rating_record(actor=councils.station, project=project, score=5)
    with pytest.raises(NotAccepted):
        delivery.project_survey_send(
            actor=councils.station,
            project=project,
            channel="sms",
            addresses=["13800138000"],
            language="zh-hans",
        )


def test_cancel_releases_pledges_refunds_and_shows_the_public_reason(councils, city, make_user):
    project = approved(councils, city)
    donor = make_user(email="donor@example.org")
    from marketplace import services as market
    from tests.marketplace.money import pay

    money = project.listing.lines.get(kind="money")
    payment = pay(market.pledge_create(donor=donor, line=money, quantity=Decimal("500")))
    waiting = market.pledge_create(donor=donor, line=money, quantity=Decimal("100"))
    project = delivery.project_cancel(actor=councils.reviewer, project=project, reason="场地拆迁")
    assert project.status == ProjectStatus.CANCELLED and project.cancel_reason == "场地拆迁"
    assert project.listing.status == ListingStatus.CANCELLED
    waiting.refresh_from_db()
    assert waiting.status == PledgeStatus.CANCELLED
    event = AuditEvent.objects.get(verb="listing.cancel")
    assert event.data["refunds_by_hand"] == [payment.pk]  # offline money goes back by hand
    payments.payment_refund(
        payment=payment, actor=councils.reviewer, reason="项目取消", refund_reference="TR-1"
    )
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.REFUNDED
    # Cancelling again is a no-op; an accepted project cannot be cancelled
    assert delivery.project_cancel(actor=councils.reviewer, project=project, reason="y")
    assert AuditEvent.objects.filter(verb="project.cancelled").count() == 1


def test_an_accepted_or_delivering_project_cannot_be_cancelled(councils, city, make_user):
    project = funded(councils, city, make_user(email="donor@example.org"))
    delivery.project_accept_record(actor=councils.station, project=project, note="已验收")
    with pytest.raises(InvalidTransition):
        delivery.project_cancel(actor=councils.reviewer, project=project, reason="x")
    other = approved(councils, city)
    Listing.objects.filter(pk=other.listing_id).update(status=ListingStatus.IN_DELIVERY)
    with pytest.raises(InvalidTransition):
        delivery.project_cancel(actor=councils.reviewer, project=other, reason="x")
    other.refresh_from_db()
    assert other.status == ProjectStatus.FUNDING
