"""Reads for the seller dashboard: what needs the seller now. A fixed number of queries, each LIMITed."""

from __future__ import annotations

from dataclasses import dataclass

from souk.cancellations.models import CancellationRequest
from souk.disputes.selectors import disputes_for_store
from souk.messaging.selectors import conversations_for_user
from souk.orders.models import Order
from souk.orders.status import Status
from souk.payments.models import Refund
from souk.web import compliance_page

LIMIT = 20


@dataclass(frozen=True)
class Dashboard:
    requests: list[CancellationRequest]
    to_ship: list[Order]
    conversations: list
    refunds: list[Refund]
    low_stock: list[dict]
    low_stock_threshold: int
    disputes: list

    @property
    def unread_messages(self) -> int:
        return sum(c.unread_count for c in self.conversations)


def seller_dashboard(*, seller) -> Dashboard:
    """Pending cancellation requests (soonest deadline first), orders to ship (soonest ship-by first),
    conversations with unread messages, the latest refunds of the store's orders, and the listed products
    running low on stock (compliance's low_stock_products), and the open disputes with their deadlines
    (three queries: the disputes, their offers and evidence): nine queries."""
    requests = list(CancellationRequest.objects.filter(order__store__owner=seller,
                                                       state=CancellationRequest.State.PENDING)
                    .select_related("order").order_by("respond_by", "pk")[:LIMIT])
    to_ship = list(Order.objects.filter(store__owner=seller, status=Status.AWAITING_SHIPMENT)
                   .only("pk", "number", "title", "item_count", "total_minor", "currency", "ship_by", "status",
                         "created_at")
                   .order_by("ship_by", "pk")[:LIMIT])
    conversations = [c for c in conversations_for_user(user=seller, limit=LIMIT).items if c.unread_count]
    refunds = list(Refund.objects.filter(order__store__owner=seller).select_related("order")
                   .order_by("-created_at", "-pk")[:LIMIT])
    return Dashboard(requests, to_ship, conversations, refunds, compliance_page.low_stock(seller),
                     compliance_page.low_stock_threshold(),
                     disputes_for_store(seller=seller, open_only=True, limit=LIMIT))
