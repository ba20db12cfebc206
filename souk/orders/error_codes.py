"""The error codes of orders (cart, status changes, order lines; checkout's are in souk/checkout/);
shared ones are in souk/core/error_codes.py. Listed in docs/api.md ("Error codes") by `souk apidoc`."""

from __future__ import annotations

from souk.core.error_codes import ErrorCodeEnum


class ErrorCode(ErrorCodeEnum):
    TRANSITION_NOT_ALLOWED = ("transition_not_allowed", 409,
                              "The order's status does not allow this move now.")
    INVALID_STATUS = "invalid_status", 422, "Not an order status (the list filter)."
    # Cart.
    CART_ITEM_NOT_FOUND = "cart_item_not_found", 404, "The product is not in your cart."
    INSUFFICIENT_STOCK = "insufficient_stock", 422, "Fewer in stock than the quantity asked for."
    # Lines of an order (cancelling or refunding some of them) and shipping them.
    LINE_NOT_FOUND = "line_not_found", 422, "A line id that is not part of the order."
    QUANTITY_OUT_OF_RANGE = ("quantity_out_of_range", 422,
                             "More units of a line than are left on it, or fewer than 1.")
    INVALID_TRACKING_NUMBER = ("invalid_tracking_number", 422,
                               "A tracking number has only letters, digits and dashes.")
