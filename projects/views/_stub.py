"""Placeholders for pages another part of the app links to, until that part is built."""

from django.http import Http404


def placeholder(request, *args, **kwargs):
    raise Http404
