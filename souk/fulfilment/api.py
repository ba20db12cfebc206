"""Shipping and receipt API: the seller ships, the buyer confirms receipt. Thin: parse, call, shape."""

from __future__ import annotations

from ninja import Router

from souk.fulfilment import services
from souk.orders import schemas as s
from souk.orders import selectors

router = Router(tags=["orders"])


@router.post("/orders/{number}/confirm-receipt", response=s.OrderOut, summary="Confirm the parcel arrived")
def confirm_receipt(request, number: str):
    order_id = selectors.order_id_for(number=number, buyer=request.user)
    services.order_confirm_receipt(buyer=request.user, order_id=order_id)
    return s.order_out(selectors.order_for_buyer(buyer=request.user, order_id=order_id))


@router.post("/seller/orders/{number}/ship", response=s.OrderOut,
             summary="Mark shipped with carrier and tracking number")
def ship_order(request, number: str, payload: s.ShipIn):
    order_id = selectors.order_id_for(number=number, store__owner=request.user)
    services.order_mark_shipped(seller=request.user, order_id=order_id, carrier=payload.carrier,
                                tracking_number=payload.tracking_number)
    return s.order_out(selectors.order_for_seller(seller=request.user, order_id=order_id))
