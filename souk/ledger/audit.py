"""`run_audit()`: every ledger invariant, checked with set-based SQL (GROUP BY, window sums).

This is the ledger's audit of itself. `souk audit` (souk/payments/management/commands/audit.py)
runs it and then payments' comparison of Souk's records with the gateway's
(souk/payments/audit.py), which reads the ledger's captures through `order_captured_minor`.

Invariants, in the order they are reported:
1. `entry_unbalanced`: every journal entry's lines sum to zero per currency.
2. `line_order_mismatch`: a line's denormalised order id is its entry's.
3. `order_mixed_currency`: an order's lines are all in one currency.
4. `escrow_negative`: an order's escrow balance never goes below zero, after any entry.
5. `order_unreconciled`: for each order, captured = held + released + refunded.
6. `refund_exceeds_captured`: no order has refunded more than was captured.
7. `refund_in_flight_negative`: no order settled or failed more refunds than it started.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, F, Q, Sum

from souk.ledger.chart import Account
from souk.ledger.models import JournalLine
from souk.ledger.selectors import order_money_minor_expressions

INVARIANTS = ("entry_unbalanced", "line_order_mismatch", "order_mixed_currency", "escrow_negative",
              "order_unreconciled", "refund_exceeds_captured", "refund_in_flight_negative")


@dataclass(frozen=True)
class Finding:
    invariant: str
    message: str
    order_id: int | None = None
    entry_id: int | None = None

    def __str__(self) -> str:
        where = []
        if self.entry_id is not None:
            where.append(f"entry {self.entry_id}")
        if self.order_id is not None:
            where.append(f"order {self.order_id}")
        return f"{self.invariant}: {self.message}" + (f" ({', '.join(where)})" if where else "")


def _unbalanced_entries() -> list[Finding]:
    rows = (JournalLine.objects.values("entry_id", "currency").annotate(total=Sum("amount_minor"))
            .exclude(total=0).order_by("entry_id", "currency"))
    return [Finding("entry_unbalanced",
                    f"journal entry {r['entry_id']} does not balance in {r['currency']}: "
                    f"debits minus credits = {r['total']:+d} minor units",
                    entry_id=r["entry_id"]) for r in rows]


def _line_order_mismatches() -> list[Finding]:
    rows = (JournalLine.objects.exclude(order_id__isnull=True, entry__order_id__isnull=True)
            .filter(Q(order_id__isnull=True) | Q(entry__order_id__isnull=True) | ~Q(order_id=F("entry__order_id")))
            .values("entry_id", "order_id").distinct().order_by("entry_id"))
    return [Finding("line_order_mismatch", f"a line of journal entry {r['entry_id']} names order "
                    f"{r['order_id']}, not its entry's", entry_id=r["entry_id"], order_id=r["order_id"])
            for r in rows]


def _mixed_currencies() -> list[Finding]:
    rows = (JournalLine.objects.filter(order_id__isnull=False).values("order_id")
            .annotate(n=Count("currency", distinct=True)).filter(n__gt=1).order_by("order_id"))
    return [Finding("order_mixed_currency", f"order {r['order_id']} has ledger lines in {r['n']} currencies",
                    order_id=r["order_id"]) for r in rows]


def _escrow_negative() -> list[Finding]:
    line = JournalLine._meta.db_table
    # Escrow is credit-normal: held = -sum(lines). A running sum per order over its
    # entries finds the first entry after which more left escrow than was in it.
    sql = f"""
        SELECT order_id, MIN(entry_id) AS entry_id, MIN(held) AS lowest FROM (
            SELECT order_id, entry_id,
                   SUM(delta) OVER (PARTITION BY order_id, currency ORDER BY entry_id
                                    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS held
              FROM (SELECT order_id, currency, entry_id, -SUM(amount_minor) AS delta
                      FROM {line} WHERE account_id = %s
                     GROUP BY order_id, currency, entry_id) per_entry
        ) running
        WHERE held < 0
        GROUP BY order_id ORDER BY order_id"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [Account.ESCROW.value])
        rows = cursor.fetchall()
    return [Finding("escrow_negative", f"escrow for order {order_id} went negative ({lowest} minor units) "
                    f"at journal entry {entry_id}", order_id=order_id, entry_id=entry_id)
            for order_id, entry_id, lowest in rows]


def _order_reconciliation() -> list[Finding]:
    rows = (JournalLine.objects.filter(order_id__isnull=False).values("order_id")
            .annotate(**order_money_minor_expressions())
            .filter(~Q(captured=F("held") + F("released") + F("refunded"))
                    | Q(refunded__gt=F("captured")) | Q(refund_in_flight__lt=0))
            .order_by("order_id"))
    findings: list[Finding] = []
    for r in rows:
        oid = r["order_id"]
        if r["captured"] != r["held"] + r["released"] + r["refunded"]:
            findings.append(Finding(
                "order_unreconciled",
                f"order {oid}: captured {r['captured']} != held {r['held']} + released {r['released']} "
                f"+ refunded {r['refunded']} (minor units)", order_id=oid))
        if r["refunded"] > r["captured"]:
            findings.append(Finding("refund_exceeds_captured",
                                    f"order {oid}: refunded {r['refunded']} exceeds captured {r['captured']}",
                                    order_id=oid))
        if r["refund_in_flight"] < 0:
            findings.append(Finding("refund_in_flight_negative",
                                    f"order {oid}: refunds settled or failed exceed those started by "
                                    f"{-r['refund_in_flight']} minor units", order_id=oid))
    return findings


def order_captured_minor(order_ids) -> dict[tuple[int, str], int]:
    """What the ledger says each order captured (capture entries, funding side), per currency."""
    captured = order_money_minor_expressions()["captured"]
    out: dict[tuple[int, str], int] = {}
    ids = sorted(set(order_ids))
    for start in range(0, len(ids), 5000):
        rows = (JournalLine.objects.filter(order_id__in=ids[start:start + 5000]).values("order_id", "currency")
                .annotate(captured=captured).order_by())
        out.update({(r["order_id"], r["currency"]): r["captured"] for r in rows})
    return out


def run_audit() -> list[Finding]:
    """Every broken invariant, most fundamental first; an empty list means the ledger is clean."""
    findings = (_unbalanced_entries() + _line_order_mismatches() + _mixed_currencies() + _escrow_negative()
                + _order_reconciliation())
    return sorted(findings, key=lambda f: INVARIANTS.index(f.invariant))


__all__ = ["INVARIANTS", "Finding", "order_captured_minor", "run_audit"]
