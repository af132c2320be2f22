"""Posting to the ledger: the one way money moves on the record.

:func:`post` writes one balanced transaction. Call it inside the database transaction of
the change it records, holding the row lock that guards each holding account it takes
money out of (a fund's row for its account, a listing's row for its escrow); it keeps the
cached balances of holding accounts with ``F()`` in account order, and the database
refuses a holding account below zero.
"""

import secrets
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import Conflict
from accounts.models import User
from accounts.money import money
from marketplace.models import (
    HOLDING_KINDS,
    Account,
    AccountKind,
    Campaign,
    Fund,
    LedgerLine,
    LedgerTransaction,
    Listing,
    Pledge,
)

# The accounts that stand for the world outside, one of each.
DONATIONS_IN = "donations-in"
PUBLIC_IN = "public-in"
PAYOUTS = "payouts"
REFUNDS = "refunds"
FEES = "fees"
_WORLD = {
    DONATIONS_IN: (AccountKind.DONATIONS_IN, _("Donor payments received")),
    PUBLIC_IN: (AccountKind.PUBLIC_IN, _("Public appropriations and deposits")),
    PAYOUTS: (AccountKind.PAYOUTS, _("Paid out to payees")),
    REFUNDS: (AccountKind.REFUNDS, _("Refunded to donors")),
    FEES: (AccountKind.FEES, _("Payment provider fees")),
}


class Unbalanced(ValueError):
    """A programming error: the lines of a transaction must sum to zero."""


class Overspent(Conflict):
    """A holding account would go below zero (the database refused it)."""

    code = "overspent"
    message = _("There is not enough money left for this. Nothing was changed.")


@dataclass(frozen=True)
class Leg:
    """Move *amount* out of *source* into *target*."""

    source: Account
    target: Account
    amount: Decimal


def world(code: str) -> Account:
    """One of the world accounts (created on first use)."""
    kind, name = _WORLD[code]
    account, _created = Account.objects.get_or_create(
        code=code, defaults={"kind": kind, "name": str(name)}
    )
    return account


def clearing(provider_id: str) -> Account:
    """The clearing account of a payment provider: money received, not yet placed."""
    account, _created = Account.objects.get_or_create(
        code=f"clearing:{provider_id}",
        defaults={"kind": AccountKind.CLEARING, "name": f"Clearing · {provider_id}"},
    )
    return account


def escrow(listing: Listing) -> Account:
    """The escrow of *listing*: money given for it and not yet paid out."""
    account, _created = Account.objects.get_or_create(
        listing=listing,
        defaults={
            "code": f"escrow:{listing.reference}",
            "kind": AccountKind.ESCROW,
            "name": f"Escrow · {listing.reference}",
        },
    )
    return account


def fund_account_create(name: str) -> Account:
    """A new fund's account (its code is fixed once the fund has a pk: ``fund:<token>``)."""
    return Account.objects.create(
        code=f"fund:{secrets.token_hex(6)}", kind=AccountKind.FUND, name=name[:160]
    )


def _reference() -> str:
    return f"T{timezone.localdate():%y%m}-{secrets.token_hex(5).upper()}"


def post(
    *,
    kind: str,
    legs: list[Leg],
    memo: str = "",
    actor: User | None = None,
    external_reference: str = "",
    listing: Listing | None = None,
    pledge: Pledge | None = None,
    campaign: Campaign | None = None,
    fund: Fund | None = None,
    reverses: LedgerTransaction | None = None,
    now=None,
) -> LedgerTransaction:
    """Post one balanced transaction made of *legs*.

    Raises:
        Unbalanced: a leg of zero or negative amount (a programming error).
        Overspent: a holding account would go below zero; the caller's transaction must
            roll back (it does, as the error propagates out of ``atomic``).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("post() must run inside the transaction of the change it records")
    if not legs:
        raise Unbalanced("a transaction needs at least one leg")
    lines: list[tuple[Account, Decimal]] = []
    for leg in legs:
        amount = money(leg.amount)
        if amount <= 0 or leg.source.pk == leg.target.pk:
            raise Unbalanced(f"bad leg {leg!r}")
        lines += [(leg.source, -amount), (leg.target, amount)]
    if sum(amount for _account, amount in lines) != 0:  # pragma: no cover - by construction
        raise Unbalanced("lines do not sum to zero")
    entry = LedgerTransaction.objects.create(
        reference=_reference(),
        kind=kind,
        memo=memo[:200],
        external_reference=external_reference[:120],
        listing=listing,
        pledge=pledge,
        campaign=campaign,
        fund=fund,
        reverses=reverses,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=now or timezone.now(),
    )
    LedgerLine.objects.bulk_create(
        [LedgerLine(transaction=entry, account=account, amount=amount) for account, amount in lines]
    )
    net: dict[int, Decimal] = defaultdict(Decimal)
    for account, amount in lines:
        if account.kind in HOLDING_KINDS:
            net[account.pk] += amount
    # No savepoint: a refused update fails the caller's whole transaction, as it must.
    try:
        for pk in sorted(net):  # one order, so two posters never deadlock
            if net[pk]:
                Account.objects.filter(pk=pk).update(balance=F("balance") + net[pk])
    except IntegrityError as exc:  # account_holding_never_negative
        raise Overspent() from exc
    return entry


def reverse(
    *, entry: LedgerTransaction, actor: User | None, memo: str, now=None
) -> LedgerTransaction:
    """Post the mirror image of *entry* (the only way to correct the ledger).

    The caller holds the locks that guard the accounts money goes back out of.
    """
    legs = []
    for line in entry.lines.select_related("account"):
        if line.amount > 0:
            legs.append(line)
    sources = [line for line in entry.lines.select_related("account") if line.amount < 0]
    # Pair each positive line with negative ones by walking both lists (amounts match
    # exactly overall, though not necessarily one to one).
    pairs: list[Leg] = []
    outs = [[line.account, -line.amount] for line in sources]
    for line in legs:
        need = line.amount
        for out in outs:
            if need == 0:
                break
            take = min(need, out[1])
            if take > 0:
                pairs.append(Leg(source=line.account, target=out[0], amount=take))
                out[1] -= take
                need -= take
    return post(
        kind="reversal",
        legs=pairs,
        memo=memo,
        actor=actor,
        listing=entry.listing,
        pledge=entry.pledge,
        campaign=entry.campaign,
        fund=entry.fund,
        reverses=entry,
        now=now,
    )
