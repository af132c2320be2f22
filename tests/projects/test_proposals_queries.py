"""Exact query counts of the proposal pages, constant as proposals, supporters, merges,
photos and history grow.

A signed-in request costs 2 queries before the view runs (session, user), the user's roles
1 more (read once per request and cached), and the site frame its own few.
"""

import pytest
from django.urls import reverse

from projects.services import proposals as services
from projects.services.photos import photo_add
from tests.marketplace.giving_fixtures import site  # noqa: F401  (the Wagtail site frame)
from tests.projects.proposals_fixtures import consultation, jpeg_bytes, propose, support, upload

pytestmark = pytest.mark.django_db

# filter regions, count, the page of proposals (community, town, council) + the frame
LIST_QUERIES = 6
LIST_EMPTY_QUERIES = 5  # nothing found: no page to read
LIST_HTMX_QUERIES = 3  # the results only, no frame
# proposal (community, town, council, merged into), merged from, history, photos,
# consultation item, project + the frame
DETAIL_ANONYMOUS_QUERIES = 9
# + session, user, roles, own support, merge targets
DETAIL_MEMBER_QUERIES = 14


def _grow(city, councils, make_user, n: int) -> None:
    for i in range(n):
        people = [make_user(email=f"grow{n}.{i}.{k}@example.org") for k in range(2)]
        proposal = support(propose(councils.resident, city.north_a, title=f"提议{i}"), people)
        photo_add(
            actor=councils.resident,
            proposal=proposal,
            upload=upload(jpeg_bytes()),
            no_personal_data=True,
        )


def test_list_query_counts(client, site, city, councils, make_user, django_assert_num_queries):  # noqa: F811
    _grow(city, councils, make_user, 1)
    url = reverse("projects:proposals")
    filters = {"town": city.north.pk, "community": city.north_a.pk, "status": "tabled"}
    client.get(url)  # warm per-process caches (content types, Wagtail locales)
    for grow in (False, True):
        if grow:
            _grow(city, councils, make_user, 4)
        with django_assert_num_queries(LIST_QUERIES):
            response = client.get(url)
        assert response.status_code == 200 and len(response.context["page"]) > 0
        with django_assert_num_queries(LIST_QUERIES):
            response = client.get(url, {**filters, "sort": "supported"})
        assert response.status_code == 200 and len(response.context["page"]) > 0
        with django_assert_num_queries(LIST_EMPTY_QUERIES):
            response = client.get(url, {"community": city.south_a.pk})
        assert response.status_code == 200
        with django_assert_num_queries(LIST_HTMX_QUERIES):
            response = client.get(url, filters, headers={"HX-Request": "true"})
        assert response.status_code == 200


def test_detail_query_counts(client, site, city, councils, make_user, django_assert_num_queries):  # noqa: F811
    consultation(councils.north)
    proposal = propose(councils.resident, city.north_a)
    propose(councils.resident, city.north_a, title="另一个")
    url = reverse("projects:proposal", args=[proposal.reference])
    client.get(url)  # warm per-process caches

    def grow():
        for i in range(3):
            other = support(
                propose(make_user(email=f"p{i}@example.org"), city.north_a, title=f"合并{i}"),
                [make_user(email=f"s{i}@example.org")],
            )
            services.proposal_merge(
                actor=councils.station, proposal=other, into=proposal, reason="重复"
            )
            photo_add(
                actor=councils.resident,
                proposal=proposal,
                upload=upload(jpeg_bytes()),
                no_personal_data=True,
            )

    for step in (None, grow):
        if step is not None:
            step()
        client.logout()
        with django_assert_num_queries(DETAIL_ANONYMOUS_QUERIES):
            response = client.get(url)
        assert response.status_code == 200
        client.force_login(councils.members[1])
        with django_assert_num_queries(DETAIL_MEMBER_QUERIES):
            response = client.get(url)
        assert response.status_code == 200
    assert response.context["item"] is not None  # tabled on reaching its supporters
    assert len(response.context["merged"]) == 3 and len(response.context["photos"]) == 3
