"""Wish forms, by audience: ``common`` (needs lines, household), ``public``, ``staff``."""
