"""Who is calling the API: a personal access token or the browser session; staff routes on top.

`AUTH` is every route's default (souk/api.py). `STAFF_AUTH` is for every route under /api/staff/:
a signed-in user who is not staff gets 403 `staff_only` (docs/api.md, Conventions), decided here,
before Ninja reads the path, query or body, so the answer never depends on what was sent
(an empty body is 403, not 422; an unknown id is 403, not 404).
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth

from souk.accounts.tokens import user_for_token
from souk.core.errors import Forbidden


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


def _staff_only(user):
    if user and not user.is_staff:
        raise Forbidden("Only Souk staff can do this.", code="staff_only")
    return user


class StaffTokenAuth(TokenAuth):
    """A token of a staff user; any other valid token is 403."""

    def authenticate(self, request: HttpRequest, token: str):
        return _staff_only(super().authenticate(request, token))


class StaffSessionAuth(SessionAuth):
    """The session of a staff user (CSRF-checked like every session call); any other login is 403."""

    def authenticate(self, request: HttpRequest, key: str | None):
        return _staff_only(super().authenticate(request, key))


AUTH = [TokenAuth(), SessionAuth()]
STAFF_AUTH = [StaffTokenAuth(), StaffSessionAuth()]
