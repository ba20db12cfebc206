"""Money: py-moneyed `Money` in code, integer minor units + ISO 4217 code in the database.

Every conversion between the two goes through this module, so rounding and
currency precision live in one place.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
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


def parse_money(amount: str | int | Decimal, currency: str, *, field: str = "amount",
                allow_zero: bool = False) -> Money:
    """Parse user input into Money: refuses negatives, over-precision and unknown currencies."""
    currency_or_error(currency, field="currency")
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(f"'{amount}' is not a number.", code="invalid_amount", field=field) from None
    if not value.is_finite():
        raise ValidationFailed("Amount must be a finite number.", code="invalid_amount", field=field)
    if value < 0 or (value == 0 and not allow_zero):
        raise ValidationFailed("Amount must be greater than zero." if not allow_zero else
                               "Amount must not be negative.", code="amount_not_positive", field=field)
    if value >= MAX_AMOUNT:
        raise ValidationFailed("Amount is too large.", code="amount_too_large", field=field)
    digits = precision(currency)
    if value.as_tuple().exponent < -digits and value != value.quantize(Decimal(1).scaleb(-digits)):
        raise ValidationFailed(f"{currency} amounts have at most {digits} decimal places.",
                               code="money_too_precise", field=field)
    return Money(value, currency)


def minor_to_decimal_str(minor: int, currency: str) -> str:
    """The amount as an exact decimal string ("12.50"): the API's money format."""
    digits = precision(currency)
    return f"{Decimal(minor).scaleb(-digits):.{digits}f}"


def format_money(minor: int, currency: str, locale: str = "en_US") -> str:
    return format_currency(Decimal(minor).scaleb(-precision(currency)), currency, locale=locale)
