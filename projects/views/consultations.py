"""Views: consultations (see projects/services/consultations.py)."""

urlpatterns: list = []
