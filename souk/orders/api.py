"""Orders API: the cart, My Orders and the seller's orders (checkout: souk.checkout.api).
Thin: parse, call, shape."""

from __future__ import annotations

from ninja import Field, Query, Router, Schema, Status

from souk.core.schemas import TIME_CURSOR_PATTERN, one_of, stated
from souk.orders import schemas as s
from souk.orders import selectors, services
from souk.orders.status import Status as OrderStatus

STATUS = one_of(["", *OrderStatus], None, description="only orders in this status ('' or absent: all)")
CURSOR = Field(None, json_schema_extra=stated(pattern=TIME_CURSOR_PATTERN),
               description="`next_cursor` of the previous page (422 `invalid_cursor` otherwise)")
LIMIT = Field(20, json_schema_extra=stated(ge=1, le=selectors.MAX_LIMIT), description="422 `invalid_limit` outside")

router = Router(tags=["orders"])


class OrderListParams(Schema):
    status: str = STATUS
    q: str | None = Field(None, description="an order number or words of a product title")
    cursor: str | None = CURSOR
    limit: int = LIMIT


class SellerOrderListParams(Schema):
    status: str = STATUS
    cursor: str | None = CURSOR
    limit: int = LIMIT


# --- Cart -------------------------------------------------------------------------

@router.get("/cart", response=s.CartOut, summary="Your cart, grouped by store")
def get_cart(request):
    return s.cart_out(selectors.cart_for_buyer(buyer=request.user))


@router.post("/cart", response={201: s.CartOut}, summary="Add a product to the cart (adds to its quantity)")
def add_to_cart(request, payload: s.CartAddIn):
    services.cart_add(buyer=request.user, product_id=payload.product_id, quantity=payload.quantity)
    return Status(201, s.cart_out(selectors.cart_for_buyer(buyer=request.user)))


@router.put("/cart/items/{product_id}", response=s.CartOut, summary="Set a cart line's quantity (0 removes it)")
def update_cart_item(request, product_id: int, payload: s.CartQuantityIn):
    services.cart_update(buyer=request.user, product_id=product_id, quantity=payload.quantity)
    return s.cart_out(selectors.cart_for_buyer(buyer=request.user))


@router.delete("/cart/items/{product_id}", response={204: None}, summary="Remove a product from the cart")
def remove_cart_item(request, product_id: int):
    services.cart_remove(buyer=request.user, product_id=product_id)
    return Status(204, None)


# --- Buyer's orders -------------------------------------------------------------------

@router.get("/orders", response=s.OrderListOut, summary="My Orders, newest first, cursor-paginated")
def list_orders(request, params: Query[OrderListParams]):
    page = selectors.buyer_orders(buyer=request.user, status=params.status, query=params.q,
                                  cursor=params.cursor, limit=params.limit)
    return s.page_out(page)


@router.get("/orders/{number}", response=s.OrderOut, summary="One of your orders, with lines and timeline")
def get_order(request, number: str):
    return s.order_out(selectors.order_for_buyer(buyer=request.user, number=number))


# --- Seller's orders -------------------------------------------------------------------

@router.get("/seller/orders", response=s.OrderListOut, summary="Your store's orders, newest first")
def seller_orders(request, params: Query[SellerOrderListParams]):
    page = selectors.store_orders(seller=request.user, status=params.status, cursor=params.cursor,
                                  limit=params.limit)
    return s.page_out(page)


@router.get("/seller/orders/{number}", response=s.OrderOut, summary="One order of your store")
def seller_order(request, number: str):
    return s.order_out(selectors.order_for_seller(seller=request.user, number=number))
