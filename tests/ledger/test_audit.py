"""`souk audit` names the first broken invariant; rows are broken here by bypassing `ledger_post`."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from moneyed import Money

from souk.ledger.audit import run_audit
from souk.ledger.chart import Account, EntryKind
from souk.ledger.models import JournalEntry, JournalLine
from souk.ledger.movements import post_capture, post_refund_settle, post_refund_start, post_release

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def without_database_guard(db):
    """On PostgreSQL the balance trigger is switched off for each test's transaction (rolled back
    afterwards), as a careless manual fix could, so the audit is what has to catch the damage."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE ledger_journalline DISABLE TRIGGER ledger_entry_balanced")


def usd(amount) -> Money:
    return Money(amount, "USD")


def raw_entry(kind: str, order_id: int | None, *lines: tuple[str, int, str]) -> JournalEntry:
    """Writes an entry the way a bug would: straight to the tables, no checks."""
    entry = JournalEntry.objects.create(kind=kind, order_id=order_id)
    JournalLine.objects.bulk_create([JournalLine(entry=entry, account_id=a, order_id=order_id, amount_minor=m,
                                                 currency=c) for a, m, c in lines])
    return entry


def invariants() -> list[str]:
    return [f.invariant for f in run_audit()]


def test_clean_ledger_prints_audit_clean(capsys):
    post_capture(order_id=1, store_id=1, amount=usd(10))
    call_command("audit")
    assert capsys.readouterr().out.strip() == "audit clean"


def test_unbalanced_entry_is_named_with_its_id():
    bad = raw_entry(EntryKind.CAPTURE, 5, (Account.GATEWAY_CLEARING, 1000, "USD"), (Account.ESCROW, -999, "USD"))
    with pytest.raises(CommandError) as err:
        call_command("audit")
    assert err.value.returncode == 1
    assert "entry_unbalanced" in str(err.value) and f"journal entry {bad.pk}" in str(err.value)


def test_escrow_going_negative_is_caught_at_the_entry_that_overdrew_it():
    post_capture(order_id=7, store_id=1, amount=usd(10))
    over = raw_entry(EntryKind.RELEASE, 7, (Account.ESCROW, 1500, "USD"), (Account.SELLER_PAYABLE, -1500, "USD"))
    findings = run_audit()
    escrow = [f for f in findings if f.invariant == "escrow_negative"]
    assert escrow and escrow[0].order_id == 7 and escrow[0].entry_id == over.pk


def test_escrow_negative_in_the_past_is_caught_even_if_it_recovered():
    over = raw_entry(EntryKind.REFUND_START, 8, (Account.ESCROW, 500, "USD"), (Account.REFUNDS_IN_FLIGHT, -500, "USD"))
    post_capture(order_id=8, store_id=1, amount=usd(10))
    escrow = [f for f in run_audit() if f.invariant == "escrow_negative"]
    assert escrow and escrow[0].entry_id == over.pk


def test_escrow_touched_by_an_unexpected_entry_breaks_reconciliation():
    post_capture(order_id=3, store_id=1, amount=usd(10))
    # A "topup" that moves escrow to the buyer balance: balanced, but escrow leaks.
    raw_entry(EntryKind.BALANCE_TOPUP, 3, (Account.ESCROW, 400, "USD"), (Account.BUYER_BALANCE, -400, "USD"))
    assert "order_unreconciled" in invariants()
    with pytest.raises(CommandError, match="order_unreconciled: order 3"):
        call_command("audit")


def test_refund_beyond_captured_is_caught():
    post_capture(order_id=4, store_id=1, amount=usd(10))
    raw_entry(EntryKind.REFUND_START, 4, (Account.ESCROW, 1200, "USD"), (Account.REFUNDS_IN_FLIGHT, -1200, "USD"))
    assert "refund_exceeds_captured" in invariants()


def test_refund_settled_twice_is_caught():
    post_capture(order_id=6, store_id=1, amount=usd(10))
    post_refund_start(order_id=6, store_id=1, refund_id=1, amount=usd(10))
    post_refund_settle(order_id=6, store_id=1, refund_id=1, amount=usd(10))
    post_refund_settle(order_id=6, store_id=1, refund_id=1, amount=usd(10))
    assert "refund_in_flight_negative" in invariants()


def test_order_in_two_currencies_is_caught():
    post_capture(order_id=9, store_id=1, amount=usd(10))
    post_capture(order_id=9, store_id=1, amount=Money(10, "EUR"))
    assert "order_mixed_currency" in invariants()


def test_line_naming_another_order_than_its_entry_is_caught():
    entry = post_capture(order_id=10, store_id=1, amount=usd(10))
    post_release(order_id=10, store_id=1, amount=usd(10), commission=usd(1))
    JournalLine.objects.filter(entry=entry, account_id=Account.ESCROW).update(order_id=11)
    assert "line_order_mismatch" in invariants()


def test_first_broken_invariant_is_the_most_fundamental():
    post_capture(order_id=12, store_id=1, amount=usd(10))
    raw_entry(EntryKind.REFUND_START, 12, (Account.ESCROW, 5000, "USD"), (Account.REFUNDS_IN_FLIGHT, -5000, "USD"))
    raw_entry(EntryKind.CAPTURE, 13, (Account.GATEWAY_CLEARING, 1, "USD"))
    assert invariants()[0] == "entry_unbalanced"
