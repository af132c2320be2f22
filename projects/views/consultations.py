"""Views: consultations (see projects/services/consultations.py)."""

from django.urls import path

from projects.views._stub import placeholder

urlpatterns = [
    path("projects/consultations/", placeholder, name="consultations"),
    path("projects/consultations/<int:pk>/", placeholder, name="consultation"),
    path("projects/consultations/<int:pk>/vote/", placeholder, name="ballot"),
    path("projects/council/", placeholder, name="council"),
    path("projects/council/consultations/<int:pk>/", placeholder, name="consultation_manage"),
]
