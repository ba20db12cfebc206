"""The error codes of notifications and webhooks; shared ones are in souk/core/error_codes.py.
Listed in docs/api.md ("Error codes") by `souk apidoc`."""

from __future__ import annotations

from souk.core.error_codes import ErrorCodeEnum


class ErrorCode(ErrorCodeEnum):
    NOTIFICATION_NOT_FOUND = "notification_not_found", 404, "No such notification, or not yours."
    WEBHOOK_NOT_FOUND = "webhook_not_found", 404, "No such webhook endpoint, or not yours."
    INVALID_URL = "invalid_url", 422, "Only http:// and https:// URLs with a host can receive webhooks."
    INVALID_STATE = "invalid_state", 422, "Not a webhook delivery state."
