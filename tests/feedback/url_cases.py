"""The feedback app's part of the URL permission matrix (``tests/test_urls.py``):
``feedback_world`` builds what the cases need; ``feedback_cases`` lists one Case per
scoped URL."""

from typing import Any


def feedback_world(staff, publish) -> dict[str, Any]:
    """Delivered listings at the north station: one whose link went unanswered (a follow-up
    visit), one whose recipient rated 1 and complained (a case for the north town)."""
    from datetime import timedelta

    from django.utils import timezone

    from feedback import services as feedback
    from feedback.models import ConfirmationLink, FollowUp
    from marketplace.models import Listing, ListingStatus
    from wishes.models import Status

    def delivered():
        listing = Listing.objects.of(publish(Status.PUBLISHED)).get()
        Listing.objects.filter(pk=listing.pk).update(status=ListingStatus.DELIVERED)
        return listing

    late = feedback.confirmation_request(listing=delivered(), actor=staff)
    ConfirmationLink.objects.filter(pk=late.pk).update(
        created_at=timezone.now() - timedelta(days=30)
    )
    feedback.follow_ups_open()
    unhappy = feedback.confirmation_request(listing=delivered(), actor=staff)
    rating = feedback.respond(token=unhappy.raw_token, received=False, score=1, complaint="未收到")
    return {"follow_up": FollowUp.objects.get(link=late), "feedback_case": rating.case}


def feedback_cases(w) -> list:
    from tests.test_urls import Case

    staff, reviewer = w["wish_staff"], w["wish_reviewer"]
    return [
        Case("feedback:follow_ups", {}, allowed=staff, wrong=w["volunteer"]),
        Case(
            "feedback:follow_up",
            {"pk": w["follow_up"].pk},
            allowed=staff,
            wrong=w["south_staff"],
        ),
        Case("feedback:cases", {}, allowed=reviewer, wrong=w["north_staff"]),
        Case(
            "feedback:case",
            {"pk": w["feedback_case"].pk},
            allowed=reviewer,
            wrong=w["south_reviewer"],
        ),
    ]
