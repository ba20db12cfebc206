"""API schemas every app shares: money as it goes over the wire, the base of JSON bodies, and the
building blocks that state a rule in /api/openapi.json from the same constant the validator uses
(docs/api.md, Conventions: the schema says what the validation says)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django_countries import countries
from moneyed import CURRENCIES
from ninja import Field, Schema
from ninja.schema import DjangoGetter
from pydantic import ConfigDict, model_validator

from souk.core import cursors
from souk.core.money import MAX_AMOUNT, minor_to_decimal_str

# --- rules as JSON Schema --------------------------------------------------------------------

# The ISO 3166-1 alpha-2 codes the validators accept (django-countries, upper case): the same list.
COUNTRY_CODES: tuple[str, ...] = tuple(sorted(code for code, _name in countries))
# The ISO 4217 codes souk.core.money.currency_or_error accepts (py-moneyed's list): the same list.
CURRENCY_CODES: tuple[str, ...] = tuple(sorted(CURRENCIES))
# An id the database can hold (64-bit signed): larger ones are refused before any query.
MAX_ID = 2**63 - 1
_ID = r"[1-9][0-9]{0,17}"
# An id written as a string (a JSON object's key).
ID_PATTERN = rf"^{_ID}$"
# A page cursor: a row id (notifications, conversations, products), or a time and an id (orders, reviews:
# souk.core.cursors). An empty cursor is the first page, as no cursor is.
ID_CURSOR_PATTERN = rf"^({_ID})?$"
TIME_CURSOR_PATTERN = rf"^({cursors.TIME_CURSOR})?$"
# A text that must say something: at least one character that str.strip() keeps. Spelled out from
# str.isspace(), not `\S`: JSON Schema's (ECMAScript's) white space is not Python's (U+0085, U+001C-U+001F).
_SPACE = "".join(f"\\u{c:04x}" for c in range(0x10000) if chr(c).isspace())
NOT_BLANK_PATTERN = f"[^{_SPACE}]"
# The same, for a text that also cannot hold NUL (PostgreSQL cannot store it), whole-string.
REQUIRED_TEXT_PATTERN = rf"^[^\x00]*[^\x00{_SPACE}][^\x00]*$"
# souk.core.money.AMOUNT_PATTERN without its minus sign, and at most MAX_AMOUNT's digits: the currency's
# own number of decimals is a rule of the currency, checked by parse_money (422 `money_too_precise`).
AMOUNT_DIGITS = len(str(MAX_AMOUNT)) - 1
AMOUNT_PATTERN = rf"^(0|[1-9][0-9]{{0,{AMOUNT_DIGITS - 1}}})(\.[0-9]+)?$"
POSITIVE_AMOUNT_PATTERN = rf"^(?!0(\.0+)?$)(0|[1-9][0-9]{{0,{AMOUNT_DIGITS - 1}}})(\.[0-9]+)?$"


_JSON_SCHEMA_KEYS = {"min_length": "minLength", "max_length": "maxLength", "ge": "minimum", "le": "maximum",
                     "pattern": "pattern", "format": "format"}


def stated(**rules: Any) -> dict[str, Any]:
    """`json_schema_extra` stating rules (min_length=, le=, pattern=, ...) that the service checks itself,
    answering with its own error code (`invalid_cursor`, `invalid_limit`, `message_empty`): Pydantic, given
    the same rule, would refuse first with a generic one (`string_pattern_mismatch`)."""
    return {_JSON_SCHEMA_KEYS[name]: value for name, value in rules.items()}


def one_of(values: Iterable[str], default: Any = ..., **kwargs: Any) -> Any:
    """A string field whose schema lists the values the validator accepts (the same constant: an Enum, a
    registry). The handler's own check still refuses anything else with its own error code."""
    return Field(default, json_schema_extra={"enum": [str(v) for v in values]}, **kwargs)


def country_field(default: Any = ..., *, blank: bool = False, description: str = "ISO 3166-1 alpha-2, upper case",
                  **kwargs: Any) -> Any:
    """A country code field: the schema lists the codes (COUNTRY_CODES); the validator checks the same
    list. `blank` also allows '' (e.g. "the rest of the world")."""
    codes = ["", *COUNTRY_CODES] if blank else list(COUNTRY_CODES)
    return Field(default, description=description, json_schema_extra={"enum": codes}, **kwargs)


class MoneyOut(Schema):
    amount: str = Field(description="exact decimal string in the currency's precision", examples=["12.50"])
    currency: str = Field(description="ISO 4217 code", examples=["USD"])

    @staticmethod
    def of(minor: int, currency: str) -> MoneyOut:
        return MoneyOut(amount=minor_to_decimal_str(minor, currency), currency=currency)


def money(minor: int, currency: str) -> dict[str, str]:
    """Money as the API sends it: {"amount": "12.50", "currency": "USD"}."""
    return {"amount": minor_to_decimal_str(minor, currency), "currency": currency}


class ObjectIn(Schema):
    """A JSON object body. Ninja's Schema would read attributes off any value, so `[]` or
    `null` would pass as "all fields omitted"; refuse them instead. (NUL characters are
    refused for every API request by souk.core.middleware.)"""

    @model_validator(mode="before")
    @classmethod
    def _must_be_an_object(cls, value: Any) -> Any:
        raw = value._obj if isinstance(value, DjangoGetter) else value
        if not isinstance(raw, dict):
            raise ValueError("The body must be a JSON object.")
        return value


class StrictObjectIn(ObjectIn):
    """ObjectIn with strict types: `0` is not `false`, `"5"` is not `5`. A JSON number with no fraction
    (`5.0`) is the integer 5, as JSON Schema's `integer` says (a generated client may send either)."""

    model_config = ConfigDict(strict=True)

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers_are_integers(cls, value: Any) -> Any:
        raw = value._obj if isinstance(value, DjangoGetter) else value
        if isinstance(raw, dict) and any(isinstance(v, float) and v.is_integer() for v in raw.values()):
            return {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in raw.items()}
        return value


class UnreadCountOut(Schema):
    unread: int = Field(ge=0, description="how many are unread")
