"""Amounts are read in one strict form (docs/api.md, Conventions: Money): what a person or script
writes as "12.50" is twelve fifty, and anything Python's Decimal() would also take ("1e1", "１０",
" 10", "1,000") is refused rather than guessed. Through the API: tests/payments/test_api_money_input.py."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from souk.core.errors import ValidationFailed
from souk.core.money import money_to_minor, parse_money

ATTACKS = [
    "1e1", "1E1", "1.0e1", "1e-2", "1e+1",          # exponents
    "１０", "١٠", "۱۰", "१०", "10٫5",               # full-width, Arabic-Indic, Persian, Devanagari digits
    " 10", "10 ", "\t10", "10\n", "1 000", "\u00a010",  # padding and spaces
    "1,000.00", "1_000", "1'000", "10,50",           # separators
    "+10", "0x10", "NaN", "nan", "Infinity", "-Infinity", "inf", "sNaN",
    "10.", ".5", "1.2.3", "", ".", "00", "010", "01.50",
]


def code_of(amount, currency: str = "USD", **kwargs) -> str | None:
    try:
        parse_money(amount, currency, **kwargs)
    except ValidationFailed as exc:
        return exc.code
    return None


@pytest.mark.parametrize("amount", ATTACKS)
def test_a_loosely_written_amount_is_refused_as_invalid(amount):
    assert code_of(amount) == "invalid_amount"


@pytest.mark.parametrize(("amount", "currency", "code"), [
    ("10.000", "USD", "money_too_precise"),     # even trailing zeros: no more decimals than USD has
    ("1.5", "JPY", "money_too_precise"), ("100.0", "JPY", "money_too_precise"),
    ("1.0001", "KWD", "money_too_precise"),
    ("-1", "USD", "amount_not_positive"), ("-0.50", "USD", "amount_not_positive"),
    ("0", "USD", "amount_not_positive"), ("0.00", "USD", "amount_not_positive"),
    ("1000000000000", "USD", "amount_too_large"), ("9" * 5000, "USD", "amount_too_large"),
    (12.5, "USD", "invalid_amount"), (True, "USD", "invalid_amount"), (None, "USD", "invalid_amount"),
])
def test_each_rule_has_its_own_code(amount, currency, code):
    assert code_of(amount, currency) == code


@pytest.mark.parametrize(("amount", "currency", "minor"), [
    ("12.50", "USD", 1250), ("12.5", "USD", 1250), ("12", "USD", 1200), ("0.01", "USD", 1),
    ("1500", "JPY", 1500), ("1.234", "KWD", 1234), ("999999999999.99", "USD", 99999999999999),
    (7, "USD", 700),
])
def test_plainly_written_amounts_are_read_exactly(amount, currency, minor):
    assert money_to_minor(parse_money(amount, currency)) == minor


def test_zero_and_a_minus_sign_only_where_the_caller_allows_them():
    assert money_to_minor(parse_money("0", "USD", allow_zero=True)) == 0
    assert code_of("-1", "USD", allow_zero=True) == "amount_not_positive"
    assert money_to_minor(parse_money("-1.25", "USD", allow_negative=True)) == -125
    assert code_of("+1.25", "USD", allow_negative=True) == "invalid_amount"


CURRENCIES = st.sampled_from([("JPY", 0), ("USD", 2), ("KWD", 3)])


@given(st.text(max_size=20), CURRENCIES)
def test_whatever_the_text_only_the_strict_form_is_accepted(text, currency):
    code, digits = currency
    try:
        money = parse_money(text, code)
    except ValidationFailed as exc:
        assert exc.code in {"invalid_amount", "money_too_precise", "amount_not_positive", "amount_too_large"}
        return
    units, _, decimals = text.partition(".")
    assert set(text) <= set("0123456789.") and units and units.isascii()
    assert (units == "0" or not units.startswith("0")) and len(decimals) <= digits
    assert str(money.amount) == text


@st.composite
def written_amounts(draw):
    code, digits = draw(CURRENCIES)
    units = draw(st.integers(min_value=0, max_value=10**12 - 1))
    places = draw(st.integers(min_value=0, max_value=digits))
    decimals = draw(st.integers(min_value=0, max_value=10**places - 1)) if places else 0
    text = str(units) + (f".{decimals:0{places}d}" if places else "")
    minor = (units * 10**places + decimals) * 10 ** (digits - places)
    return text, code, minor


@given(written_amounts())
def test_every_plainly_written_amount_is_read_to_the_exact_minor_unit(case):
    text, code, minor = case
    if minor == 0:
        assert code_of(text, code) == "amount_not_positive"
    else:
        assert money_to_minor(parse_money(text, code)) == minor


NON_ASCII_DIGITS = st.characters(categories=["Nd"]).filter(lambda c: not c.isascii())
SPACES = st.sampled_from([" ", "\t", "\n", "\r", "\u00a0", "\u2007", "\u3000", "\ufeff"])


@given(written_amounts(), st.one_of(NON_ASCII_DIGITS, SPACES, st.sampled_from(list("eE+,_'"))), st.data())
def test_a_foreign_digit_space_sign_or_separator_anywhere_is_refused(case, intruder, data):
    text = case[0]
    at = data.draw(st.integers(min_value=0, max_value=len(text)))
    assert code_of(text[:at] + intruder + text[at:], case[1]) == "invalid_amount"

