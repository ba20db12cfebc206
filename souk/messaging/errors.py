"""Messaging's own error: too many messages too fast (HTTP 429)."""

from __future__ import annotations

from souk.core.errors import DomainError
from souk.messaging.error_codes import ErrorCode


class RateLimited(DomainError):
    status = 429
    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str, *, retry_after: int, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
