"""The error codes every app shares, and the shape of each app's `ErrorCode` enumeration.

A code is an API contract (docs/api.md, "Error codes"): clients switch on it, so it never
changes once shipped. Each app lists the codes it returns in `souk/<app>/error_codes.py`; a code
more than one app returns lives here. Every member carries the HTTP status it is answered with
(None when that depends on the error it is part of, e.g. a field's code inside a 409) and its
meaning in one line. tests/core/test_error_codes.py checks that every code raised anywhere in
`souk` is listed, once; `souk apidoc` writes the lists into docs/api.md.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from enum import StrEnum


class ErrorCodeEnum(StrEnum):
    """Members are `NAME = "code", status, "meaning"`; each is the plain string `code`."""

    status: int | None
    meaning: str

    def __new__(cls, value: str, status: int | None, meaning: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.status = status
        member.meaning = meaning
        return member

    @property
    def label(self) -> str:
        return self.meaning


class ErrorCode(ErrorCodeEnum):
    # What the error classes of souk/core/errors.py answer when a raise site names no code.
    BAD_REQUEST = "bad_request", 400, "The request cannot be served as sent."
    INVALID_INPUT = "invalid_input", 422, "Input breaks a rule; `errors` names each field and its rule."
    NOT_FOUND = "not_found", 404, "No such object, or not yours."
    FORBIDDEN = "forbidden", 403, "Logged in, but not allowed to do this."
    CONFLICT = "conflict", 409, "The object's state does not allow this now."
    # The API edge (souk/api.py) and the middleware answer these themselves.
    NOT_AUTHENTICATED = "not_authenticated", 401, "Not logged in and no valid API token."
    HTTP_ERROR = "http_error", None, "The framework refused the request as sent (e.g. an unreadable body)."
    NULL_CHARACTERS_NOT_ALLOWED = ("null_characters_not_allowed", 422,
                                   "A NUL character in the request; the field is named.")
    REQUEST_TOO_LARGE = ("request_too_large", 413,
                         "The request body is over the size the API accepts (DATA_UPLOAD_MAX_MEMORY_SIZE).")
    TOO_MANY_FIELDS = ("too_many_fields", 400,
                       "A form body with more fields (or files) than the API accepts (DATA_UPLOAD_MAX_NUMBER_FIELDS).")
    # Money (souk/core/money.py).
    INVALID_AMOUNT = ("invalid_amount", 422, "Not an amount written as ASCII digits with at most one decimal "
                      "point, such as \"12.50\" (no spaces, signs, exponents or separators).")
    AMOUNT_NOT_POSITIVE = "amount_not_positive", 422, "An amount that must be above zero is zero or negative."
    AMOUNT_TOO_LARGE = "amount_too_large", 422, "An amount beyond what Souk can hold."
    MONEY_TOO_PRECISE = "money_too_precise", 422, "More decimals than the currency has."
    UNKNOWN_CURRENCY = "unknown_currency", 422, "Not an ISO 4217 currency code."
    # Field rules several apps apply.
    REQUIRED = "required", 422, "A field that must be given is missing or blank."
    TOO_LONG = "too_long", 422, "Text longer than the field allows."
    INVALID = ("invalid", 422,
               "A value of the wrong form (not a number, not true/false, not a valid postcode...).")
    INVALID_COUNTRY = ("invalid_country", 422,
                       "Not a known ISO 3166 country code, or one Souk cannot deliver to.")
    INVALID_QUANTITY = "invalid_quantity", 422, "A quantity that is not a whole number in the allowed range."
    INVALID_CHARACTERS = "invalid_characters", 422, "Text with a character Souk does not store (NUL)."
    INVALID_KIND = "invalid_kind", 422, "Not one of the kinds the field lists."
    UNKNOWN_CATEGORY = "unknown_category", 422, "No category with this slug."
    NOTE_REQUIRED = "note_required", 422, "The chosen reason needs a note saying why."
    SHIPPING_UNAVAILABLE = ("shipping_unavailable", 422,
                            "The shipping option does not deliver to that country.")
    PRODUCT_UNAVAILABLE = "product_unavailable", 422, "The product is not for sale."
    # Lists.
    INVALID_CURSOR = "invalid_cursor", 422, "A page cursor Souk did not give out; start from the first page."
    INVALID_LIMIT = "invalid_limit", 422, "A page size outside the allowed range."
    # Objects several apps look up: missing and not yours look the same.
    ORDER_NOT_FOUND = "order_not_found", 404, "No such order, or not yours."
    PRODUCT_NOT_FOUND = "product_not_found", 404, "No such product (or, when changing one, not yours)."
    STORE_NOT_FOUND = "store_not_found", 404, "No such store."
    ADDRESS_NOT_FOUND = "address_not_found", 404, "No such address in your address book."
    # Who may act.
    STAFF_ONLY = "staff_only", 403, "Only Souk staff can do this."
    NOT_A_SELLER = "not_a_seller", 403, "Only a seller (a user with a store) can do this."


def all_error_codes() -> list[tuple[str, type[ErrorCodeEnum]]]:
    """(app, its ErrorCode) for core first, then every app with an `error_codes` module, by name."""
    import souk

    found: list[tuple[str, type[ErrorCodeEnum]]] = [("core", ErrorCode)]
    for info in sorted(pkgutil.iter_modules(souk.__path__), key=lambda i: i.name):
        name = f"souk.{info.name}.error_codes"
        if info.ispkg and info.name != "core" and importlib.util.find_spec(name) is not None:
            found.append((info.name, importlib.import_module(name).ErrorCode))
    return found
