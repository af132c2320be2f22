"""Donor impact: donors and sponsors hear once when a delivered listing is first rated,
with an anonymised summary; they (and only they) see its shared photos and outcome."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import AuditEvent, Membership, Organisation, OrganisationKind
from accounts.roles import Role
from feedback import services as feedback
from feedback.impact import NOTIFIED
from feedback.models import ConfirmationLink, FollowUp, LinkChannel, hash_token
from marketplace import funds
from marketplace import services as marketplace
from marketplace.models import FundOwner, ListingStatus, Match, MatchStatus, Pledge
from stations import services
from tests.marketplace.funds_helpers import make_campaign
from tests.marketplace.money import pay
from tests.stations.conftest import jpeg_bytes, upload, wish_of

TOKEN = "k" * 43
COMMENT = "志愿者态度很好，谢谢"
COMPLAINT = "轮椅送晚了两天"


def _confirmed_match(campaign, pledge: Pledge) -> Match:
    now = timezone.now()
    return Match.objects.create(
        campaign=campaign,
        pledge=pledge,
        line=pledge.line,
        listing=pledge.line.listing,
        donor=pledge.donor,
        pledged=pledge.quantity,
        amount=Decimal("10.00"),
        status=MatchStatus.CONFIRMED,
        expires_at=now + timedelta(hours=1),
    )


@pytest.fixture
def world(city, listing, staff, make_user, superuser):
    """The listing pledged in full by three people (one twice, one anonymously), a company
    sponsor and a public fund matching, every line delivered, one photo shared, one not."""
    lines = {line.kind: line for line in listing.lines.order_by("pk")}
    giver = make_user(
        display_name="王慷慨", email="giver@example.org", preferred_language="zh-hans"
    )
    hidden = make_user(display_name="匿名李", email="hidden@example.org", preferred_language="en")
    helper = make_user(display_name="陈陪诊", email="helper@example.org")
    money = lines["money"]
    first = marketplace.pledge_create(donor=giver, line=money, quantity=Decimal("600"))
    pay(first)
    pay(marketplace.pledge_create(donor=giver, line=money, quantity=Decimal("600")))
    goods = marketplace.pledge_create(
        donor=hidden, line=lines["goods"], quantity=lines["goods"].target, anonymous=True
    )
    marketplace.pledge_confirm(pledge=goods)
    service = marketplace.pledge_create(
        donor=helper, line=lines["service"], quantity=lines["service"].target
    )
    marketplace.pledge_confirm(pledge=service)

    company = Organisation.objects.create(
        name="东莞善心电子有限公司", kind=OrganisationKind.COMPANY, region=city.city
    )
    sponsor = make_user(email="sponsor.admin@example.org", preferred_language="en")
    member = make_user(email="sponsor.member@example.org")
    Membership.objects.create(organisation=company, user=sponsor, is_admin=True)
    Membership.objects.create(organisation=company, user=member, is_admin=False)
    fund = funds.fund_create(
        actor=sponsor,
        name="善心配捐基金",
        owner=FundOwner.COMPANY,
        region=city.city,
        organisation=company,
    )
    _confirmed_match(make_campaign(fund, sponsor, start=False), Pledge.objects.get(pk=first.pk))
    city_admin = make_user(Role.CITY_ADMIN, city.city, email="city.admin@example.org")
    public = funds.fund_create(
        actor=city_admin, name="东莞市专项资金", owner=FundOwner.CITY, region=city.city
    )
    _confirmed_match(
        make_campaign(public, city_admin, start=False, name="市级配捐"),
        Pledge.objects.get(pk=first.pk),
    )

    deliveries = [
        services.delivery_log(actor=staff, line=line, quantity=line.target, note="已交付")
        for line in lines.values()
    ]
    listing.refresh_from_db()
    assert listing.status == ListingStatus.DELIVERED
    shared = services.delivery_photo_add(
        actor=staff, delivery=deliveries[1], upload=upload(jpeg_bytes())
    )
    services.delivery_photo_share(actor=staff, photo=shared, shareable=True, no_personal_data=True)
    private = services.delivery_photo_add(
        actor=staff, delivery=deliveries[1], upload=upload(jpeg_bytes())
    )
    # The raw token left by SMS; the test knows its own instead.
    ConfirmationLink.objects.filter(listing=listing).update(token_hash=hash_token(TOKEN))
    mail.outbox.clear()
    return {
        "listing": listing,
        "giver": giver,
        "hidden": hidden,
        "helper": helper,
        "sponsor": sponsor,
        "member": member,
        "city_admin": city_admin,
        "shared": shared,
        "private": private,
        "pledge": Pledge.objects.get(pk=first.pk),
        "goods_pledge": Pledge.objects.get(pk=goods.pk),
    }


def _rate_first(django_capture_on_commit_callbacks, score=4):
    with django_capture_on_commit_callbacks(execute=True):
        return feedback.respond(
            token=TOKEN, received=True, score=score, comment=COMMENT, complaint=COMPLAINT
        )


def _by_address() -> dict[str, list]:
    sent: dict[str, list] = {}
    for message in mail.outbox:
        for address in message.to:
            sent.setdefault(address, []).append(message)
    return sent


def test_the_first_rating_emails_each_donor_and_sponsor_admin_once(
    world, django_capture_on_commit_callbacks
):
    _rate_first(django_capture_on_commit_callbacks)
    sent = _by_address()
    # giver has two pledges: one email. The anonymous donor is told too (they know who
    # they are). The company's admin, not its plain member; not the public fund's manager.
    assert sorted(sent) == [
        "giver@example.org",
        "helper@example.org",
        "hidden@example.org",
        "sponsor.admin@example.org",
    ]
    assert all(len(messages) == 1 for messages in sent.values())
    listing = world["listing"]
    assert AuditEvent.objects.filter(verb=NOTIFIED, target_id=str(listing.pk)).count() == 1


def test_the_summary_is_anonymised_and_in_each_persons_language(
    world, django_capture_on_commit_callbacks
):
    _rate_first(django_capture_on_commit_callbacks, score=4)
    sent = _by_address()
    listing = world["listing"]
    household = wish_of(listing).household
    impact = reverse("stations:impact", args=[listing.pk])
    for address, (message,) in sent.items():
        text = message.subject + message.body
        assert listing.reference in text and listing.title in text
        assert "4.0 / 5" in text
        assert timezone.localdate().isoformat() in text  # delivered today
        assert impact.split("/", 2)[2] in text  # the impact page, in either language
        for secret in (COMMENT, COMPLAINT, household.head_name, household.address):
            assert secret not in text, (address, secret)
        # Nobody is named: not the anonymous donor, not the others.
        for person in ("王慷慨", "匿名李", "陈陪诊"):
            assert person not in text
    english = sent["hidden@example.org"][0]
    assert "has been delivered" in english.subject
    assert "1 photo of the delivery is shared with donors." in english.body
    assert "/en/" in english.body
    assert "Reference: " in english.body and "编号" not in english.body
    chinese = sent["giver@example.org"][0]
    assert "编号: " in chinese.body and "Reference" not in chinese.body
    assert "已交付: " in chinese.body
    assert "/en/" not in chinese.body
    assert "organisation" in sent["sponsor.admin@example.org"][0].body


def test_a_second_rating_does_not_email_again(world, staff, django_capture_on_commit_callbacks):
    listing = world["listing"]
    _rate_first(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 4
    mail.outbox.clear()
    # A second respondent (a project's beneficiaries), answered on a follow-up visit.
    now = timezone.now()
    link = ConfirmationLink.objects.create(
        listing=listing,
        channel=LinkChannel.VISIT,
        token_hash=hash_token("second" * 7),
        created_at=now,
        expires_at=now + timedelta(days=7),
    )
    follow_up = FollowUp.objects.create(link=link, listing=listing, due_on=now.date())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        feedback.follow_up_record(actor=staff, follow_up=follow_up, received=True, score=5)
    assert callbacks  # the task is scheduled from the shared rating path...
    assert mail.outbox == []  # ...and sends nothing the second time
    assert AuditEvent.objects.filter(verb=NOTIFIED, target_id=str(listing.pk)).count() == 1


def test_the_follow_up_path_notifies_too(world, staff, django_capture_on_commit_callbacks):
    listing = world["listing"]
    feedback.follow_ups_open(now=timezone.now() + timedelta(days=30))
    follow_up = FollowUp.objects.get(listing=listing)
    with django_capture_on_commit_callbacks(execute=True):
        feedback.follow_up_record(actor=staff, follow_up=follow_up, received=True, score=3)
    assert len(mail.outbox) == 4


def test_no_email_before_any_rating(world):
    from feedback.tasks import impact_notify

    assert impact_notify(world["listing"].pk) == 0
    assert mail.outbox == []


# --- The shared photo and the impact page ----------------------------------------------


def test_a_shared_photo_is_served_to_donors_and_sponsors_only(world, client, make_user):
    url = reverse("stations:shared_photo", args=[world["shared"].token])
    for person in ("giver", "hidden", "sponsor"):
        client.force_login(world[person])
        response = client.get(url)
        assert response.status_code == 200, person
        assert response["Cache-Control"] == "private, no-store"
        assert response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    assert AuditEvent.objects.filter(verb="delivery_photo.shared_view").count() == 3
    event = AuditEvent.objects.filter(verb="delivery_photo.shared_view").first()
    assert event.data == {"delivery": world["shared"].delivery_id}
    for person in ("member", "city_admin"):
        client.force_login(world[person])
        assert client.get(url).status_code == 404, person
    client.force_login(make_user())
    assert client.get(url).status_code == 404
    # Not shareable: 404 even for a donor.
    client.force_login(world["giver"])
    private = reverse("stations:shared_photo", args=[world["private"].token])
    assert client.get(private).status_code == 404
    assert client.get(reverse("stations:shared_photo", args=["nosuchtoken"])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(world, client):
    for url in (
        reverse("stations:shared_photo", args=[world["shared"].token]),
        reverse("stations:impact", args=[world["listing"].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]


def test_the_impact_page_shows_the_outcome_and_shared_photos(
    world, client, make_user, django_capture_on_commit_callbacks, django_assert_num_queries
):
    _rate_first(django_capture_on_commit_callbacks, score=5)
    url = reverse("stations:impact", args=[world["listing"].pk])
    client.force_login(world["sponsor"])
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert world["shared"].token in body and world["private"].token not in body
    assert "5.0 / 5" in body and COMMENT not in body
    # No donor is named to a sponsor (nor the anonymous one to anybody).
    assert "匿名李" not in body and "王慷慨" not in body
    client.force_login(make_user())
    assert client.get(url).status_code == 404


def test_the_pledge_page_shows_the_outcome_once_delivered(
    world, client, django_capture_on_commit_callbacks
):
    url = reverse("marketplace:pledge_detail", args=[world["goods_pledge"].pk])
    client.force_login(world["hidden"])
    body = client.get(url).content.decode()
    assert world["shared"].token in body and world["private"].token not in body
    assert "尚未评价" in body or "not rated yet" in body
    _rate_first(django_capture_on_commit_callbacks, score=4)
    with translation.override("en"):
        en_url = reverse("marketplace:pledge_detail", args=[world["goods_pledge"].pk])
    body = client.get(en_url).content.decode()
    assert "What your gift did" in body
    assert "4.0 / 5 (1 rating)" in body
    assert timezone.localdate().isoformat() in body
    assert COMMENT not in body and COMPLAINT not in body


def test_a_pending_pledge_page_shows_no_outcome(client, listing, make_user):
    donor = make_user()
    pledge = marketplace.pledge_create(
        donor=donor, line=listing.lines.get(kind="goods"), quantity=Decimal("1")
    )
    client.force_login(donor)
    with translation.override("en"):
        url = reverse("marketplace:pledge_detail", args=[pledge.pk])
    assert "What your gift did" not in client.get(url).content.decode()


def _count(client, url, django_assert_num_queries, n):
    client.get(url)  # the first page of a site creates its settings row: not counted
    with django_assert_num_queries(n):
        assert client.get(url).status_code == 200


def test_query_counts_are_exact_and_do_not_grow_with_photos(
    world, client, staff, django_capture_on_commit_callbacks, django_assert_num_queries
):
    _rate_first(django_capture_on_commit_callbacks)
    client.force_login(world["giver"])
    pledge_url = reverse("marketplace:pledge_detail", args=[world["pledge"].pk])
    impact_url = reverse("stations:impact", args=[world["listing"].pk])
    _count(client, pledge_url, django_assert_num_queries, PLEDGE_PAGE)
    _count(client, impact_url, django_assert_num_queries, IMPACT_PAGE)
    delivery = world["shared"].delivery
    for _ in range(3):
        photo = services.delivery_photo_add(
            actor=staff, delivery=delivery, upload=upload(jpeg_bytes())
        )
        services.delivery_photo_share(
            actor=staff, photo=photo, shareable=True, no_personal_data=True
        )
    _count(client, pledge_url, django_assert_num_queries, PLEDGE_PAGE)
    _count(client, impact_url, django_assert_num_queries, IMPACT_PAGE)
    assert client.get(impact_url).content.decode().count("/impact/photos/") == 4


# Session, user, pledge, payments, matches and the base page's own reads, plus the outcome
# once delivered: the delivered event and the ratings aggregate (listing_outcome), and the
# shared photos (one query) — the same however many photos, pledges or ratings.
PLEDGE_PAGE = 11
# Session, user, listing, the donor check, the outcome (two), the photos, the base page.
IMPACT_PAGE = 10


def test_the_outcome_costs_the_pledge_page_three_queries(world, client, django_assert_num_queries):
    from marketplace.models import Listing

    client.force_login(world["giver"])
    url = reverse("marketplace:pledge_detail", args=[world["pledge"].pk])
    _count(client, url, django_assert_num_queries, PLEDGE_PAGE)
    Listing.objects.filter(pk=world["listing"].pk).update(status=ListingStatus.IN_DELIVERY)
    _count(client, url, django_assert_num_queries, PLEDGE_PAGE - 3)


@pytest.mark.django_db(transaction=True)
def test_racing_notifications_send_once(world):
    """On PostgreSQL, ten workers told at once (ratings arriving together): one sends."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, connections

    from feedback import impact
    from feedback.models import Rating, RatingChannel

    if connection.vendor != "postgresql":
        pytest.skip("real-thread races run on PostgreSQL (CI); SQLite has one writer at a time")
    listing = world["listing"]
    Rating.objects.create(listing=listing, score=5, received=True, channel=RatingChannel.LINK)

    def run(_):
        try:
            return impact.impact_notify(listing.pk)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(run, range(10)))
    assert sorted(results) == [0] * 9 + [4]
    assert len(mail.outbox) == 4
    assert AuditEvent.objects.filter(verb=NOTIFIED, target_id=str(listing.pk)).count() == 1
