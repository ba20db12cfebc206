"""The error codes of the catalog (stores, products, stock, shipping options); shared ones are in
souk/core/error_codes.py. Listed in docs/api.md ("Error codes") by `souk apidoc`."""

from __future__ import annotations

from souk.core.error_codes import ErrorCodeEnum


class ErrorCode(ErrorCodeEnum):
    STORE_EXISTS = "store_exists", 409, "You already have a store."
    SLUG_TAKEN = "slug_taken", 409, "No unique web address could be made from the store's name; try another."
    CURRENCY_LOCKED = "currency_locked", 422, "A store's currency cannot change once it is open."
    SHIPPING_OPTION_NOT_FOUND = "shipping_option_not_found", 404, "No such shipping option, or not yours."
    STOCK_WOULD_GO_NEGATIVE = ("stock_would_go_negative", 409,
                               "Taking this much away would leave less than 0 in stock.")
    STOCK_OR_DELTA = "stock_or_delta", 422, "Send either the new stock or a delta, not both or neither."
    # Field rules (souk/catalog/rules.py).
    INVALID_TEXT = "invalid_text", 422, "Not text, or a character that cannot be stored."
    INVALID_INTEGER = "invalid_integer", 422, "Not a whole number."
    INVALID_BOOLEAN = "invalid_boolean", 422, "Not true or false."
    NEGATIVE = "negative", 422, "A number below 0 where the least is 0."
    TOO_SMALL = "too_small", 422, "A number below the field's minimum."
    TOO_LARGE = "too_large", 422, "A number above the field's maximum."
    INVALID_SPECS = "invalid_specs", 422, "Specifications are not a list of {name, value}."
    INVALID_SPEC = "invalid_spec", 422, "A specification without a name or a value."
    TOO_MANY_SPECS = "too_many_specs", 422, "More specifications than a product may have."
    NO_RATES = "no_rates", 422, "A shipping option needs at least one rate."
    TOO_MANY_RATES = "too_many_rates", 422, "More rates than a shipping option may have."
    INVALID_RATE = "invalid_rate", 422, "A rate without its country, cost, min_days and max_days."
    DUPLICATE_COUNTRY = "duplicate_country", 422, "Two rates of one option for the same country."
    DAYS_RANGE = "days_range", 422, "Maximum days less than minimum days."
    # Browsing.
    UNKNOWN_COUNTRY = "unknown_country", 422, "Not an ISO 3166-1 country code (the ship-to filter)."
    INVALID_FILTER = "invalid_filter", 422, "A filter value the product list does not understand."
