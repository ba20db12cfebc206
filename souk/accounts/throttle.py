"""How often something may be tried, counted in Django's cache so that every web process shares the count:
Redis when REDIS_URL is set, else the database cache (docs/operations.md, The cache). The limits themselves
are settings (souk/accounts/conf.py) listed in docs/api.md, Limits.

A `Rule` allows `limit` attempts per `window` seconds for each key (an account, a client address, an email
address). Each attempt takes one of the key's `limit` numbered slots with `cache.add`, which only one caller
can win on either backend (Redis `SET NX`; the database cache's primary key), and the slot expires `window`
seconds later, so the slots held are the attempts of the last `window` seconds. The attempt is taken
*before* the work it guards, so a burst of parallel requests cannot get past the count; work that turns out
not to count gives its slot back.

When every slot is held, the key is refused until its oldest slot expires; a rule with a lockout also locks
the key for at least `lockout` seconds from that refusal, however old its attempts are. The refusal is
`TooManyAttempts`: HTTP 429, code `too_many_attempts`, `retry_after` the seconds to wait (Retry-After).

These calls write to the cache at once: on the database cache they must run outside any transaction that
could roll back (a failed login's count would roll back with it), so the services call them first.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest

from souk.accounts.conf import setting
from souk.accounts.error_codes import ErrorCode
from souk.core.errors import DomainError


class TooManyAttempts(DomainError):
    """Refused for now: too many attempts; `retry_after` is the seconds to wait."""

    status = 429
    code = ErrorCode.TOO_MANY_ATTEMPTS

    def __init__(self, message: str, *, retry_after: int, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Rule:
    """`limit` attempts per `window` seconds per key; past that, refused until the oldest attempt is `window`
    old, and for at least `lockout` seconds. Each is the name of a setting; a limit or window of 0 turns the
    rule off."""

    name: str
    limit: str | int
    window: str | int
    lockout: str | None = None
    refused: str = "Too many attempts."

    def _names(self, key: str) -> tuple[str, list[str]]:
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]  # no email addresses in the cache's keys
        base = f"throttle:{self.name}:{digest}"
        return f"{base}:lock", [f"{base}:{i}" for i in range(_value(self.limit))]


@dataclass(frozen=True)
class Slot:
    """One attempt counted against `rule` for `key`; `give_back` uncounts it."""

    rule: Rule
    key: str
    name: str


def take(rule: Rule, key: str) -> Slot | None:
    """Counts one attempt for `key`, or raises TooManyAttempts. None when the rule is turned off."""
    window = _value(rule.window)
    lock, names = rule._names(key)
    if window <= 0 or not names:
        return None
    now = time.time()
    held = cache.get_many([lock, *names])
    locked_until = held.pop(lock, None)
    if locked_until is not None and locked_until > now:
        raise _refusal(rule, locked_until - now)
    for name in names:
        if name in held:
            continue
        # On the database cache, an expired row not yet deleted is overwritten rather than inserted, which
        # two callers can both do at the same instant: at worst one attempt more per racing caller.
        if cache.add(name, now + window, timeout=window):
            return Slot(rule, key, name)
        held[name] = now + window  # another process took it first
    # Every slot is held. Nothing is deleted here: freeing a slot a parallel attempt could then take is how
    # a burst of guesses would get past the count.
    wait = min(held.values()) - now  # until the oldest attempt leaves the window
    if rule.lockout is not None:
        wait = max(wait, int(setting(rule.lockout)))
        cache.set(lock, now + wait, timeout=math.ceil(wait))
    raise _refusal(rule, wait)


def give_back(slot: Slot | None) -> None:
    """The attempt did not count after all (it succeeded, or it was refused for another reason)."""
    if slot is not None:
        cache.delete(slot.name)


def reset(rule: Rule, key: str) -> None:
    """Forgets every attempt counted for `key` (a lockout in force stays)."""
    cache.delete_many(rule._names(key)[1])


def _value(name_or_number: str | int) -> int:
    return int(setting(name_or_number)) if isinstance(name_or_number, str) else name_or_number


def _refusal(rule: Rule, seconds: float) -> TooManyAttempts:
    wait = max(1, math.ceil(seconds))
    return TooManyAttempts(f"{rule.refused} Try again in {wait_text(wait)}.", retry_after=wait)


def wait_text(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    if minutes <= 90:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = math.ceil(minutes / 60)
    return f"{hours} hours"


def client_address(request: HttpRequest) -> str:
    """Who is asking, as the per-client limits count it: the connection's address or, behind
    TRUSTED_PROXIES reverse proxies, the address the outermost of them saw (the n-th from the right of
    X-Forwarded-For; whatever the client wrote further left is ignored). An IPv6 client is its /64,
    the block one subscriber usually holds."""
    address = request.META.get("REMOTE_ADDR", "")
    proxies = int(setting("TRUSTED_PROXIES"))
    if proxies > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


# --- the rules (settings and defaults: souk/accounts/conf.py) -------------------------------------------

_LOGIN_REFUSED = "Too many failed attempts to log in."
LOGIN_PER_ACCOUNT = Rule("login-account", "LOGIN_FAILURES_PER_ACCOUNT", "LOGIN_FAILURE_WINDOW_SECONDS",
                         "LOGIN_LOCKOUT_SECONDS", refused=_LOGIN_REFUSED)
LOGIN_PER_CLIENT = Rule("login-client", "LOGIN_FAILURES_PER_CLIENT", "LOGIN_FAILURE_WINDOW_SECONDS",
                        "LOGIN_LOCKOUT_SECONDS", refused=_LOGIN_REFUSED)

_RESETS_REFUSED = "Too many password reset requests from your network."
PASSWORD_RESETS_PER_CLIENT = Rule("reset-client", "PASSWORD_RESETS_PER_CLIENT", "PASSWORD_RESET_WINDOW_SECONDS",
                                  refused=_RESETS_REFUSED)
# Per email address these refuse nothing: over them, no mail leaves, and the answer does not change.
RESET_EMAIL_SPACING = Rule("reset-email-interval", 1, "PASSWORD_RESET_EMAIL_INTERVAL_SECONDS")
RESET_EMAILS_PER_DAY = Rule("reset-email-day", "PASSWORD_RESET_EMAILS_PER_DAY", 24 * 3600)

REGISTRATIONS_PER_CLIENT = Rule("register-client", "REGISTRATIONS_PER_CLIENT", "REGISTRATION_WINDOW_SECONDS",
                                refused="Too many accounts were opened from your network.")
