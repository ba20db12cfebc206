"""The error codes of messaging; shared ones are in souk/core/error_codes.py. Listed in
docs/api.md ("Error codes") by `souk apidoc`."""

from __future__ import annotations

from souk.core.error_codes import ErrorCodeEnum


class ErrorCode(ErrorCodeEnum):
    CONVERSATION_NOT_FOUND = "conversation_not_found", 404, "No such conversation, or not yours."
    MESSAGE_EMPTY = "message_empty", 422, "A message with no text."
    MESSAGE_TOO_LONG = "message_too_long", 422, "A message longer than allowed."
    OWN_STORE = "own_store", 422, "You cannot message your own store."
    RATE_LIMITED = "rate_limited", 429, "Too many messages too fast; wait `retry_after` seconds."
