"""Exact query counts of the delivery pages, constant as projects, lines, updates, photos
and ratings grow.

A signed-in request costs 2 queries before the view runs (session, user), the user's roles
1 more (read once per request and cached), and the site frame its own few.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from projects.services import delivery
from projects.services.photos import photo_add
from tests.marketplace.giving_fixtures import site  # noqa: F401  (the Wagtail site frame)
from tests.projects.delivery_fixtures import LINES, approved, decide, funded, passed_item
from tests.projects.proposals_fixtures import jpeg_bytes, upload

pytestmark = pytest.mark.django_db

# The site frame (Wagtail site, menu pages, site settings).
FRAME = 3
# filter regions, count, the page (community, town, listing), listing lines, ratings
LIST_QUERIES = 5 + FRAME
LIST_EMPTY_QUERIES = 2 + FRAME  # nothing found: no page, no lines, no ratings
# project (+ community, town, listing, station, organisation, proposal, consultation),
# budget lines, listing lines, updates, their photos, ratings, acceptance, its photos
DETAIL_QUERIES = 8 + FRAME
# + session, user, roles (station staff run it: no council needed)
DETAIL_STAFF_QUERIES = 3 + DETAIL_QUERIES
# session, user, roles, count, page
REVIEW_QUEUE_QUERIES = 5 + FRAME
# session, user, roles, project, budget lines
REVIEW_QUERIES = 5 + FRAME
# session, user, roles, project, listing lines
MANAGE_QUERIES = 5 + FRAME
# session, user, roles, item, stations, organisations
DECIDE_QUERIES = 6 + FRAME


def _assert(client, url, queries, grow, django_assert_num_queries):
    client.get(url)  # warm per-process caches (content types, Wagtail locales)
    for step in (None, grow):
        if step is not None:
            step()
        with django_assert_num_queries(queries):
            response = client.get(url)
        assert response.status_code == 200
    return response


def _busy_project(councils, city, make_user, n: int):
    """An accepted project with *n* updates, each with a photo, and *n* ratings."""
    project = funded(councils, city, make_user(email=f"donor{n}.{councils.north.pk}@example.org"))
    for i in range(n):
        update = delivery.progress_post(
            actor=councils.station, project=project, body=f"第{i}步", percent=10 * (i + 1)
        )
        photo_add(
            actor=councils.station,
            proposal=project.proposal,
            upload=upload(jpeg_bytes()),
            no_personal_data=True,
            update=update,
        )
    delivery.project_accept_record(actor=councils.station, project=project, note="合格")
    for score in range(n):
        delivery.project_rating_record(actor=councils.station, project=project, score=5 - score % 5)
    return project


def test_list_query_count(client, site, city, councils, make_user, django_assert_num_queries):  # noqa: F811
    _busy_project(councils, city, make_user, 1)

    def grow():
        for _ in range(3):
            approved(councils, city, lines=[*LINES, LINES[0]])
        _busy_project(councils, city, make_user, 2)

    response = _assert(
        client, reverse("projects:list"), LIST_QUERIES, grow, django_assert_num_queries
    )
    assert len(response.context["page"]) == 5
    with django_assert_num_queries(LIST_QUERIES):
        client.get(reverse("projects:list"), {"town": city.north.pk, "status": "accepted"})
    with django_assert_num_queries(LIST_EMPTY_QUERIES):
        client.get(reverse("projects:list"), {"community": city.south_a.pk})


def test_detail_query_count(client, site, city, councils, make_user, django_assert_num_queries):  # noqa: F811
    small = _busy_project(councils, city, make_user, 1)
    url = reverse("projects:detail", args=[small.reference])
    _assert(client, url, DETAIL_QUERIES, None, django_assert_num_queries)
    big = _busy_project(councils, city, make_user, 3)
    big_url = reverse("projects:detail", args=[big.reference])
    client.get(big_url)
    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(big_url)
    assert len(response.context["updates"]) == 3 and response.context["ratings"].count == 3
    client.force_login(councils.station)
    with django_assert_num_queries(DETAIL_STAFF_QUERIES):
        assert client.get(big_url).status_code == 200


def test_review_pages_query_counts(client, site, city, councils, django_assert_num_queries):  # noqa: F811
    project = decide(councils, city)
    client.force_login(councils.reviewer)

    def grow():
        for _ in range(3):
            decide(councils, city, lines=[*LINES, LINES[1]])

    _assert(
        client,
        reverse("projects:review_queue"),
        REVIEW_QUEUE_QUERIES,
        grow,
        django_assert_num_queries,
    )
    _assert(
        client,
        reverse("projects:review", kwargs={"pk": project.pk}),
        REVIEW_QUERIES,
        None,
        django_assert_num_queries,
    )


def test_manage_and_decide_query_counts(
    client,
    site,  # noqa: F811
    city,
    councils,
    make_user,
    django_assert_num_queries,
):
    project = approved(councils, city)
    client.force_login(councils.station)

    def grow():
        for i in range(3):
            delivery.progress_post(actor=councils.station, project=project, body="x", percent=i)

    _assert(
        client,
        reverse("projects:manage", kwargs={"pk": project.pk}),
        MANAGE_QUERIES,
        grow,
        django_assert_num_queries,
    )
    client.force_login(councils.secretary)
    item = passed_item(councils)
    _assert(
        client,
        reverse("projects:decide", kwargs={"pk": item.pk}),
        DECIDE_QUERIES,
        None,
        django_assert_num_queries,
    )
    assert Decimal("0") == 0
