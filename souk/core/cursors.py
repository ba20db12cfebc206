"""Page cursors for lists ordered by (time, id), newest first: `<microseconds since 1970>.<id>`.

Every string of that form (TIME_CURSOR_PATTERN, which the API schemas declare) is a cursor that works: it
names a point in time and an id, and the next page is whatever comes before it, possibly nothing. Anything
else is 422 `invalid_cursor`. Exact integer arithmetic: no float rounding moves a cursor by a microsecond.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from souk.core.errors import ValidationFailed

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_LAST = (datetime.max.replace(tzinfo=UTC) - EPOCH) // _MICRO
# Up to 18 digits of microseconds (the year 9999 has 18), an id of up to 18 digits (64 bits). A time past
# the last one Python can hold is "after every row": the first page.
TIME_CURSOR = r"(0|[1-9][0-9]{0,17})\.[1-9][0-9]{0,17}"
TIME_CURSOR_PATTERN = rf"^{TIME_CURSOR}$"
_CURSOR = re.compile(TIME_CURSOR_PATTERN, re.ASCII)


def encode_cursor(created_at: datetime, pk: int) -> str:
    return f"{(created_at - EPOCH) // _MICRO}.{pk}"


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    if not isinstance(cursor, str) or not _CURSOR.fullmatch(cursor):
        raise ValidationFailed("This page link is not valid; start from the first page.", code="invalid_cursor",
                               field="cursor")
    micros, pk = cursor.split(".")
    return EPOCH + min(int(micros), _LAST) * _MICRO, int(pk)
