"""The rules /api/openapi.json states are the validators' own: every value the schema calls valid, the
validator accepts (souk/core/schemas.py; docs/api.md, The schema says what the validation says)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from souk.catalog.selectors import country_or_error
from souk.compliance.selectors import customs_check
from souk.core.errors import NotFound, ValidationFailed
from souk.core.money import currency_or_error, parse_money
from souk.core.schemas import (
    AMOUNT_PATTERN,
    COUNTRY_CODES,
    CURRENCY_CODES,
    NOT_BLANK_PATTERN,
    POSITIVE_AMOUNT_PATTERN,
)


@given(st.text(alphabet=st.sampled_from(" \t\n\x0b\x0c\r\x1c\x1f\x85\xa0\u2028\u3000\ufeffa"), max_size=4))
def test_a_text_is_blank_for_the_schema_exactly_when_strip_leaves_nothing(text):
    assert bool(re.search(NOT_BLANK_PATTERN, text)) == bool(text.strip())


def _decimals(amount: str) -> int:
    return len(amount.partition(".")[2])


@given(st.from_regex(POSITIVE_AMOUNT_PATTERN, fullmatch=True).filter(lambda a: _decimals(a) <= 3))
def test_every_positive_amount_of_the_declared_form_parses_in_a_currency_with_that_many_decimals(amount):
    assert parse_money(amount, "KWD").amount > 0


@given(st.from_regex(AMOUNT_PATTERN, fullmatch=True).filter(lambda a: _decimals(a) <= 2))
def test_every_amount_of_the_declared_form_parses_where_zero_is_allowed(amount):
    assert parse_money(amount, "USD", allow_zero=True).amount >= 0


@pytest.mark.parametrize("amount", ["0", "0.00", "007", "1e3", " 1", "+1", "-1", "1,000", "1.", ".5", "1000000000000"])
def test_what_the_declared_positive_form_refuses_parse_money_refuses_too(amount):
    assert not re.search(POSITIVE_AMOUNT_PATTERN, amount)
    with pytest.raises(ValidationFailed):
        parse_money(amount, "USD")


def test_every_declared_currency_is_one_the_validator_knows():
    for code in CURRENCY_CODES:
        assert currency_or_error(code).code == code


@pytest.mark.django_db
def test_every_declared_country_is_one_the_validators_know():
    for code in COUNTRY_CODES:
        assert country_or_error(code) == code
        with pytest.raises(NotFound):  # past the country check: the product is what is missing
            customs_check(country=code, product_id=1, quantity=1)
