"""Compliance settings: read from `settings.SOUK[...]`, else the environment (`SOUK_<KEY>`), else these defaults.

| key | default | meaning |
| --- | --- | --- |
| ADDRESS_FIX_HOURS | 48 | how long a buyer has to fix an address a seller or carrier flagged |
| PROTECTION_EXTENSION_MAX_DAYS | 30 | the most days one protection extension may add |
| LOW_STOCK_THRESHOLD | 5 | a product with fewer units than this is "low stock" for its seller |
| COMPLIANCE_TIMER_BATCH | 200 | due rows one sweep call finishes (one transaction) |
| COMPLIANCE_SWEEP_SECONDS | 10 | how often `souk worker` runs the address-fix sweep |
| LOW_STOCK_SWEEP_SECONDS | 60 | how often `souk worker` looks for products that dropped below the threshold |
"""

from __future__ import annotations

from typing import Any

from souk.core.conf import app_setting

DEFAULTS: dict[str, Any] = {
    "ADDRESS_FIX_HOURS": 48,
    "PROTECTION_EXTENSION_MAX_DAYS": 30,
    "LOW_STOCK_THRESHOLD": 5,
    "COMPLIANCE_TIMER_BATCH": 200,
    "COMPLIANCE_SWEEP_SECONDS": 10,
    "LOW_STOCK_SWEEP_SECONDS": 60,
}


def setting(name: str) -> Any:
    return app_setting(name, DEFAULTS)
