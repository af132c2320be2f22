"""Views: decisions, town review, project pages, progress and acceptance (see
projects/services/delivery.py)."""

from django.urls import path, re_path

from projects.views._stub import placeholder

urlpatterns = [
    path("projects/", placeholder, name="list"),
    re_path(r"^projects/(?P<reference>MP[0-9]{4}-[0-9A-F]{6})/$", placeholder, name="detail"),
    path("projects/council/items/<int:pk>/decide/", placeholder, name="decide"),
    path("projects/review/", placeholder, name="review_queue"),
    path("projects/station/<int:pk>/", placeholder, name="manage"),
]
