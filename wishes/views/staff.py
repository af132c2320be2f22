"""Wish pages: staff."""

urlpatterns: list = []
