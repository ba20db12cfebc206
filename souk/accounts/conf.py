"""Accounts settings: read from `settings.SOUK[...]`, else `SOUK_<KEY>` in the environment, else these defaults (souk.core.conf).

The limits of the front door (docs/api.md, Limits); their counters live in Django's cache
(docs/operations.md, The cache). A limit, window or interval of 0 turns that limit off.

| key | default | meaning |
| --- | --- | --- |
| LOGIN_FAILURES_PER_ACCOUNT | 10 | failed logins one account may have in the window; the next attempt locks it out |
| LOGIN_FAILURES_PER_CLIENT | 50 | failed logins one client address may have in the window (any accounts); the next locks it out |
| LOGIN_FAILURE_WINDOW_SECONDS | 900 | the window failed logins are counted in (a login that succeeds clears the account's) |
| LOGIN_LOCKOUT_SECONDS | 900 | a locked-out account or address is refused (429) for at least this long, even with the right password |
| PASSWORD_RESET_EMAIL_INTERVAL_SECONDS | 300 | at most one reset email per email address in this interval |
| PASSWORD_RESET_EMAILS_PER_DAY | 5 | at most this many reset emails per email address a day |
| PASSWORD_RESETS_PER_CLIENT | 20 | reset requests one client address may make in the window (then 429) |
| PASSWORD_RESET_WINDOW_SECONDS | 3600 | that window |
| REGISTRATIONS_PER_CLIENT | 5 | accounts one client address may open in the window (then 429) |
| REGISTRATION_WINDOW_SECONDS | 3600 | that window |
| API_TOKENS_PER_USER | 20 | live (unrevoked) API tokens one user may hold (then 409 `too_many_tokens`) |
| TRUSTED_PROXIES | 0 | reverse proxies in front of the web processes: 0 reads the client address from the connection, n > 0 the n-th address from the right of `X-Forwarded-For` |
"""

from __future__ import annotations

from typing import Any

from souk.core.conf import app_setting

DEFAULTS: dict[str, Any] = {
    "LOGIN_FAILURES_PER_ACCOUNT": 10,
    "LOGIN_FAILURES_PER_CLIENT": 50,
    "LOGIN_FAILURE_WINDOW_SECONDS": 900,
    "LOGIN_LOCKOUT_SECONDS": 900,
    "PASSWORD_RESET_EMAIL_INTERVAL_SECONDS": 300,
    "PASSWORD_RESET_EMAILS_PER_DAY": 5,
    "PASSWORD_RESETS_PER_CLIENT": 20,
    "PASSWORD_RESET_WINDOW_SECONDS": 3600,
    "REGISTRATIONS_PER_CLIENT": 5,
    "REGISTRATION_WINDOW_SECONDS": 3600,
    "API_TOKENS_PER_USER": 20,
    "TRUSTED_PROXIES": 0,
}


def setting(name: str) -> Any:
    return app_setting(name, DEFAULTS)
