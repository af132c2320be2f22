"""Wish pages, by audience: ``public`` (anyone and requesters), ``staff`` (stations, towns,
city), ``files`` (private attachments). Each module lists its own ``urlpatterns``."""
