"""Encrypted personal data and blind indexes."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from accounts import crypto


@pytest.fixture
def keys(settings):
    def use(*keys):
        settings.PERSONAL_DATA_KEYS = list(keys)
        crypto._fernet.cache_clear()

    yield use
    crypto._fernet.cache_clear()


def test_round_trip_and_no_plaintext(keys):
    keys(Fernet.generate_key().decode())
    token = crypto.encrypt("44190019470101123X")
    assert "44190019470101123X" not in token
    assert crypto.decrypt(token) == "44190019470101123X"
    assert crypto.encrypt("same") != crypto.encrypt("same")  # randomised


def test_rotation_keeps_old_data_readable(keys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys(old)
    token = crypto.encrypt("旧数据")
    keys(new, old)  # the new key first: it encrypts; both decrypt
    assert crypto.decrypt(token) == "旧数据"
    fresh = crypto.encrypt("新数据")
    keys(new)
    assert crypto.decrypt(fresh) == "新数据"
    with pytest.raises(ImproperlyConfigured):
        crypto.decrypt(token)  # the old key is gone: refuse loudly, never return ciphertext


def test_no_keys_is_a_configuration_error(keys):
    keys()
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("x")


def test_blind_index_is_keyed_normalised_and_purpose_bound(settings):
    a = crypto.blind_index(crypto.normalise_id_number("44190019470101123x "), purpose="person-id")
    b = crypto.blind_index(
        crypto.normalise_id_number("４４１９００１９４７０１０１１２３X"), purpose="person-id"
    )
    assert a == b and len(a) == 64
    assert crypto.blind_index("x", purpose="person-id") != crypto.blind_index("x", purpose="other")
    settings.BLIND_INDEX_KEY = "another-key"
    assert (
        crypto.blind_index(crypto.normalise_id_number("44190019470101123X"), purpose="person-id")
        != a
    )
