"""Wish pages for everyone: requesters following their wish, and (below) the public."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from wishes import selectors
from wishes.models import Wish
from wishes.tracking import reference_from_token


def _progress(request: HttpRequest, wish: Wish) -> HttpResponse:
    """The requester's view of a wish: status, deadline and every step, no private data."""
    return render(
        request,
        "wishes/progress.html",
        {
            "wish": wish,
            "needs": list(wish.needs.all()),
            "steps": list(selectors.timeline(wish)),
            "reason_verbs": selectors.REQUESTER_REASON_VERBS,
        },
    )


@require_GET
def track(request: HttpRequest, token: str) -> HttpResponse:
    """Follow a wish by the signed link sent in every message; no password needed."""
    reference = reference_from_token(token)
    wish = (
        Wish.objects.filter(reference=reference).select_related("station").first()
        if reference
        else None
    )
    if wish is None:
        raise Http404
    return _progress(request, wish)


urlpatterns = [
    path("wishes/track/<str:token>/", track, name="track"),
]
