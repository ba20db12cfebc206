"""Pure money rules: refund ETAs, retry backoff, commission, pro-rated shipping. No ORM."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from souk.payments.conf import setting


def refund_expected_by(method: str, today: date) -> date:
    """When the buyer should see the money, by method (balance instant, e-wallet days, card business days)."""
    days = int(setting("REFUND_ETA_DAYS").get(method, 20))
    if method not in setting("REFUND_ETA_BUSINESS_DAYS"):
        return today + timedelta(days=days)
    current = today
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def retry_delay_seconds(attempts: int) -> int:
    """Exponential backoff: base, 2x base, 4x base... capped."""
    base, cap = setting("REFUND_RETRY_BASE_SECONDS"), setting("REFUND_RETRY_MAX_SECONDS")
    return int(min(cap, base * 2 ** max(0, attempts - 1)))


def next_attempt_at(now: datetime, attempts: int) -> datetime:
    return now + timedelta(seconds=retry_delay_seconds(attempts))


def commission_minor(amount_minor: int) -> int:
    """The platform's commission on a release, rounded half up to the minor unit."""
    bps = int(setting("COMMISSION_BPS"))
    return (amount_minor * bps + 5000) // 10000


def prorated_shipping_minor(*, refunded_subtotal: int, subtotal: int, shipping: int) -> int:
    """Shipping refunded in proportion to the goods refunded (rounded down; all of it on a full refund)."""
    if subtotal <= 0 or refunded_subtotal >= subtotal:
        return shipping
    return shipping * refunded_subtotal // subtotal
