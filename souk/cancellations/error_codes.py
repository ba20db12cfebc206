"""The error codes of cancellations; shared ones are in souk/core/error_codes.py. The policy's
refusals (souk/cancellations/policy.py) come back as 409 with `why_not` and `next_step`.
Listed in docs/api.md ("Error codes") by `souk apidoc`."""

from __future__ import annotations

from souk.core.error_codes import ErrorCodeEnum


class ErrorCode(ErrorCodeEnum):
    ORDER_NOT_CANCELLABLE = "order_not_cancellable", 409, "The cancellation policy refuses this cancellation."
    ORDER_ALREADY_CANCELLED = "order_already_cancelled", 409, "The order is already cancelled."
    ORDER_COMPLETED = "order_completed", 409, "The order is completed; it can no longer be cancelled."
    ORDER_ALREADY_SHIPPED = ("order_already_shipped", 409,
                             "The order has shipped; it can no longer be cancelled.")
    CANCELLATION_ALREADY_REQUESTED = ("cancellation_already_requested", 409,
                                      "You already asked to cancel; the seller has not answered yet.")
    NO_PENDING_CANCELLATION_REQUEST = ("no_pending_cancellation_request", 409,
                                       "The order has no open cancellation request to answer or withdraw.")
    INVALID_ACTOR = "invalid_actor", 422, "actor is buyer, seller or staff."
    LINES_NOT_ALLOWED = "lines_not_allowed", 422, "An unpaid order is cancelled as a whole, not by lines."
    UNKNOWN_REASON = "unknown_reason", 422, "Not one of the reasons offered to you here."
    NOTE_TOO_LONG = "note_too_long", 422, "The note is longer than allowed."
