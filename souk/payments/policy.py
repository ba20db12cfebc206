"""Pure money rules: refund ETAs, retry backoff, commission, the one proration rule. No ORM."""

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


def goods_refund_minor(*, goods_minor: int, subtotal_minor: int, shipping_minor: int) -> int:
    """What refunding `goods_minor` worth of an order's goods pays back: the goods plus their share of
    shipping, in proportion to the subtotal and rounded down; all of the goods pay back the whole total.

    The one proration rule (docs/money.md): a line refund, a partial cancellation and a dispute's
    line refund all use it, through `lines_refund_minor`.
    """
    if goods_minor <= 0:
        return 0
    if subtotal_minor <= 0 or goods_minor >= subtotal_minor:
        return subtotal_minor + shipping_minor
    return goods_minor + shipping_minor * goods_minor // subtotal_minor


def lines_refund_minor(*, before_minor: int, goods_minor: int, subtotal_minor: int, shipping_minor: int) -> int:
    """The refund for `goods_minor` more goods when `before_minor` worth were refunded before: the
    difference of the rule at both points, so refunding an order piece by piece in any order pays back
    exactly its total, never a cent more."""
    kw = {"subtotal_minor": subtotal_minor, "shipping_minor": shipping_minor}
    return (goods_refund_minor(goods_minor=before_minor + goods_minor, **kw)
            - goods_refund_minor(goods_minor=before_minor, **kw))
