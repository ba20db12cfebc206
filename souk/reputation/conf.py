"""Reputation settings: read from `settings.SOUK[...]`, else `SOUK_<KEY>` in the environment, else these defaults (souk.core.conf).

| key | default | meaning |
| --- | --- | --- |
| REVIEW_WINDOW_DAYS | 30 | days after an order completes during which its buyer may review it |
| RATINGS_WINDOW_MONTHS | 6 | positive feedback % and rating averages look back this many calendar months |
| ORDERS_WINDOW_DAYS | 90 | cancellation, on-time shipping and refund-time metrics look back this many days |
| STATS_SETTLE_SECONDS | 60 | the stats sweep leaves timeline events younger than this for its next run |
| STATS_BATCH | 2000 | timeline events one sweep call rolls up (one transaction) |
| STATS_SWEEP_SECONDS | 30 | how often `souk worker` runs the stats sweep |
| STATS_SHIP_LOOKBACK_DAYS | 70 | an order's ship-by is at most this many days after it was placed |
"""

from __future__ import annotations

from typing import Any

from souk.core.conf import app_setting

DEFAULTS: dict[str, Any] = {
    "REVIEW_WINDOW_DAYS": 30,
    "RATINGS_WINDOW_MONTHS": 6,
    "ORDERS_WINDOW_DAYS": 90,
    "STATS_SETTLE_SECONDS": 60,
    "STATS_BATCH": 2000,
    "STATS_SWEEP_SECONDS": 30,
    "STATS_SHIP_LOOKBACK_DAYS": 70,
}


def setting(name: str) -> Any:
    return app_setting(name, DEFAULTS)
