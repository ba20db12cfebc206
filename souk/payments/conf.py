"""Payments settings: read from `settings.SOUK[...]`, else `SOUK_<KEY>` in the environment, else these defaults (souk.core.conf).

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
| IDEMPOTENCY_LEASE_SECONDS | 30 | a key in flight this long without an answer is taken over by its next request (its first died) |
| REFUND_POLL_SECONDS | 30 | how often a refund the gateway accepted is polled until it settles |
| SANDBOX_REFUND_SETTLE_SECONDS | 5 | sandbox: a pending refund settles this long after it was created |
| SANDBOX_REFUND_TRANSIENT_CENTS | 13 | sandbox: refunds whose amount ends in .13 fail transiently... |
| SANDBOX_REFUND_TRANSIENT_FAILURES | 2 | ...this many times per idempotency key, then go through |
| SANDBOX_REFUND_FAIL_CENTS | 14 | sandbox: refunds ending in .14 are accepted, then settle `failed` |
| SANDBOX_REFUND_ACTION_CENTS | 15 | sandbox: refunds ending in .15 stay `requires_action` |
| SANDBOX_AUTHORIZE_LATENCY_SECONDS | 0 | sandbox: `authorize` waits this long before doing anything (a slow processor) |
| SANDBOX_AUTHORIZE_LATENCY_AFTER_SECONDS | 0 | sandbox: `authorize` waits this long after the charge is made, before answering |
| SANDBOX_CAPTURE_LATENCY_AFTER_SECONDS | 0 | sandbox: `capture` waits this long after capturing, before answering |
| SANDBOX_REFUND_LATENCY_BEFORE_SECONDS | 0 | sandbox: `refund` waits this long before doing anything |
| SANDBOX_REFUND_LATENCY_AFTER_SECONDS | 0 | sandbox: `refund` waits this long after the refund is made, before answering |
| IDEMPOTENCY_WAIT_SECONDS | 5 | a request whose twin (same key) is in flight waits this long for its answer, then 409 |
| PAYMENT_REVIEW_OVER_MINOR | 0 | payments of at least this many minor units go to risk review (0: none by amount) |
| PAYMENT_REVIEW_HOURS | 24 | how long a payment may sit in review before the worker decides |
| PAYMENT_REVIEW_EXPIRED_APPROVE | True | what the worker decides when review time is up: approve (True) or cancel |
| PAYMENT_RECONCILE_GRACE_SECONDS | 60 | a payment attempt still pending this long after its last gateway call is checked with the gateway (keep it above the longest a pay request can take: the web timeout) |
| PAYMENT_RECONCILE_SWEEP_SECONDS | 15 | how often the worker looks for payment attempts to check |
| TEST_PAY_STALL_AFTER_COMMIT_SECONDS | 0 | tests only (crash drills): `order_pay` waits this long after recording the outcome, before answering |
| REFUND_SWEEP_SECONDS | 10 | how often the worker looks for due refunds |
| ESCROW_SWEEP_SECONDS | 60 | how often the worker releases escrow of completed orders and ends buyer protection |

Every scalar can also be set from the environment as `SOUK_<KEY>` (e.g.
`SOUK_REFUND_RETRY_BASE_SECONDS=2`); `settings.SOUK` wins over the environment.
"""

from __future__ import annotations

from typing import Any

from souk.core.conf import app_setting

DEFAULTS: dict[str, Any] = {
    "PAYMENT_GATEWAY": "souk.payments.gateways.sandbox.SandboxGateway",
    "COMMISSION_BPS": 800,
    "REFUND_ETA_DAYS": {"balance": 0, "ewallet": 5, "card": 20},
    "REFUND_ETA_BUSINESS_DAYS": ["card"],
    "REFUND_MAX_ATTEMPTS": 8,
    "REFUND_RETRY_BASE_SECONDS": 30,
    "REFUND_RETRY_MAX_SECONDS": 3600,
    "IDEMPOTENCY_KEY_TTL_HOURS": 24,
    "IDEMPOTENCY_LEASE_SECONDS": 30,
    "REFUND_POLL_SECONDS": 30,
    "SANDBOX_REFUND_SETTLE_SECONDS": 5,
    "SANDBOX_REFUND_TRANSIENT_CENTS": 13,
    "SANDBOX_REFUND_TRANSIENT_FAILURES": 2,
    "SANDBOX_REFUND_FAIL_CENTS": 14,
    "SANDBOX_REFUND_ACTION_CENTS": 15,
    "SANDBOX_AUTHORIZE_LATENCY_SECONDS": 0,
    "SANDBOX_AUTHORIZE_LATENCY_AFTER_SECONDS": 0,
    "SANDBOX_CAPTURE_LATENCY_AFTER_SECONDS": 0,
    "SANDBOX_REFUND_LATENCY_BEFORE_SECONDS": 0,
    "SANDBOX_REFUND_LATENCY_AFTER_SECONDS": 0,
    "IDEMPOTENCY_WAIT_SECONDS": 5,
    "PAYMENT_REVIEW_OVER_MINOR": 0,
    "PAYMENT_REVIEW_HOURS": 24,
    "PAYMENT_REVIEW_EXPIRED_APPROVE": True,
    "PAYMENT_RECONCILE_GRACE_SECONDS": 60,
    "PAYMENT_RECONCILE_SWEEP_SECONDS": 15,
    "TEST_PAY_STALL_AFTER_COMMIT_SECONDS": 0,
    "REFUND_SWEEP_SECONDS": 10,
    "ESCROW_SWEEP_SECONDS": 60,
}


def setting(name: str) -> Any:
    return app_setting(name, DEFAULTS)
