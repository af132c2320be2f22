"""Template filters of the public ledger."""

from decimal import Decimal

from django import template

from accounts.money import format_cny

register = template.Library()


@register.filter
def cny(amount: Decimal | None) -> str:
    """``¥1,234.50`` in every language (zh-hans groups no digits by itself)."""
    return format_cny(amount if amount is not None else Decimal(0))


@register.filter
def cny_signed(amount: Decimal | None) -> str:
    """``+¥1,234.50`` into an account, ``−¥1,234.50`` out of it."""
    amount = amount if amount is not None else Decimal(0)
    return ("−" if amount < 0 else "+") + format_cny(abs(amount))
