"""Personal access tokens: `souk_<prefix>_<secret>`, stored as SHA-256 only."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from souk.accounts.models import PersonalAccessToken, User

TOKEN_PREFIX = "souk_"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_create(*, user: User, name: str) -> tuple[PersonalAccessToken, str]:
    """Creates a token and returns it with its secret, which is never shown again."""
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = PersonalAccessToken.objects.create(user=user, name=name.strip()[:80] or "API token", prefix=prefix,
                                               token_hash=hash_token(raw))
    return token, raw


def user_for_token(raw: str) -> User | None:
    """The active user behind a token, or None. One indexed query."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    row = (PersonalAccessToken.objects.select_related("user")
           .filter(token_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
           .only("id", "last_used_at", "user").first())
    if row is None:
        return None
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 300:
        # Touch at most every five minutes: no write on every request.
        PersonalAccessToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
