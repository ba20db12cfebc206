"""Double-entry journal: accounts, entries, signed lines (debit positive, credit negative).

Lines are written only through `souk.ledger.posting.ledger_post`, which refuses an
unbalanced entry; on PostgreSQL a deferred constraint trigger refuses one at commit
too (migration 0002). The chart of accounts is `souk.ledger.chart`.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from souk.ledger.chart import AccountKind, EntryKind


class LedgerAccount(models.Model):
    """One account of the chart; the code is the key, so posting never looks accounts up."""

    code = models.CharField(max_length=40, primary_key=True)
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=16, choices=[(k.value, k.value) for k in AccountKind])

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class JournalEntry(models.Model):
    """One money movement; its lines sum to zero per currency."""

    kind = models.CharField(max_length=24, choices=[(k.value, k.value) for k in EntryKind])
    order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    refund_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    store_id = models.BigIntegerField(null=True, blank=True)
    memo = models.CharField(max_length=240, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "journal entries"

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="lines")
    # Denormalised from the entry so per-order and per-account sums read one table.
    order_id = models.BigIntegerField(null=True, blank=True)
    store_id = models.BigIntegerField(null=True, blank=True)
    amount_minor = models.BigIntegerField(help_text="signed: debit positive, credit negative")
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["entry", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_minor=0), name="journalline_amount_not_zero"),
        ]
        indexes = [
            models.Index(fields=["order_id", "account"], name="journalline_order_account"),
            models.Index(fields=["account", "currency"], name="journalline_account_currency"),
            # A store's orders, newest first, and its totals (the seller balance page:
            # `store_order_balances`, `store_balance_totals`); on PostgreSQL it covers the totals'
            # columns, so they are an index-only scan of the store's lines.
            models.Index(fields=["store_id", "order_id"], include=["account", "currency", "amount_minor"],
                         name="journalline_store_order"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount_minor:+d} {self.currency}"
