"""Views: proposals (see projects/services/proposals.py)."""

urlpatterns: list = []
