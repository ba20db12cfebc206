"""Money: py-moneyed `Money` in code, integer minor units + ISO 4217 code in the database.

Every conversion between the two goes through this module, so rounding and
currency precision live in one place.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision
from moneyed import Currency, CurrencyDoesNotExist, Money, get_currency

from souk.core.errors import ValidationFailed

MAX_AMOUNT = Decimal(10) ** 12

__all__ = ["Money", "minor_to_money", "money_to_minor", "parse_money", "format_money", "currency_or_error"]


@lru_cache(maxsize=256)
def precision(code: str) -> int:
    return get_currency_precision(code)


def currency_or_error(code: str, *, field: str = "currency") -> Currency:
    try:
        if not isinstance(code, str) or len(code) != 3 or not code.isalpha() or code != code.upper():
            raise CurrencyDoesNotExist(code)
        return get_currency(code)
    except CurrencyDoesNotExist:
        raise ValidationFailed(f"'{code}' is not an ISO 4217 currency code.", code="unknown_currency",
                               field=field) from None


def minor_to_money(minor: int, currency: str) -> Money:
    return Money(Decimal(minor).scaleb(-precision(currency)), currency)


def money_to_minor(money: Money) -> int:
    code = money.currency.code
    scaled = money.amount.scaleb(precision(code))
    if scaled != scaled.to_integral_value():
        raise ValidationFailed(
            f"{money.amount} has more decimal places than {code} allows ({precision(code)}).",
            code="money_too_precise", field="amount")
    return int(scaled)


# The one form an amount is written in (docs/api.md, Conventions: Money): ASCII digits, no leading
# zeros, at most one point with digits on both sides; a minus sign only where the caller allows it.
# No spaces, plus sign, exponent ("1e1"), thousands separator, "NaN" or non-ASCII digits ("１０", "١٠"),
# all of which Python's Decimal() would accept or mistake.
AMOUNT_PATTERN = re.compile(r"(?P<minus>-)?(?P<units>0|[1-9][0-9]*)(?:\.(?P<decimals>[0-9]+))?", re.ASCII)
AMOUNT_FORMAT = ("Write the amount with the digits 0-9 and at most one decimal point, e.g. \"12.50\": "
                 "no spaces, signs, exponents or thousands separators.")


def parse_money(amount: str | int, currency: str, *, field: str = "amount", allow_zero: bool = False,
                allow_negative: bool = False) -> Money:
    """Parse user input into Money, strictly: the amount is a string in the one form above (or a
    JSON integer), with no more decimals than the currency has (JPY 0, USD 2, KWD 3). Refuses
    negatives (unless `allow_negative`), zero (unless `allow_zero`) and unknown currencies."""
    currency_or_error(currency, field="currency")
    if isinstance(amount, int) and not isinstance(amount, bool):
        amount = str(amount)
    match = AMOUNT_PATTERN.fullmatch(amount) if isinstance(amount, str) else None
    if match is None:
        raise ValidationFailed(AMOUNT_FORMAT, code="invalid_amount", field=field)
    negative = match["minus"] is not None
    if negative and not allow_negative:
        raise ValidationFailed("Amount must be greater than zero." if not allow_zero else
                               "Amount must not be negative.", code="amount_not_positive", field=field)
    digits = precision(currency)
    if len(match["decimals"] or "") > digits:
        raise ValidationFailed(f"{currency} amounts have at most {digits} decimal places.",
                               code="money_too_precise", field=field)
    # The units are checked as digits before any arithmetic: a thousand-digit string is simply too large.
    if len(match["units"]) > len(str(MAX_AMOUNT)) or Decimal(match["units"]) >= MAX_AMOUNT:
        raise ValidationFailed("Amount is too large.", code="amount_too_large", field=field)
    value = Decimal(amount)
    if value == 0 and not allow_zero:
        raise ValidationFailed("Amount must be greater than zero.", code="amount_not_positive", field=field)
    return Money(value, currency)


def minor_to_decimal_str(minor: int, currency: str) -> str:
    """The amount as an exact decimal string ("12.50"): the API's money format."""
    digits = precision(currency)
    return f"{Decimal(minor).scaleb(-digits):.{digits}f}"


def format_money(minor: int, currency: str, locale: str = "en_US") -> str:
    return format_currency(Decimal(minor).scaleb(-precision(currency)), currency, locale=locale)
