"""The error codes of orders (cart, checkout, status changes, order lines); shared ones are in
souk/core/error_codes.py. Listed in docs/api.md ("Error codes") by `souk apidoc`."""

from __future__ import annotations

from souk.core.error_codes import ErrorCodeEnum


class ErrorCode(ErrorCodeEnum):
    TRANSITION_NOT_ALLOWED = ("transition_not_allowed", 409,
                              "The order's status does not allow this move now.")
    INVALID_STATUS = "invalid_status", 422, "Not an order status (the list filter)."
    # Cart.
    CART_ITEM_NOT_FOUND = "cart_item_not_found", 404, "The product is not in your cart."
    PRODUCT_UNAVAILABLE = "product_unavailable", 422, "The product is not for sale."
    INSUFFICIENT_STOCK = "insufficient_stock", 422, "Fewer in stock than the quantity asked for."
    # Checkout.
    CART_EMPTY = "cart_empty", 422, "Checking out an empty cart."
    NO_LINES = "no_lines", 422, "A checkout without lines."
    TOO_MANY_LINES = "too_many_lines", 422, "More lines than one checkout may have."
    DUPLICATE_PRODUCT = "duplicate_product", 422, "One product on two lines of a checkout."
    SHIPPING_OPTION_REQUIRED = "shipping_option_required", 422, "No shipping option chosen for a store."
    INVALID_SHIPPING_OPTION = "invalid_shipping_option", 422, "Not one of the store's shipping options."
    OUT_OF_STOCK = "out_of_stock", 409, "Fewer left than a line asks for; each such line is named."
    # Lines of an order (cancelling or refunding some of them) and shipping them.
    LINE_NOT_FOUND = "line_not_found", 422, "A line id that is not part of the order."
    QUANTITY_OUT_OF_RANGE = ("quantity_out_of_range", 422,
                             "More units of a line than are left on it, or fewer than 1.")
    INVALID_TRACKING_NUMBER = ("invalid_tracking_number", 422,
                               "A tracking number has only letters, digits and dashes.")
