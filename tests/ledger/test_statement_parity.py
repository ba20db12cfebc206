"""The ledger's hand-written statements equal the ORM paths they replace.

`ledger_post` writes an entry and its lines in ONE statement on PostgreSQL (`_post_pg`); the ORM
path (`_post_orm`, used on SQLite) is the reference: the same entry fields and the same lines. The
escrow selector (`order_held_minor`) is a plain SUM; `account_balance` (the ORM aggregate) is the
reference. Outside the ledger nothing reads journal lines (docs/architecture.md).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.db import connection, transaction
from moneyed import Money

from souk.ledger.chart import Account, EntryKind
from souk.ledger.models import JournalEntry
from souk.ledger.posting import _balanced_rows, _post_orm, _post_pg, credit, debit, ledger_post
from souk.ledger.selectors import account_balance, order_held_minor

pytestmark = pytest.mark.django_db

SOUK = Path(__file__).resolve().parents[2] / "souk"


def _entry(pk: int) -> tuple:
    entry = JournalEntry.objects.get(pk=pk)
    lines = list(entry.lines.order_by("id").values_list("account_id", "order_id", "store_id", "amount_minor",
                                                        "currency"))
    return (entry.kind, entry.order_id, entry.store_id, entry.refund_id, entry.memo), lines


@pytest.mark.postgres
@pytest.mark.parametrize("postings", [
    [debit(Account.GATEWAY_CLEARING, Money("25.00", "USD")), credit(Account.ESCROW, Money("25.00", "USD"))],
    [debit(Account.ESCROW, Money("100.00", "EUR")), credit(Account.SELLER_PAYABLE, Money("95.00", "EUR")),
     credit(Account.COMMISSION_REVENUE, Money("5.00", "EUR"))],
])
def test_the_one_statement_entry_writes_what_the_orm_path_writes(postings):
    assert connection.vendor == "postgresql"
    with transaction.atomic():
        kind, rows = _balanced_rows(EntryKind.RELEASE, postings)
        common = {"kind": kind, "rows": rows, "order_id": 41, "store_id": 7, "refund_id": 3, "memo": "order 41"}
        fast, orm = _post_pg(**common), _post_orm(**common)
    assert _entry(fast.pk) == _entry(orm.pk)
    returned = (fast.kind, fast.order_id, fast.store_id, fast.refund_id, fast.memo)
    assert returned == _entry(orm.pk)[0]  # the instance returned says what was written


def test_an_unbalanced_entry_is_refused_the_same_way_on_every_database():
    from souk.ledger.posting import UnbalancedEntry

    with transaction.atomic(), pytest.raises(UnbalancedEntry):
        ledger_post(kind=EntryKind.CAPTURE, postings=[debit(Account.GATEWAY_CLEARING, Money("1.00", "USD")),
                                                      credit(Account.ESCROW, Money("0.99", "USD"))])
    assert not JournalEntry.objects.exists()


def test_the_escrow_selector_equals_the_orm_balance_after_capture_refund_and_release():
    with transaction.atomic():
        ledger_post(kind=EntryKind.CAPTURE, order_id=9, store_id=1, postings=[
            debit(Account.GATEWAY_CLEARING, Money("30.00", "USD")), credit(Account.ESCROW, Money("30.00", "USD"))])
        ledger_post(kind=EntryKind.REFUND_START, order_id=9, store_id=1, postings=[
            debit(Account.ESCROW, Money("12.50", "USD")), credit(Account.REFUNDS_IN_FLIGHT, Money("12.50", "USD"))])
        ledger_post(kind=EntryKind.CAPTURE, order_id=10, store_id=1, postings=[  # another order: not counted
            debit(Account.GATEWAY_CLEARING, Money("99.00", "USD")), credit(Account.ESCROW, Money("99.00", "USD"))])
    orm = -account_balance(Account.ESCROW, "USD", order_id=9)
    assert order_held_minor(9, "USD") == 1750 == int(orm.amount * 100)
    assert order_held_minor(9, "EUR") == 0 and order_held_minor(404, "USD") == 0


def test_nothing_outside_the_ledger_reads_journal_lines():
    offenders = []
    for path in SOUK.rglob("*.py"):
        if path.is_relative_to(SOUK / "ledger") or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module == "souk.ledger.models":
                names = [a.name for a in node.names]
            elif isinstance(node, ast.Name | ast.Attribute):
                names = [getattr(node, "id", None) or getattr(node, "attr", None)]
            if "JournalLine" in names:
                offenders.append(f"{path.relative_to(SOUK.parent)}:{node.lineno}")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "ledger_journalline" in node.value:
                offenders.append(f"{path.relative_to(SOUK.parent)}:{node.lineno}")
    assert offenders == []


def test_nothing_outside_the_catalog_writes_stock():
    """Stock moves only through souk.catalog.stock (reserve / release / zero) and the catalog's own
    services: no other module names the stock column in a write."""
    offenders = []
    for path in SOUK.rglob("*.py"):
        if path.is_relative_to(SOUK / "catalog") or "migrations" in path.parts:
            continue
        text = path.read_text()
        for n, line in enumerate(text.splitlines(), 1):
            squeezed = line.replace(" ", "")
            if ("SETstock" in squeezed or ".update(stock=" in squeezed or '"stock":F(' in squeezed
                    or "stock=F(" in squeezed):
                offenders.append(f"{path.relative_to(SOUK.parent)}:{n}: {line.strip()}")
    assert offenders == []
