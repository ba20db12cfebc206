"""Notifications settings: read from `settings.SOUK[...]`, else `SOUK_<KEY>` in the environment, else these defaults (souk.core.conf).

| key | default | meaning |
| --- | --- | --- |
| NOTIFY_MAX_ATTEMPTS | 8 | email / webhook attempts before a row is marked `failed` (visible in admin) |
| NOTIFY_RETRY_BASE_SECONDS | 30 | first retry delay; doubles each attempt (exponential backoff) |
| NOTIFY_RETRY_MAX_SECONDS | 3600 | cap on the retry delay |
| NOTIFY_LEASE_SECONDS | 60 | a claimed row is due again after this long if its worker died |
| NOTIFY_BATCH | 50 | rows claimed per worker batch |
| WEBHOOK_TIMEOUT_SECONDS | 5 | HTTP timeout of one webhook POST |
"""

from __future__ import annotations

from typing import Any

from souk.core.conf import app_setting

DEFAULTS: dict[str, Any] = {
    "NOTIFY_MAX_ATTEMPTS": 8,
    "NOTIFY_RETRY_BASE_SECONDS": 30,
    "NOTIFY_RETRY_MAX_SECONDS": 3600,
    "NOTIFY_LEASE_SECONDS": 60,
    "NOTIFY_BATCH": 50,
    "WEBHOOK_TIMEOUT_SECONDS": 5,
}


def setting(name: str) -> Any:
    return app_setting(name, DEFAULTS)
