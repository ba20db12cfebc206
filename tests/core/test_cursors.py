"""A page cursor the schema calls valid is one the API reads: every string of TIME_CURSOR_PATTERN
decodes (to a time and an id), and decoding what was encoded gives the same row back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from souk.core.cursors import TIME_CURSOR_PATTERN, decode_cursor, encode_cursor
from souk.core.errors import ValidationFailed


@given(st.from_regex(TIME_CURSOR_PATTERN, fullmatch=True))
def test_every_cursor_of_the_declared_form_decodes(cursor):
    created_at, pk = decode_cursor(cursor)
    assert created_at.tzinfo is not None and pk >= 1


@given(st.datetimes(min_value=datetime(1970, 1, 1), timezones=st.just(UTC)), st.integers(1, 10**18 - 1))  # ids of up to 18 digits
def test_a_cursor_names_exactly_the_time_and_id_it_was_made_from(created_at, pk):
    assert decode_cursor(encode_cursor(created_at, pk)) == (created_at, pk)


@pytest.mark.parametrize("cursor", ["", "garbage", "1.0", "01.5", "1e3.5", "１.５", "-1.5", "1234567890123456789.1", "1.12345678901234567890"])
def test_anything_else_is_invalid_cursor(cursor):
    with pytest.raises(ValidationFailed) as refused:
        decode_cursor(cursor)
    assert refused.value.code == "invalid_cursor"
