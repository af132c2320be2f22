"""Money: ``Decimal`` with two places, in CNY. Never float.

Stripe counts CNY in fen (1/100 yuan); :func:`to_fen` and :func:`from_fen` are the only
places that convert.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

CURRENCY = "CNY"
CENT = Decimal("0.01")
MAX_DIGITS = 12
DECIMAL_PLACES = 2


def money(value: Decimal | int | str) -> Decimal:
    """Return *value* as CNY Decimal with two places (half up).

    Raises:
        TypeError: for a float, which cannot carry money exactly.
        ValueError: for text that is not a number.
    """
    if isinstance(value, float):
        raise TypeError("Money must not be a float; pass a Decimal, int or str.")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"Not an amount of money: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"Not an amount of money: {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def to_fen(amount: Decimal | int | str) -> int:
    """Yuan to Stripe's integer minor unit (fen): ``Decimal('12.34')`` -> ``1234``."""
    return int(money(amount) * 100)


def from_fen(fen: int) -> Decimal:
    """Stripe's integer fen back to yuan: ``1234`` -> ``Decimal('12.34')``."""
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError("fen must be an int")
    return (Decimal(fen) / 100).quantize(CENT)


def format_cny(amount: Decimal) -> str:
    """``¥1,234.50``: thousands grouped by three, as on Chinese receipts and in English."""
    return f"¥{money(amount):,.2f}"


def MoneyField(verbose_name=None, **kwargs) -> models.DecimalField:  # noqa: N802
    """A ``DecimalField(12, 2)`` for CNY amounts, non-negative unless told otherwise."""
    kwargs.setdefault("max_digits", MAX_DIGITS)
    kwargs.setdefault("decimal_places", DECIMAL_PLACES)
    signed = kwargs.pop("signed", False)  # True for balances and adjustments that may go below zero
    if not signed:
        kwargs.setdefault("validators", [MinValueValidator(Decimal("0.00"))])
    kwargs.setdefault("help_text", _("Amount in yuan (CNY)."))
    return models.DecimalField(verbose_name, **kwargs)
