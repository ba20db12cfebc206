"""Messaging settings: read from `settings.SOUK[...]`, with these defaults.

| key | default | meaning |
| --- | --- | --- |
| MESSAGE_RATE_LIMIT | 10 | messages one user may send per window, across conversations |
| MESSAGE_RATE_WINDOW_SECONDS | 60 | the rate limit's sliding window |
| MESSAGE_PAGE_SIZE | 100 | messages shown per conversation page (newest; older by `before`) |
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "MESSAGE_RATE_LIMIT": 10,
    "MESSAGE_RATE_WINDOW_SECONDS": 60,
    "MESSAGE_PAGE_SIZE": 100,
}


def setting(name: str) -> Any:
    return getattr(settings, "SOUK", {}).get(name, DEFAULTS[name])
