"""The error codes of checkout; shared ones (e.g. `product_unavailable`, `address_not_found`) are in
souk/core/error_codes.py. Listed in docs/api.md ("Error codes") by `souk apidoc`."""

from __future__ import annotations

from souk.core.error_codes import ErrorCodeEnum


class ErrorCode(ErrorCodeEnum):
    CART_EMPTY = "cart_empty", 422, "Checking out an empty cart."
    NO_LINES = "no_lines", 422, "A checkout without lines."
    TOO_MANY_LINES = "too_many_lines", 422, "More lines than one checkout may have."
    DUPLICATE_PRODUCT = "duplicate_product", 422, "One product on two lines of a checkout."
    SHIPPING_OPTION_REQUIRED = "shipping_option_required", 422, "No shipping option chosen for a store."
    INVALID_SHIPPING_OPTION = "invalid_shipping_option", 422, "Not one of the store's shipping options."
    OUT_OF_STOCK = "out_of_stock", 409, "Fewer left than a line asks for; each such line is named."
