"""Dispute settings: read from `settings.SOUK[...]`, else `SOUK_<KEY>` in the environment, else these
defaults (souk.core.conf). docs/disputes.md explains each deadline.

| key | default | meaning |
| --- | --- | --- |
| DISPUTE_NOT_RECEIVED_AFTER_DAYS | 10 | "not received" opens this long after shipping at the earliest (or the promised delivery time, if longer) |
| DISPUTE_ITEM_WINDOW_DAYS | 15 | item problems (not as described, damaged, ...) may be raised until this long after receipt |
| DISPUTE_SELLER_RESPOND_DAYS | 5 | the seller's time to answer a new dispute; silence accepts the buyer's request |
| DISPUTE_NEGOTIATE_DAYS | 7 | offers go back and forth until this long after opening; then the dispute goes to Souk |
| DISPUTE_ESCALATE_AFTER_DAYS | 3 | the buyer may escalate to Souk this long after opening |
| DISPUTE_EVIDENCE_DAYS | 3 | a party asked by staff for more evidence has this long |
| DISPUTE_RETURN_SHIP_DAYS | 10 | after agreeing a return the buyer has this long to enter tracking, else the dispute closes for the seller |
| DISPUTE_RETURN_TRANSIT_DAYS | 15 | a return parcel counts as arrived this long after its tracking was entered (unless marked delivered earlier) |
| DISPUTE_RETURN_RECEIVE_DAYS | 8 | after the return arrives the seller has this long to confirm receipt, else the refund is made |
| DISPUTE_REMIND_HOURS | 24 | the party who owes an action is reminded this long before the deadline |
| DISPUTE_SWEEP_SECONDS | 30 | how often `souk worker` runs the dispute sweeps |
| DISPUTE_TIMER_BATCH | 100 | due disputes one sweep call finishes |
| DISPUTE_EVIDENCE_MAX_BYTES | 2097152 | the largest photo accepted (2 MiB: under the API's 2.5 MiB request limit, DATA_UPLOAD_MAX_MEMORY_SIZE) |
| DISPUTE_EVIDENCE_MAX_FILES | 20 | photos one dispute may hold |
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from souk.core.conf import app_setting

DEFAULTS: dict[str, Any] = {
    "DISPUTE_NOT_RECEIVED_AFTER_DAYS": 10,
    "DISPUTE_ITEM_WINDOW_DAYS": 15,
    "DISPUTE_SELLER_RESPOND_DAYS": 5,
    "DISPUTE_NEGOTIATE_DAYS": 7,
    "DISPUTE_ESCALATE_AFTER_DAYS": 3,
    "DISPUTE_EVIDENCE_DAYS": 3,
    "DISPUTE_RETURN_SHIP_DAYS": 10,
    "DISPUTE_RETURN_TRANSIT_DAYS": 15,
    "DISPUTE_RETURN_RECEIVE_DAYS": 8,
    "DISPUTE_REMIND_HOURS": 24,
    "DISPUTE_SWEEP_SECONDS": 30,
    "DISPUTE_TIMER_BATCH": 100,
    "DISPUTE_EVIDENCE_MAX_BYTES": 2 * 1024 * 1024,
    "DISPUTE_EVIDENCE_MAX_FILES": 20,
}


def setting(name: str) -> Any:
    return app_setting(name, DEFAULTS)


def days(name: str) -> timedelta:
    return timedelta(days=float(setting(name)))
