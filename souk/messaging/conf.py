"""Messaging settings: read from `settings.SOUK[...]`, else `SOUK_<KEY>` in the environment, else these defaults (souk.core.conf).

| key | default | meaning |
| --- | --- | --- |
| MESSAGE_RATE_LIMIT | 10 | messages one user may send per window, across conversations |
| MESSAGE_RATE_WINDOW_SECONDS | 60 | the rate limit's sliding window |
| MESSAGE_PAGE_SIZE | 100 | messages shown per conversation page (newest; older by `before`) |
"""

from __future__ import annotations

from typing import Any

from souk.core.conf import app_setting

DEFAULTS: dict[str, Any] = {
    "MESSAGE_RATE_LIMIT": 10,
    "MESSAGE_RATE_WINDOW_SECONDS": 60,
    "MESSAGE_PAGE_SIZE": 100,
}


def setting(name: str) -> Any:
    return app_setting(name, DEFAULTS)
