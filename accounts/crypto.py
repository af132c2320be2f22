"""Personal data at rest: Fernet-encrypted fields and keyed-hash blind indexes.

Keys are their own, not derived from ``SECRET_KEY``, so rotating one never locks away the
other. ``PERSONAL_DATA_KEYS`` is a list: the first encrypts, all decrypt (rotate by putting a
new key first and re-saving rows). ``BLIND_INDEX_KEY`` makes look-up hashes that cannot be
reversed or recomputed without it; changing it means recomputing every blind index.
"""

import hashlib
import hmac
import unicodedata
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet() -> MultiFernet:
    keys = settings.PERSONAL_DATA_KEYS
    if not keys:
        raise ImproperlyConfigured("PERSONAL_DATA_KEYS must hold at least one Fernet key.")
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:  # wrong key: fail loudly, never show ciphertext as data
        raise ImproperlyConfigured(
            "Personal data cannot be decrypted with PERSONAL_DATA_KEYS."
        ) from exc


class EncryptedTextField(models.TextField):
    """Text stored encrypted. Cannot be filtered on: use a blind index beside it."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value

    def get_lookup(self, lookup_name):
        if lookup_name not in ("isnull", "exact"):
            return None
        return super().get_lookup(lookup_name)


def normalise_id_number(value: str) -> str:
    """Canonical form of a mainland resident ID number: no spaces, upper-case check digit."""
    return unicodedata.normalize("NFKC", value).replace(" ", "").upper()


def blind_index(value: str, *, purpose: str) -> str:
    """A keyed hash of *value* for equality look-ups on encrypted data (hex, 64 chars)."""
    key = settings.BLIND_INDEX_KEY.encode("utf-8")
    message = f"{purpose}:{value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
