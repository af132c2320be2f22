"""Views: delivery (see projects/services/delivery.py)."""

urlpatterns: list = []
