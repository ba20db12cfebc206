"""Ledger reads: account balances and an order's money, each one aggregate query."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Max, Q, Sum, Value
from django.db.models.functions import Coalesce
from moneyed import Money

from souk.core.money import minor_to_money
from souk.ledger.chart import FUNDING_ACCOUNTS, Account, EntryKind
from souk.ledger.models import JournalLine

__all__ = ["OrderBalance", "OrderMoney", "StoreTotals", "account_balance", "order_held_minor", "order_money",
           "order_money_minor_expressions", "store_balance_totals", "store_order_balances"]


def account_balance(code: str, currency: str, *, order_id: int | None = None) -> Money:
    """The account's balance as the ledger stores it: debit positive, credit negative."""
    lines = JournalLine.objects.filter(account_id=Account(code).value, currency=currency)
    if order_id is not None:
        lines = lines.filter(order_id=order_id)
    total = lines.aggregate(total=Coalesce(Sum("amount_minor"), 0))["total"]
    return minor_to_money(total, currency)


_HELD_SQL: dict[str, str] = {}


def order_held_minor(order_id: int, currency: str) -> int:
    """What the order still holds in escrow, in minor units (0 before payment and after release): THE
    escrow selector every app asks (docs/money.md). One indexed SUM over the order's escrow lines,
    with the statement written once per database (the ORM aggregate's compilation cost more than
    running it on the refund and cancellation hot paths); `account_balance` is the ORM path it equals
    (tests/ledger/test_selector_parity.py)."""
    sql = _HELD_SQL.get(connection.vendor)
    if sql is None:
        table = connection.ops.quote_name(JournalLine._meta.db_table)
        sql = _HELD_SQL[connection.vendor] = (
            f"SELECT COALESCE(SUM(amount_minor), 0) FROM {table} "
            f"WHERE order_id = %s AND account_id = %s AND currency = %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [order_id, Account.ESCROW.value, currency])
        return -int(cursor.fetchone()[0])  # escrow is credit-normal: held = -balance


def _sum(condition: Q, negate: bool = True):
    # Credits are negative: the quantities below are credit-normal, so negate the sum.
    total = Coalesce(Sum("amount_minor", filter=condition), 0)
    return -total if negate else total


def order_money_minor_expressions() -> dict:
    """The per-order quantities as aggregate expressions over JournalLine (shared with the audit).

    Each is computed from the account that states it, so the audit's
    `captured = held + released + refunded` compares independent sums:
    - captured: funding debited by capture entries (card/e-wallet clearing or buyer balance)
    - held: the order's escrow balance
    - released: seller payable + commission credited by release entries
    - refunded: refunds-in-flight credited by refund starts, less what failed back to escrow
    - refund_in_flight: the order's refunds-in-flight balance (started, not yet settled or failed)
    """
    kind = "entry__kind"
    return {
        "captured": _sum(Q(**{kind: EntryKind.CAPTURE}, account_id__in=list(FUNDING_ACCOUNTS)), negate=False),
        "held": _sum(Q(account_id=Account.ESCROW)),
        "released": _sum(Q(**{kind: EntryKind.RELEASE},
                           account_id__in=[Account.SELLER_PAYABLE, Account.COMMISSION_REVENUE])),
        "commission": _sum(Q(**{kind: EntryKind.RELEASE}, account_id=Account.COMMISSION_REVENUE)),
        "refunded": _sum(Q(**{f"{kind}__in": [EntryKind.REFUND_START, EntryKind.REFUND_FAIL]},
                           account_id=Account.REFUNDS_IN_FLIGHT)),
        "refund_in_flight": _sum(Q(account_id=Account.REFUNDS_IN_FLIGHT)),
    }


@dataclass(frozen=True)
class OrderMoney:
    """Where an order's money is, per the ledger. `refunded` includes what is still in flight."""

    currency: str
    captured: Money
    held: Money
    released: Money
    commission: Money
    refunded: Money
    refund_in_flight: Money

    @property
    def refund_settled(self) -> Money:
        return self.refunded - self.refund_in_flight

    @property
    def refundable(self) -> Money:
        """What may still be refunded: captured, less every refund not failed."""
        return self.captured - self.refunded

    def __getitem__(self, name: str) -> Money:
        return getattr(self, name)


_SENTINEL_ORDER_ID = -7_202_611_270  # stands for the order id while the query is compiled once
_FIELDS = ("captured", "held", "released", "commission", "refunded", "refund_in_flight")
_compiled: dict[str, tuple[str, tuple, int]] = {}


def _order_money_sql() -> tuple[str, tuple, int]:
    """The order-money aggregate, compiled by the ORM once per database vendor (the hot path of
    every refund reads it; compiling six filtered sums each time cost more CPU than running them)."""
    vendor = connection.vendor
    if vendor not in _compiled:
        query = (JournalLine.objects.filter(order_id=_SENTINEL_ORDER_ID).values("order_id")
                 .annotate(line_currency=Max("currency"), **order_money_minor_expressions())
                 .values_list("line_currency", *_FIELDS).query)
        sql, params = query.sql_with_params()
        _compiled[vendor] = (sql, tuple(params), list(params).index(_SENTINEL_ORDER_ID))
    return _compiled[vendor]


def order_money(order_id: int, *, currency: str | None = None) -> OrderMoney:
    """The order's money in ONE aggregate query over its journal lines.

    An order with no entries yet is all zeros in `currency` (or XXX, ISO's "no currency").
    """
    sql, params, at = _order_money_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params[:at] + (order_id,) + params[at + 1:])
        row = cursor.fetchone()
    line_currency, *values = row if row else (None, *([0] * len(_FIELDS)))
    cur = line_currency or currency or "XXX"
    return OrderMoney(currency=cur, **{name: minor_to_money(int(value), cur)
                                       for name, value in zip(_FIELDS, values, strict=True)})


# --- a store's balances (the seller balance page) ----------------------------------------------

@dataclass(frozen=True)
class OrderBalance:
    """One order's money as a seller reads it: `OrderMoney` plus `seller_net` (released less commission)."""

    order_id: int
    money: OrderMoney

    @property
    def seller_net(self) -> Money:
        return self.money.released - self.money.commission


@dataclass(frozen=True)
class StoreTotals:
    """A store's money in one currency, over all its orders; `frozen` is what the frozen orders hold."""

    currency: str
    money: OrderMoney
    frozen: Money

    @property
    def seller_net(self) -> Money:
        return self.money.released - self.money.commission


def _money_row(currency: str, values: dict) -> OrderMoney:
    return OrderMoney(currency=currency, **{name: minor_to_money(int(values[name]), currency) for name in _FIELDS})


def store_order_balances(store_id: int, *, before_order_id: int | None = None, limit: int = 20
                         ) -> list[OrderBalance]:
    """The money of the store's orders that have any in the ledger, newest order first (keyset on the
    order id: pass the last id of a page as `before_order_id`), `limit` orders, in ONE query: the
    page's order ids picked from the (store_id, order_id) index (`journalline_store_order`, a
    backward index scan that stops after `limit` ids), then the same per-order sums as `order_money`
    over just their lines (the (order_id, account) index). `tests/ledger/test_store_balances.py` holds
    it equal to `order_money` per order."""
    ids = JournalLine.objects.filter(store_id=store_id, order_id__isnull=False)
    if before_order_id is not None:
        ids = ids.filter(order_id__lt=before_order_id)
    page_ids = ids.order_by("-order_id").values("order_id").distinct()[:limit]
    rows = (JournalLine.objects.filter(order_id__in=page_ids).values("order_id")
            .annotate(line_currency=Max("currency"), **order_money_minor_expressions()).order_by("-order_id"))
    return [OrderBalance(order_id=row["order_id"], money=_money_row(row["line_currency"], row)) for row in rows]


def store_balance_totals(store_id: int, *, frozen_order_ids: frozenset[int] | set[int] = frozenset()
                         ) -> list[StoreTotals]:
    """The store's money per currency over all its orders, and what its frozen orders (a dispute's
    hold, given by the caller) still hold in escrow, in ONE aggregate over the store's lines
    (`journalline_store_order` index).

    Per account only, never joining the entries: the join made PostgreSQL scan the whole entry
    table (every store's) for one store's totals. The chart makes the account enough (docs/money.md,
    Money flows): seller payable and commission move only on release; a funding account is debited
    only by a capture (refund settlements credit it); and every escrow movement is a capture, a
    release, a refund start or a refund fail, so refunded (started less failed) is captured less
    held less released — the audit's invariant 5. `tests/ledger/test_store_balances.py` holds the
    result equal to the sum of `order_money` over the store's orders."""
    frozen_held = (_sum(Q(account_id=Account.ESCROW, order_id__in=list(frozen_order_ids)))
                   if frozen_order_ids else Value(0))
    rows = (JournalLine.objects.filter(store_id=store_id, order_id__isnull=False).values("currency")
            .annotate(captured=_sum(Q(account_id__in=list(FUNDING_ACCOUNTS), amount_minor__gt=0), negate=False),
                      held=_sum(Q(account_id=Account.ESCROW)),
                      released=_sum(Q(account_id__in=[Account.SELLER_PAYABLE, Account.COMMISSION_REVENUE])),
                      commission=_sum(Q(account_id=Account.COMMISSION_REVENUE)),
                      refund_in_flight=_sum(Q(account_id=Account.REFUNDS_IN_FLIGHT)),
                      frozen_held=frozen_held)
            .order_by("currency"))
    totals = []
    for row in rows:
        row["refunded"] = row["captured"] - row["held"] - row["released"]
        totals.append(StoreTotals(currency=row["currency"], money=_money_row(row["currency"], row),
                                  frozen=minor_to_money(int(row["frozen_held"]), row["currency"])))
    return totals
