"""Checkout API. Thin: parse, call, shape.

The URL, the operation id and the tag are the ones the endpoint had when it lived in souk.orders.api,
so docs/api.md and generated clients do not change.
"""

from __future__ import annotations

from django.db.models import prefetch_related_objects
from ninja import Router, Status

from souk.checkout import schemas as s
from souk.checkout.services import CheckoutLine, checkout, checkout_cart
from souk.orders.schemas import order_out

router = Router(tags=["orders"])


@router.post("/checkout", response={201: s.CheckoutOut},
             summary="Place one order per store: the given lines, or the whole cart when `lines` is omitted")
def post_checkout(request, payload: s.CheckoutIn):
    if payload.lines is None:
        orders = checkout_cart(buyer=request.user, address_id=payload.address_id, shipping=payload.shipping)
    else:
        orders = checkout(
            buyer=request.user, address_id=payload.address_id, shipping=payload.shipping,
            lines=[CheckoutLine(product_id=ln.product_id, quantity=ln.quantity) for ln in payload.lines])
    # Fresh from the writes: serialise without re-reading (stores come in one query).
    prefetch_related_objects(orders, "store", "lines", "events")
    return Status(201, {"orders": [order_out(o) for o in orders]})
