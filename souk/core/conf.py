"""Marketplace rules as settings: one lookup order for every app.

`settings.SOUK[KEY]` wins; else the environment variable `SOUK_<KEY>` (parsed
after the default's type: bool, number, JSON for lists and dicts); else the
app's default. Each app keeps its defaults, with a table of what they mean, in
its own `conf.py`, and reads them with `setting(name)`.
"""

from __future__ import annotations

import json
import os
from typing import Any

from django.conf import settings


def app_setting(name: str, defaults: dict[str, Any]) -> Any:
    configured = getattr(settings, "SOUK", {})
    if name in configured:
        return configured[name]
    default = defaults[name]
    raw = os.environ.get(f"SOUK_{name}")
    if raw is None:
        return default
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, (int, float)):
        return float(raw) if "." in raw else int(raw)
    return json.loads(raw) if isinstance(default, (dict, list)) else raw
