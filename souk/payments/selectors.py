"""Payments reads."""

from __future__ import annotations

from django.db.models import QuerySet

from souk.core.errors import NotFound
from souk.orders.models import Order
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
