"""Payments reads."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from moneyed import Money

from souk.catalog.selectors import parse_cursor
from souk.core.errors import Forbidden, NotFound, ValidationFailed
from souk.ledger.selectors import OrderBalance, StoreTotals, store_balance_totals, store_order_balances
from souk.orders.models import Order
from souk.orders.selectors import frozen_order_ids, store_orders_by_id
from souk.payments.models import Payment, Refund


def order_id_for(*, number: str, **filters) -> int:
    """The id of the order with this number visible with `filters`, or NotFound (another user's too)."""
    order_id = Order.objects.filter(number=number, **filters).values_list("pk", flat=True).first()
    if order_id is None:
        raise NotFound("Order not found.", code="order_not_found")
    return order_id


def order_refunds(*, order_id: int) -> QuerySet[Refund]:
    return Refund.objects.filter(order_id=order_id).order_by("id")


def captured_payment(*, order_id: int) -> Payment | None:
    """The order's captured payment (id, method, gateway ref), or None before capture."""
    return (Payment.objects.filter(order_id=order_id, status=Payment.State.CAPTURED).order_by("id")
            .only("pk", "order_id", "method", "status", "gateway_ref").first())


def order_payments(*, order_id: int) -> QuerySet[Payment]:
    """The order's payment attempts, oldest first."""
    return Payment.objects.filter(order_id=order_id).order_by("id")


def checking_payment(*, order_id: int) -> bool:
    """Whether the order has an attempt whose outcome is still being checked with the gateway."""
    return Payment.objects.filter(order_id=order_id, status=Payment.State.PENDING).exists()


def orders_checking_payment() -> QuerySet[Payment]:
    """The ids of orders with an attempt still being checked with the gateway (a subquery): the
    payment window does not close on them until the reconcile sweep knows the outcome
    (docs/money.md, Paying)."""
    return Payment.objects.filter(status=Payment.State.PENDING).values("order_id")


def refunded_lines(*, order_id: int) -> list[list[dict]]:
    """The `[{line_id, quantity}]` lists of the order's refunds that are not failed or cancelled."""
    live = (Refund.State.PENDING, Refund.State.REQUIRES_ACTION, Refund.State.SUCCEEDED)
    return list(Refund.objects.filter(order_id=order_id, state__in=live).values_list("lines", flat=True))


# --- the seller balance page -----------------------------------------------------------------------

BALANCE_PAGE_LIMIT = 20


@dataclass(frozen=True)
class BalanceRow:
    """One order on the seller balance page: its money per the ledger, and whether a dispute froze it."""

    order: Order
    balance: OrderBalance
    frozen: bool

    @property
    def money(self):
        return self.balance.money

    @property
    def frozen_held(self):
        return self.money.held if self.frozen else Money(0, self.money.currency)


@dataclass(frozen=True)
class SellerBalance:
    rows: list[BalanceRow]
    totals: list[StoreTotals]
    next_cursor: str | None


def seller_balance(*, seller, cursor: str | None = None, limit: int = BALANCE_PAGE_LIMIT) -> SellerBalance:
    """The seller's store: per order (newest first, keyset `cursor` = the last order id of the previous
    page) what is held in escrow, released (and the commission taken), refunded, and frozen by a
    dispute; plus the store's totals. A fixed number of queries whatever the store's size: the
    store, the frozen orders (`orders.selectors.frozen_order_ids`), the page's balances and the totals
    (the ledger's, docs/money.md, Seller balance), the page's orders."""
    if not getattr(seller, "is_seller", False):
        raise Forbidden("Open a store first: only sellers can do this.", code="not_a_seller")
    if not 1 <= limit <= 100:
        raise ValidationFailed("limit must be between 1 and 100.", code="invalid_limit", field="limit")
    before = parse_cursor(cursor)
    store_id = seller.store.pk
    frozen = frozen_order_ids(store_id)
    balances = store_order_balances(store_id, before_order_id=before, limit=limit + 1)
    more = len(balances) > limit
    balances = balances[:limit]
    orders = store_orders_by_id(store_id=store_id, order_ids=[b.order_id for b in balances])
    rows = [BalanceRow(order=orders[b.order_id], balance=b, frozen=b.order_id in frozen)
            for b in balances if b.order_id in orders]
    return SellerBalance(rows=rows, totals=store_balance_totals(store_id, frozen_order_ids=frozen),
                         next_cursor=str(balances[-1].order_id) if more else None)
