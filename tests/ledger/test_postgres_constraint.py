"""On PostgreSQL the database itself refuses an unbalanced entry at commit."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from moneyed import Money

from souk.ledger.chart import Account
from souk.ledger.models import JournalEntry, JournalLine
from souk.ledger.movements import post_capture

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def insert_raw(entry_id: int, account: str, amount: int, currency: str = "USD") -> None:
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO ledger_journalline (entry_id, account_id, order_id, store_id, amount_minor, "
                       "currency) VALUES (%s, %s, NULL, NULL, %s, %s)", [entry_id, account, amount, currency])


def test_raw_unbalanced_line_is_refused_at_commit():
    with pytest.raises(IntegrityError, match="ledger_unbalanced"), transaction.atomic():
        entry = JournalEntry.objects.create(kind="capture")
        insert_raw(entry.pk, Account.GATEWAY_CLEARING, 1000)
        insert_raw(entry.pk, Account.ESCROW, -900)
    assert not JournalLine.objects.exists()


def test_raw_balanced_lines_commit():
    with transaction.atomic():
        entry = JournalEntry.objects.create(kind="capture")
        insert_raw(entry.pk, Account.GATEWAY_CLEARING, 1000)
        insert_raw(entry.pk, Account.ESCROW, -1000)
    assert JournalLine.objects.filter(entry=entry).count() == 2


def test_tampering_with_a_committed_entry_is_refused():
    with transaction.atomic():
        entry = post_capture(order_id=1, store_id=1, amount=Money(10, "USD"))
    with pytest.raises(IntegrityError, match="ledger_unbalanced"), transaction.atomic():
        JournalLine.objects.filter(entry=entry, account_id=Account.ESCROW).update(amount_minor=-1)
    with pytest.raises(IntegrityError, match="ledger_unbalanced"), transaction.atomic():
        JournalLine.objects.filter(entry=entry, account_id=Account.ESCROW).delete()
    assert sorted(JournalLine.objects.filter(entry=entry).values_list("amount_minor", flat=True)) == [-1000, 1000]


def test_entry_balanced_in_one_currency_but_not_another_is_refused():
    with pytest.raises(IntegrityError, match="ledger_unbalanced"), transaction.atomic():
        entry = JournalEntry.objects.create(kind="capture")
        insert_raw(entry.pk, Account.GATEWAY_CLEARING, 1000, "USD")
        insert_raw(entry.pk, Account.ESCROW, -1000, "EUR")
