"""Marketplace pages: ``public`` (browsing), ``donor`` (claiming, pledging) and ``staff``."""
