"""Wish pages: files."""

urlpatterns: list = []
