"""Pure reputation rules: rating validation, the metric windows, refund-time buckets. No ORM here.

Windows are whole UTC days (the daily stats table is per UTC day). A window
"the last N days" at `now` is the UTC days from `today - N` to `today`, both
inclusive: the start day counts entirely (an order placed exactly 90 days ago
is in, one placed 91 days ago is out) and the end is `now`. "The last 6
months" starts on the same calendar day 6 months earlier (clamped to the end of
a shorter month: 31 August looks back to 28/29 February).
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from souk.core.errors import ErrorCollector

RATING_FIELDS: tuple[str, ...] = ("overall", "item_as_described", "communication", "shipping_speed")
RATING_LABELS = {"overall": "Overall rating", "item_as_described": "Item as described",
                 "communication": "Communication", "shipping_speed": "Shipping speed"}
MIN_STARS, MAX_STARS = 1, 5
TEXT_MAX = 2000


def check_ratings(values: Mapping[str, object], errors: ErrorCollector) -> None:
    """Adds an error naming each rating that is not a whole number of stars from 1 to 5."""
    for name in RATING_FIELDS:
        value = values.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            errors.add(name, "invalid_rating", f"{RATING_LABELS[name]} must be a whole number of stars from 1 to 5.")
        elif not MIN_STARS <= value <= MAX_STARS:
            errors.add(name, "rating_out_of_range",
                       f"{RATING_LABELS[name]} must be from 1 to 5 stars; {value} is not.")


def check_text(text: str, errors: ErrorCollector, *, field: str = "text", required: bool = False) -> str:
    text = (text or "").strip()
    if required and not text:
        errors.add(field, "required", "Write a reply.")
    elif len(text) > TEXT_MAX:
        errors.add(field, "too_long", f"At most {TEXT_MAX} characters, please ({len(text)} given).")
    return text


def feedback_class(overall: int) -> str:
    """4–5★ positive, 3★ neutral, 1–2★ negative."""
    if overall >= 4:
        return "positive"
    return "neutral" if overall == 3 else "negative"


@dataclass(frozen=True)
class ReviewDecision:
    allowed: bool
    code: str          # "" when allowed; else order_not_completed / review_window_closed / already_reviewed
    why_not: str       # the sentence the page and the API show
    closes_at: datetime | None


def decide_review(*, status: str, completed_at: datetime | None, already_reviewed: bool, now: datetime,
                  window_days: int) -> ReviewDecision:
    """May the buyer review this order now? The same rule review_create enforces, for pages to show."""
    if status != "completed" or completed_at is None:
        return ReviewDecision(False, "order_not_completed", "You can review an order once it is completed.", None)
    closes_at = completed_at + timedelta(days=window_days)
    if already_reviewed:
        return ReviewDecision(False, "already_reviewed", "You have already reviewed this order.", closes_at)
    if now > closes_at:
        return ReviewDecision(False, "review_window_closed",
                              f"Reviews close {window_days} days after an order completes.", closes_at)
    return ReviewDecision(True, "", "", closes_at)


# --- Windows -------------------------------------------------------------------------

def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Windows:
    today: date
    ratings_from: date  # first UTC day of the ratings window (inclusive)
    orders_from: date   # first UTC day of the orders window (inclusive)

    @property
    def earliest(self) -> date:
        return min(self.ratings_from, self.orders_from)


def windows(now: datetime, *, ratings_months: int, orders_days: int) -> Windows:
    today = utc_day(now)
    return Windows(today=today, ratings_from=months_before(today, ratings_months),
                   orders_from=today - timedelta(days=orders_days))


# --- Refund time histogram -------------------------------------------------------------
# Upper edges (seconds) of the refund-time buckets; the last bucket is open-ended. A
# median read from these is "half of refunds were back within <edge>": coarse on purpose,
# and the same cost whatever the number of refunds.
_M, _H, _D = 60, 3600, 86400
REFUND_EDGES: tuple[int, ...] = (
    _M, 5 * _M, 15 * _M, 30 * _M, _H, 2 * _H, 3 * _H, 6 * _H, 12 * _H, _D, 2 * _D, 3 * _D, 4 * _D, 5 * _D,
    7 * _D, 10 * _D, 14 * _D, 20 * _D, 30 * _D, 45 * _D, 60 * _D, 90 * _D)


def refund_bucket(seconds: int) -> int:
    """Index of the bucket holding a refund that took `seconds` (edges are exclusive upper bounds)."""
    for index, edge in enumerate(REFUND_EDGES):
        if seconds < edge:
            return index
    return len(REFUND_EDGES)


def merge_histograms(histograms: Iterable[Mapping[str, int]]) -> dict[int, int]:
    total: dict[int, int] = {}
    for hist in histograms:
        for key, count in (hist or {}).items():
            total[int(key)] = total.get(int(key), 0) + int(count)
    return total


def median_upper_edge(histogram: Mapping[int, int]) -> int | None:
    """The upper edge of the bucket holding the median refund (the ceil(n/2)-th fastest), or None.

    For the open-ended last bucket, its lower edge is returned (the best we can say is "over").
    """
    n = sum(histogram.values())
    if not n:
        return None
    rank = math.ceil(n / 2)
    seen = 0
    for index in sorted(histogram):
        seen += histogram[index]
        if seen >= rank:
            return REFUND_EDGES[index] if index < len(REFUND_EDGES) else REFUND_EDGES[-1]
    return REFUND_EDGES[-1]  # unreachable: the counts add up to n


def duration_label(seconds: int | None) -> str:
    if seconds is None:
        return ""
    if seconds < _H:
        return f"within {seconds // _M} min"
    if seconds < _D:
        hours = seconds // _H
        return f"within {hours} hour{'s' if hours != 1 else ''}"
    days = seconds // _D
    return f"within {days} day{'s' if days != 1 else ''}"


def percent(part: int, whole: int) -> float | None:
    """`part` of `whole` as a percentage with one decimal, or None when there is nothing to measure."""
    return round(100.0 * part / whole, 1) if whole else None


def average(total: int, count: int) -> float | None:
    return round(total / count, 1) if count else None
