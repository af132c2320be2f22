"""The ledger: balanced transactions only, holding accounts never below zero, append-only
in the ORM and (on PostgreSQL) in the database itself, corrected only by reversal."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from accounts.models import AppendOnlyError
from marketplace import ledger
from marketplace.ledger import Leg
from marketplace.models import Account, LedgerLine, LedgerTransaction, TransactionKind
from tests.marketplace.funds_helpers import assert_ledger_consistent

pytestmark = pytest.mark.django_db


@pytest.fixture
def fund_account() -> Account:
    return ledger.fund_account_create("测试基金")


def _top_up(account: Account, amount: str) -> LedgerTransaction:
    with transaction.atomic():
        return ledger.post(
            kind=TransactionKind.TOP_UP,
            legs=[
                Leg(source=ledger.world(ledger.PUBLIC_IN), target=account, amount=Decimal(amount))
            ],
            memo="拨款",
        )


def _balance(account: Account) -> Decimal:
    return Account.objects.get(pk=account.pk).balance


# --- post() -------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["0", "0.00", "-5", "0.004"])
def test_post_refuses_a_leg_of_zero_or_less(fund_account, amount):
    public_in = ledger.world(ledger.PUBLIC_IN)
    with pytest.raises(ledger.Unbalanced), transaction.atomic():
        ledger.post(
            kind=TransactionKind.TOP_UP,
            legs=[Leg(source=public_in, target=fund_account, amount=Decimal(amount))],
        )
    assert not LedgerTransaction.objects.exists() and not LedgerLine.objects.exists()


def test_post_refuses_no_legs_and_a_leg_into_its_own_account(fund_account):
    with pytest.raises(ledger.Unbalanced), transaction.atomic():
        ledger.post(kind=TransactionKind.TOP_UP, legs=[])
    with pytest.raises(ledger.Unbalanced), transaction.atomic():
        ledger.post(
            kind=TransactionKind.TOP_UP,
            legs=[Leg(source=fund_account, target=fund_account, amount=Decimal("5"))],
        )
    assert not LedgerTransaction.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_post_runs_only_inside_the_transaction_of_the_change_it_records(fund_account):
    public_in = ledger.world(ledger.PUBLIC_IN)
    with pytest.raises(RuntimeError):
        ledger.post(
            kind=TransactionKind.TOP_UP,
            legs=[Leg(source=public_in, target=fund_account, amount=Decimal("5"))],
        )
    assert not LedgerTransaction.objects.exists()


def test_cached_balances_of_holding_accounts_equal_their_sums(fund_account, listing):
    escrow = ledger.escrow(listing)
    _top_up(fund_account, "1000")
    with transaction.atomic():
        entry = ledger.post(
            kind=TransactionKind.MATCH,
            legs=[Leg(source=fund_account, target=escrow, amount=Decimal("250.50"))],
            listing=listing,
        )
    assert _balance(fund_account) == Decimal("749.50") == fund_account.ledger_balance()
    assert _balance(escrow) == Decimal("250.50") == escrow.ledger_balance()
    assert sorted(entry.lines.values_list("amount", flat=True)) == [
        Decimal("-250.50"),
        Decimal("250.50"),
    ]
    # World accounts run negative freely; their balance is not cached.
    public_in = ledger.world(ledger.PUBLIC_IN)
    assert public_in.ledger_balance() == Decimal("-1000.00") and public_in.balance == 0
    assert_ledger_consistent()


def test_a_transaction_of_several_legs_balances_and_touches_each_account_once(
    fund_account, listing
):
    escrow = ledger.escrow(listing)
    clearing = ledger.clearing("offline")
    donations = ledger.world(ledger.DONATIONS_IN)
    with transaction.atomic():
        entry = ledger.post(
            kind=TransactionKind.PAYMENT,
            legs=[
                Leg(source=donations, target=clearing, amount=Decimal("80")),
                Leg(source=clearing, target=escrow, amount=Decimal("80")),
            ],
        )
    assert entry.lines.count() == 4 and sum(entry.lines.values_list("amount", flat=True)) == 0
    assert _balance(clearing) == 0 and _balance(escrow) == Decimal("80.00")
    assert_ledger_consistent()


def test_a_holding_account_never_goes_below_zero(fund_account, listing):
    _top_up(fund_account, "100")
    lines_before = LedgerLine.objects.count()
    entries_before = LedgerTransaction.objects.count()
    with pytest.raises(ledger.Overspent) as refused, transaction.atomic():
        ledger.post(
            kind=TransactionKind.MATCH,
            legs=[
                Leg(source=fund_account, target=ledger.escrow(listing), amount=Decimal("100.01"))
            ],
        )
    assert refused.value.status == 409 and refused.value.code == "overspent"
    assert LedgerLine.objects.count() == lines_before  # nothing written
    assert LedgerTransaction.objects.count() == entries_before
    assert _balance(fund_account) == Decimal("100.00")
    with transaction.atomic():  # exactly all of it is fine
        ledger.post(
            kind=TransactionKind.MATCH,
            legs=[Leg(source=fund_account, target=ledger.escrow(listing), amount=Decimal("100"))],
        )
    assert _balance(fund_account) == 0
    assert_ledger_consistent()


def test_the_database_refuses_a_negative_cached_balance(fund_account):
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=fund_account.pk).update(balance=Decimal("-0.01"))


# --- Append-only in the ORM ---------------------------------------------------------------


def test_the_orm_refuses_to_change_or_delete_ledger_rows(fund_account):
    entry = _top_up(fund_account, "10")
    line = entry.lines.first()
    entry.memo = "改过"
    with pytest.raises(AppendOnlyError):
        entry.save()
    line.amount = Decimal("20")
    with pytest.raises(AppendOnlyError):
        line.save()
    for row in (entry, line):
        with pytest.raises(AppendOnlyError):
            row.delete()
    for model, change in ((LedgerTransaction, {"memo": "改过"}), (LedgerLine, {"amount": 1})):
        with pytest.raises(AppendOnlyError):
            model.objects.all().delete()
        with pytest.raises(AppendOnlyError):
            model.objects.filter(pk__gt=0).update(**change)
    with pytest.raises(AppendOnlyError), transaction.atomic():
        LedgerLine.objects.bulk_update([line], ["amount"])
    entry = LedgerTransaction.objects.get(pk=entry.pk)
    assert entry.memo == "拨款"
    assert sorted(entry.lines.values_list("amount", flat=True)) == [
        Decimal("-10.00"),
        Decimal("10.00"),
    ]


# --- Append-only and balanced in PostgreSQL itself ----------------------------------------

postgres = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="the triggers exist on PostgreSQL only"
)


def _raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_refuses_raw_update_and_delete_of_a_ledger_line(fund_account):
    entry = _top_up(fund_account, "10")
    line = entry.lines.order_by("pk").first()
    for sql in (
        "UPDATE marketplace_ledgerline SET amount = amount * 2 WHERE id = %s",
        "DELETE FROM marketplace_ledgerline WHERE id = %s",
        "UPDATE marketplace_ledgertransaction SET memo = 'x' WHERE id = %s",
    ):
        row = entry.pk if "ledgertransaction" in sql else line.pk
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _raw(sql, [row])
    assert LedgerLine.objects.get(pk=line.pk).amount == line.amount
    assert LedgerLine.objects.filter(transaction=entry).count() == 2


@postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_refuses_an_unbalanced_transaction_at_commit(fund_account):
    entry = _top_up(fund_account, "10")
    before = LedgerLine.objects.count()
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        # Each statement passes; the deferred constraint trigger checks at COMMIT.
        _raw(
            "INSERT INTO marketplace_ledgerline (transaction_id, account_id, amount) "
            "VALUES (%s, %s, %s)",
            [entry.pk, fund_account.pk, Decimal("5.00")],
        )
        inserted = LedgerLine.objects.count()
    assert inserted == before + 1  # the statement itself passed; the commit did not
    assert LedgerLine.objects.count() == before
    # A balanced pair inserted the same way commits.
    public_in = ledger.world(ledger.PUBLIC_IN)
    with transaction.atomic():
        _raw(
            "INSERT INTO marketplace_ledgerline (transaction_id, account_id, amount) "
            "VALUES (%s, %s, %s), (%s, %s, %s)",
            [entry.pk, fund_account.pk, Decimal("5.00"), entry.pk, public_in.pk, Decimal("-5.00")],
        )
    assert LedgerLine.objects.count() == before + 2


# --- Correction by reversal ----------------------------------------------------------------


def test_reverse_posts_the_mirror_image_and_the_balances_return(fund_account, listing):
    _top_up(fund_account, "500")
    escrow = ledger.escrow(listing)
    clearing = ledger.clearing("offline")
    with transaction.atomic():
        entry = ledger.post(
            kind=TransactionKind.MATCH,
            legs=[
                Leg(source=fund_account, target=escrow, amount=Decimal("120")),
                Leg(source=fund_account, target=clearing, amount=Decimal("30.25")),
            ],
            listing=listing,
            memo="配捐",
        )
    assert _balance(fund_account) == Decimal("349.75")
    with transaction.atomic():
        mirror = ledger.reverse(entry=entry, actor=None, memo="录入错误")
    assert mirror.kind == TransactionKind.REVERSAL and mirror.reverses_id == entry.pk
    assert mirror.listing_id == listing.pk and mirror.memo == "录入错误"
    net = {}
    for line in LedgerLine.objects.filter(transaction__in=[entry, mirror]):
        net[line.account_id] = net.get(line.account_id, 0) + line.amount
    assert set(net.values()) == {0}  # every account is back where it was
    assert _balance(fund_account) == Decimal("500.00")
    assert _balance(escrow) == 0 and _balance(clearing) == 0
    assert_ledger_consistent()
    # An entry is reversed once (the link is one-to-one).
    with pytest.raises(IntegrityError), transaction.atomic():
        ledger.reverse(entry=entry, actor=None, memo="again")


def test_a_reversal_that_would_overspend_is_refused(fund_account, listing):
    escrow = ledger.escrow(listing)
    _top_up(fund_account, "100")
    with transaction.atomic():
        entry = ledger.post(
            kind=TransactionKind.MATCH,
            legs=[Leg(source=fund_account, target=escrow, amount=Decimal("100"))],
        )
        ledger.post(
            kind=TransactionKind.DISBURSEMENT,
            legs=[Leg(source=escrow, target=ledger.world(ledger.PAYOUTS), amount=Decimal("60"))],
        )
    with pytest.raises(ledger.Overspent), transaction.atomic():
        ledger.reverse(entry=entry, actor=None, memo="too late: paid out")
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.REVERSAL).exists()
    assert_ledger_consistent()
