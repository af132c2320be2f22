"""Exact query counts of every feedback page, constant as rows grow.

A signed-in request costs 2 queries before the view runs (session, user) and the user's
roles 1 more; the site frame adds its own. Each page is measured once, then again after
more rows of what it lists were added: the count must not change.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback import services
from feedback.models import Case, ConfirmationLink, FollowUp

pytestmark = pytest.mark.django_db


def _assert_constant(client, url, queries, grow, django_assert_num_queries):
    client.get(url)  # warm per-process caches (content types, Wagtail locales)
    for step in (None, grow):
        if step is not None:
            step()
        with django_assert_num_queries(queries):
            response = client.get(url)
        assert response.status_code == 200


@pytest.fixture
def world(city, north_staff, south_staff, north_reviewer, south_reviewer, deliver, send):
    """``world.grow()`` adds, in both towns, a low rating (a case), an answered link and an
    unanswered overdue one (a follow-up visit)."""

    class World:
        def grow(self):
            for staff, community, reviewer in (
                (north_staff, city.north_a, north_reviewer),
                (south_staff, city.south_a, south_reviewer),
            ):
                low = send(deliver(staff, community, reviewer), staff)
                services.respond(token=low.raw_token, received=False, score=1, complaint="差")
                good = send(deliver(staff, community, reviewer), staff)
                services.respond(token=good.raw_token, received=True, score=5)
                late = send(deliver(staff, community, reviewer), staff)
                ConfirmationLink.objects.filter(pk=late.pk).update(
                    created_at=timezone.now() - timedelta(days=30),
                    expires_at=timezone.now() - timedelta(days=1),
                )
            services.follow_ups_open()
            case = Case.objects.filter(town=city.north).order_by("pk").last()
            services.case_move(actor=north_reviewer, case=case, to="in_progress", note="处理中")

    world = World()
    world.grow()
    return world


def test_respond_page(client, delivered, north_staff, send, django_assert_num_queries):
    link = send(delivered, north_staff)
    url = reverse("feedback:respond", args=[link.raw_token])
    client.get(url)
    with django_assert_num_queries(4):  # the link with its listing + the site frame
        assert client.get(url).status_code == 200


def test_invalid_link_page(client, django_assert_num_queries):
    url = reverse("feedback:respond", args=["A" * 43])
    client.get(url)
    with django_assert_num_queries(5):  # + Wagtail's redirect lookup on every 404
        assert client.get(url).status_code == 404


def test_satisfaction_page(client, world, django_assert_num_queries):
    _assert_constant(
        client, reverse("feedback:satisfaction"), 9, world.grow, django_assert_num_queries
    )


def test_satisfaction_page_signed_in(client, world, north_staff, django_assert_num_queries):
    client.force_login(north_staff)
    _assert_constant(
        client, reverse("feedback:satisfaction"), 12, world.grow, django_assert_num_queries
    )


def test_follow_ups_page(client, world, north_staff, django_assert_num_queries):
    client.force_login(north_staff)
    _assert_constant(
        client, reverse("feedback:follow_ups"), 8, world.grow, django_assert_num_queries
    )


def test_follow_up_page(client, world, north_staff, django_assert_num_queries):
    client.force_login(north_staff)
    follow_up = FollowUp.objects.filter(listing__community__path__startswith="/dg/dg-n").first()
    url = reverse("feedback:follow_up", args=[follow_up.pk])
    _assert_constant(client, url, 7, world.grow, django_assert_num_queries)


def test_cases_page(client, world, north_reviewer, django_assert_num_queries):
    client.force_login(north_reviewer)
    _assert_constant(client, reverse("feedback:cases"), 8, world.grow, django_assert_num_queries)


def test_case_page(client, world, north_reviewer, django_assert_num_queries, city):
    client.force_login(north_reviewer)
    case = Case.objects.filter(town=city.north).order_by("pk").first()

    def more_steps():
        world.grow()
        services.case_move(actor=north_reviewer, case=case, to="resolved", note="已解决")
        services.case_move(actor=north_reviewer, case=case, to="in_progress", note="重开")

    url = reverse("feedback:case", args=[case.pk])
    _assert_constant(client, url, 8, more_steps, django_assert_num_queries)


def test_thanks_page(client, django_assert_num_queries):
    url = reverse("feedback:thanks")
    client.get(url)
    with django_assert_num_queries(3):  # the site frame only
        assert client.get(url).status_code == 200
