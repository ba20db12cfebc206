"""Cancellation settings: read from `settings.SOUK[...]`, else `SOUK_<KEY>` in the environment, else these defaults (souk.core.conf).

| key | default | meaning |
| --- | --- | --- |
| CANCELLATION_RESPOND_HOURS | 48 | how long a seller has to answer a buyer's cancellation request |
| CANCELLATION_TIMER_BATCH | 500 | due deadlines one sweep call finishes (one transaction) |
| CANCELLATION_SWEEP_SECONDS | 10 | how often `souk worker` runs the deadline sweeps |
| CANCELLATION_PAUSE_SHIP_BY | True | time spent awaiting the seller's answer is added back to `ship_by` |
"""

from __future__ import annotations

from typing import Any

from souk.core.conf import app_setting

DEFAULTS: dict[str, Any] = {
    "CANCELLATION_RESPOND_HOURS": 48,
    "CANCELLATION_TIMER_BATCH": 500,
    "CANCELLATION_SWEEP_SECONDS": 10,
    "CANCELLATION_PAUSE_SHIP_BY": True,
}


def setting(name: str) -> Any:
    return app_setting(name, DEFAULTS)
