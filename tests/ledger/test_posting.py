"""`ledger_post` refuses anything but a balanced entry of Money postings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from moneyed import Money

from souk.ledger.chart import Account, EntryKind
from souk.ledger.models import JournalEntry, JournalLine
from souk.ledger.posting import Posting, UnbalancedEntry, credit, debit, ledger_post
from souk.ledger.selectors import account_balance

pytestmark = pytest.mark.django_db

USD = "USD"


def test_balanced_entry_is_written_with_two_inserts_or_one_statement_on_postgresql():
    with CaptureQueriesContext(connection) as ctx:
        entry = ledger_post(kind=EntryKind.CAPTURE, order_id=7, store_id=3, memo="order 7 paid",
                            postings=[debit(Account.GATEWAY_CLEARING, Money("25.00", USD)),
                                      credit(Account.ESCROW, Money("25.00", USD))])
    writes = [q for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "WITH"))]
    assert len(writes) == (1 if connection.vendor == "postgresql" else 2)
    assert len(ctx.captured_queries) == len(writes)
    lines = list(entry.lines.order_by("id").values_list("account_id", "amount_minor", "currency", "order_id"))
    assert lines == [("gateway_clearing", 2500, USD, 7), ("escrow", -2500, USD, 7)]


def test_unbalanced_entry_is_refused_and_nothing_is_written():
    with pytest.raises(UnbalancedEntry) as err:
        ledger_post(kind=EntryKind.CAPTURE, postings=[debit(Account.GATEWAY_CLEARING, Money("25.00", USD)),
                                                      credit(Account.ESCROW, Money("24.99", USD))])
    assert err.value.code == "ledger_unbalanced"
    assert "USD +1" in err.value.message
    assert not JournalEntry.objects.exists() and not JournalLine.objects.exists()


def test_entry_must_balance_in_each_currency_separately():
    with pytest.raises(UnbalancedEntry):
        ledger_post(kind=EntryKind.CAPTURE, postings=[
            Posting(Account.GATEWAY_CLEARING, Money(10, USD)), Posting(Account.ESCROW, Money(-10, "EUR"))])
    assert not JournalLine.objects.exists()


@pytest.mark.parametrize("amount", [2500, Decimal("25.00"), 25.0, "25.00"])
def test_only_money_is_accepted(amount):
    with pytest.raises(TypeError):
        Posting(Account.ESCROW, amount)
    with pytest.raises(TypeError):
        debit(Account.ESCROW, amount)


def test_zero_amount_posting_is_refused():
    with pytest.raises(ValueError, match="zero"):
        Posting(Account.ESCROW, Money(0, USD))


def test_unknown_account_is_refused():
    with pytest.raises(ValueError, match="unknown ledger account"):
        Posting("petty_cash", Money(1, USD))


def test_single_posting_is_refused():
    with pytest.raises(UnbalancedEntry):
        ledger_post(kind=EntryKind.CAPTURE, postings=[debit(Account.ESCROW, Money(1, USD))])


def test_amount_finer_than_the_currency_allows_is_refused():
    from souk.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        ledger_post(kind=EntryKind.CAPTURE, postings=[debit(Account.GATEWAY_CLEARING, Money("1.005", USD)),
                                                      credit(Account.ESCROW, Money("1.005", USD))])


@pytest.mark.django_db(transaction=True)
def test_posting_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        ledger_post(kind=EntryKind.CAPTURE, postings=[debit(Account.GATEWAY_CLEARING, Money(1, USD)),
                                                      credit(Account.ESCROW, Money(1, USD))])
    with transaction.atomic():
        ledger_post(kind=EntryKind.CAPTURE, postings=[debit(Account.GATEWAY_CLEARING, Money(1, USD)),
                                                      credit(Account.ESCROW, Money(1, USD))])
    # The chart survives the flush of transactional tests (post_migrate recreates it).
    assert account_balance(Account.ESCROW, USD) == Money(-1, USD)


def test_account_balance_is_signed_debit_positive():
    ledger_post(kind=EntryKind.CAPTURE, order_id=1, postings=[debit(Account.GATEWAY_CLEARING, Money(30, USD)),
                                                              credit(Account.ESCROW, Money(30, USD))])
    ledger_post(kind=EntryKind.CAPTURE, order_id=2, postings=[debit(Account.GATEWAY_CLEARING, Money(12, USD)),
                                                              credit(Account.ESCROW, Money(12, USD))])
    assert account_balance(Account.GATEWAY_CLEARING, USD) == Money(42, USD)
    assert account_balance(Account.ESCROW, USD) == Money(-42, USD)
    assert account_balance(Account.ESCROW, USD, order_id=2) == Money(-12, USD)
    assert account_balance(Account.ESCROW, "EUR") == Money(0, "EUR")
