"""What the buyer reads when their order ships: the carrier, the tracking number and, when Souk
knows the carrier's tracking page, a link to it (`souk.orders.tracking.tracking_url`).

Both ways an order ships call it in the shipment's transaction, so the buyer hears it once:
`order_mark_shipped` (fulfilment) and a cancellation request rejected as "already shipped"
(cancellations) (docs/notifications.md, Shipping).
"""

from __future__ import annotations

from typing import Any

from souk.orders.tracking import tracking_url

__all__ = ["shipped_notice"]


def shipped_notice(order) -> dict[str, Any]:
    """`kind`, `title`, `body` and `data` of the `order_shipped` notification for a shipped `order`
    (its tracking columns and buyer-protection end set)."""
    carrier, number = order.tracking_carrier, order.tracking_number
    link = tracking_url(carrier, number)
    ends = f" Buyer protection runs until {order.protection_ends_at:%d %b %Y}." if order.protection_ends_at else ""
    return {"kind": "order_shipped", "title": f"Order {order.number} shipped",
            "body": (f"Order {order.number} shipped with {carrier}, tracking number {number}."
                     + (f" Track it: {link}" if link else "") + ends),
            "data": {"carrier": carrier, "tracking_number": number, "tracking_url": link}}
