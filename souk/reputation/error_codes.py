"""The error codes of reputation (reviews, replies); shared ones are in souk/core/error_codes.py.
Listed in docs/api.md ("Error codes") by `souk apidoc`."""

from __future__ import annotations

from souk.core.error_codes import ErrorCodeEnum


class ErrorCode(ErrorCodeEnum):
    ORDER_NOT_COMPLETED = "order_not_completed", 409, "An order is reviewed once it is completed."
    ALREADY_REVIEWED = "already_reviewed", 409, "You have already reviewed this order."
    REVIEW_WINDOW_CLOSED = "review_window_closed", 409, "The time to review this order is over."
    REVIEW_NOT_FOUND = "review_not_found", 404, "No such review, or not one you can answer."
    ALREADY_REPLIED = "already_replied", 409, "You have already replied to this review."
    INVALID_RATING = "invalid_rating", 422, "A rating that is not a whole number of stars."
    RATING_OUT_OF_RANGE = "rating_out_of_range", 422, "A rating outside 1 to 5 stars."
