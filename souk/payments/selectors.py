"""Payments reads."""

from __future__ import annotations

from django.db.models import QuerySet

from souk.core.errors import NotFound
from souk.orders.models import Order
from souk.payments.models import Refund


def order_id_for(*, number: str, **filters) -> int:
    """The id of the order with this number visible with `filters`, or NotFound (another user's too)."""
    order_id = Order.objects.filter(number=number, **filters).values_list("pk", flat=True).first()
    if order_id is None:
        raise NotFound("Order not found.", code="order_not_found")
    return order_id


def order_refunds(*, order_id: int) -> QuerySet[Refund]:
    return Refund.objects.filter(order_id=order_id).order_by("id")
