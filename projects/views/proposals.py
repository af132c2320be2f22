"""Views: proposals (see projects/services/proposals.py)."""

from django.urls import path

from projects.views._stub import placeholder

urlpatterns = [
    path("projects/proposals/", placeholder, name="proposals"),
    path("projects/proposals/<str:reference>/", placeholder, name="proposal"),
]
