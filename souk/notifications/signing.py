"""Webhook signatures, Stripe-style: `Souk-Signature: t=<unix ts>,v1=<hex HMAC-SHA256>`.

The MAC covers `"<ts>.<raw body>"` with the endpoint's secret, so a receiver
can check both who sent the body and when (replay window `tolerance`).
See docs/notifications.md for a receiver snippet.
"""

from __future__ import annotations

import hashlib
import hmac
import time


def compute(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(int(timestamp)).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `Souk-Signature` header value for `body` sent at `timestamp`."""
    return f"t={int(timestamp)},v1={compute(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, tolerance: int = 300, *, now: float | None = None) -> bool:
    """True when `header` signs `body` with `secret` and its timestamp is within `tolerance` seconds.

    Several `v1=` values are accepted (one matching is enough), so senders can
    rotate secrets without a gap.
    """
    if not header or not secret:
        return False
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return False
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = compute(secret, timestamp, body)
    return any(hmac.compare_digest(expected, c) for c in candidates)
