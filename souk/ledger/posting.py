"""`ledger_post`: the only way money moves in the ledger.

Sign convention: a `Posting` carries a signed `Money`; **positive = debit,
negative = credit** (use `debit()` / `credit()` to say it in words). An entry's
postings must sum to zero per currency, or `UnbalancedEntry` is raised and
nothing is written. Call it inside the caller's `transaction.atomic()`, so the
state change that causes the movement and its entry commit together.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from moneyed import Money

from souk.core.errors import DomainError
from souk.core.money import money_to_minor
from souk.ledger.chart import Account, EntryKind
from souk.ledger.error_codes import ErrorCode
from souk.ledger.models import JournalEntry, JournalLine

__all__ = ["Posting", "UnbalancedEntry", "credit", "debit", "ledger_post"]


class UnbalancedEntry(DomainError):
    status = 500  # never the user's fault: a bug in the service that posted it
    code = ErrorCode.LEDGER_UNBALANCED


@dataclass(frozen=True, slots=True)
class Posting:
    """One line to post: `amount` > 0 debits `account_code`, `amount` < 0 credits it."""

    account_code: str
    amount: Money

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Money):
            raise TypeError(f"Posting amount must be Money, not {type(self.amount).__name__}")
        if self.account_code not in Account.__members__.values():
            raise ValueError(f"unknown ledger account {self.account_code!r}")
        if self.amount.amount == 0:
            raise ValueError(f"zero-amount posting to {self.account_code}")


def debit(account_code: str, amount: Money) -> Posting:
    """Debit `amount` (given positive) to the account."""
    return Posting(account_code, _positive(amount))


def credit(account_code: str, amount: Money) -> Posting:
    """Credit `amount` (given positive) to the account."""
    return Posting(account_code, -_positive(amount))


def _positive(amount: Money) -> Money:
    if not isinstance(amount, Money):
        raise TypeError(f"amount must be Money, not {type(amount).__name__}")
    if amount.amount <= 0:
        raise ValueError("debit()/credit() take a positive amount; the side gives the sign")
    return amount


def _balanced_rows(kind: str, postings: list[Posting]) -> tuple[str, list[tuple[str, int, str]]]:
    """The entry's kind and lines (account, signed minor units, currency), or UnbalancedEntry."""
    kind = EntryKind(kind).value
    if len(postings) < 2:
        raise UnbalancedEntry(f"A {kind} entry needs at least two postings.")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger_post must run inside the transaction of the state change it records")
    totals: dict[str, int] = defaultdict(int)
    rows: list[tuple[str, int, str]] = []
    for posting in postings:
        if not isinstance(posting, Posting):
            raise TypeError(f"postings must be Posting, not {type(posting).__name__}")
        currency = posting.amount.currency.code
        minor = money_to_minor(posting.amount)
        totals[currency] += minor
        rows.append((posting.account_code, minor, currency))
    off = {cur: total for cur, total in totals.items() if total}
    if off:
        detail = ", ".join(f"{cur} {total:+d}" for cur, total in sorted(off.items()))
        raise UnbalancedEntry(f"The {kind} entry does not balance: debits minus credits = {detail} (minor units).")
    return kind, rows


def ledger_post(*, kind: str, postings: list[Posting], order_id: int | None = None,
                store_id: int | None = None, refund_id: int | None = None, memo: str = "") -> JournalEntry:
    """Write one balanced journal entry (2 INSERTs: the entry, then all lines in one statement; ONE
    statement on PostgreSQL)."""
    kind, rows = _balanced_rows(kind, postings)
    post = _post_pg if transaction.get_connection().vendor == "postgresql" else _post_orm
    return post(kind=kind, rows=rows, order_id=order_id, store_id=store_id, refund_id=refund_id, memo=memo[:240])


def _post_orm(*, kind: str, rows: list[tuple[str, int, str]], order_id: int | None, store_id: int | None,
              refund_id: int | None, memo: str) -> JournalEntry:
    """The entry, then all its lines in one bulk INSERT: the path `_post_pg` must equal
    (tests/ledger/test_statement_parity.py)."""
    entry = JournalEntry.objects.create(kind=kind, order_id=order_id, store_id=store_id, refund_id=refund_id,
                                        memo=memo)
    JournalLine.objects.bulk_create([
        JournalLine(entry_id=entry.pk, account_id=code, order_id=order_id, store_id=store_id,
                    amount_minor=minor, currency=currency)
        for code, minor, currency in rows
    ])
    return entry


def _post_pg(*, kind: str, rows: list[tuple[str, int, str]], order_id: int | None, store_id: int | None,
             refund_id: int | None, memo: str) -> JournalEntry:
    """PostgreSQL: the entry and its lines in ONE statement, written once per shape."""
    now = timezone.now()
    sql, params = _post_sql(kind=kind, rows=rows, order_id=order_id, store_id=store_id, refund_id=refund_id,
                            memo=memo, now=now)
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(sql, params)
        entry_id = cursor.fetchone()[0]
    return JournalEntry(pk=entry_id, kind=kind, order_id=order_id, store_id=store_id, refund_id=refund_id,
                        memo=memo, created_at=now)


def _post_sql(*, kind: str, rows: list[tuple[str, int, str]], order_id: int | None, store_id: int | None,
              refund_id: int | None, memo: str, now) -> tuple[str, list]:
    """PostgreSQL: the entry and all its lines in ONE statement (a data-modifying CTE)."""
    entry_table, line_table = JournalEntry._meta.db_table, JournalLine._meta.db_table
    values = ", ".join(["(%s, %s::bigint, %s)"] * len(rows))
    sql = (f'WITH e AS (INSERT INTO "{entry_table}" (kind, order_id, refund_id, store_id, memo, created_at) '
           f"VALUES (%s, %s, %s, %s, %s, %s) RETURNING id), "
           f'l AS (INSERT INTO "{line_table}" (entry_id, account_id, order_id, store_id, amount_minor, currency) '
           f"SELECT e.id, v.a, %s::bigint, %s::bigint, v.m, v.c FROM e, (VALUES {values}) AS v(a, m, c)) "
           f"SELECT id FROM e")
    params: list = [kind, order_id, refund_id, store_id, memo, now, order_id, store_id]
    for code, minor, currency in rows:
        params += [code, minor, currency]
    return sql, params
