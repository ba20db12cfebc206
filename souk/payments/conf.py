"""Payments settings: read from `settings.SOUK[...]`, with these defaults.

| key | default | meaning |
| --- | --- | --- |
| PAYMENT_GATEWAY | souk.payments.gateways.sandbox.SandboxGateway | dotted path of the gateway class |
| COMMISSION_BPS | 800 | platform commission on release, in basis points (800 = 8 %) |
| REFUND_ETA_DAYS | balance 0, ewallet 5, card 20 | days until a refund is expected back, by method |
| REFUND_ETA_BUSINESS_DAYS | card | methods whose ETA counts business days (Mon-Fri) |
| REFUND_MAX_ATTEMPTS | 8 | gateway attempts before a refund is flagged for staff |
| REFUND_RETRY_BASE_SECONDS | 30 | first retry delay; doubles each attempt (exponential backoff) |
| REFUND_RETRY_MAX_SECONDS | 3600 | cap on the retry delay |
| IDEMPOTENCY_KEY_TTL_HOURS | 24 | how long Idempotency-Key responses are kept |
| REFUND_POLL_SECONDS | 30 | how often a refund the gateway accepted is polled until it settles |
| SANDBOX_REFUND_SETTLE_SECONDS | 5 | sandbox: a pending refund settles this long after it was created |
| SANDBOX_REFUND_TRANSIENT_CENTS | 13 | sandbox: refunds whose amount ends in .13 fail transiently... |
| SANDBOX_REFUND_TRANSIENT_FAILURES | 2 | ...this many times per idempotency key, then go through |
| SANDBOX_REFUND_FAIL_CENTS | 14 | sandbox: refunds ending in .14 are accepted, then settle `failed` |
| SANDBOX_REFUND_ACTION_CENTS | 15 | sandbox: refunds ending in .15 stay `requires_action` |
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "PAYMENT_GATEWAY": "souk.payments.gateways.sandbox.SandboxGateway",
    "COMMISSION_BPS": 800,
    "REFUND_ETA_DAYS": {"balance": 0, "ewallet": 5, "card": 20},
    "REFUND_ETA_BUSINESS_DAYS": ["card"],
    "REFUND_MAX_ATTEMPTS": 8,
    "REFUND_RETRY_BASE_SECONDS": 30,
    "REFUND_RETRY_MAX_SECONDS": 3600,
    "IDEMPOTENCY_KEY_TTL_HOURS": 24,
    "REFUND_POLL_SECONDS": 30,
    "SANDBOX_REFUND_SETTLE_SECONDS": 5,
    "SANDBOX_REFUND_TRANSIENT_CENTS": 13,
    "SANDBOX_REFUND_TRANSIENT_FAILURES": 2,
    "SANDBOX_REFUND_FAIL_CENTS": 14,
    "SANDBOX_REFUND_ACTION_CENTS": 15,
}


def setting(name: str) -> Any:
    return getattr(settings, "SOUK", {}).get(name, DEFAULTS[name])
