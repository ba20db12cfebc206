"""The error codes of payments and refunds; shared ones are in souk/core/error_codes.py. A
payment's `decline_code` is the processor's vocabulary, not one of these. Listed in docs/api.md
("Error codes") by `souk apidoc`."""

from __future__ import annotations

from souk.core.error_codes import ErrorCodeEnum


class ErrorCode(ErrorCodeEnum):
    PAYMENT_DECLINED = "payment_declined", 402, "The processor declined the payment; the message says why."
    GATEWAY_UNAVAILABLE = ("gateway_unavailable", 503,
                           "The payment processor did not answer; retry with the same key.")
    INVALID_METHOD = "invalid_method", 422, "Not a payment method: card, e-wallet or Souk balance."
    ORDER_NOT_AWAITING_PAYMENT = "order_not_awaiting_payment", 409, "The order is not waiting for payment."
    PAYMENT_WINDOW_CLOSED = "payment_window_closed", 409, "The time to pay the order has ended."
    PAYMENT_IN_PROGRESS = ("payment_in_progress", 409,
                           "The order's previous payment is still being checked with the processor; pay with "
                           "the same card, or try another shortly.")
    PAYMENT_NOT_IN_REVIEW = ("payment_not_in_review", 409,
                             "The order's payment is not waiting for verification.")
    # Refunds.
    ORDER_NOT_PAID = "order_not_paid", 409, "The order has not been paid: there is nothing to refund."
    AMOUNT_OR_LINES = "amount_or_lines", 422, "Give either an amount or the lines to refund."
    CURRENCY_MISMATCH = "currency_mismatch", 422, "A refund in another currency than the order's."
    REFUND_EXCEEDS_CAPTURED = "refund_exceeds_captured", 422, "More than is left to refund on the order."
    # Idempotency-Key (souk/payments/idempotency.py).
    IDEMPOTENCY_KEY_REQUIRED = "idempotency_key_required", 422, "This request needs an Idempotency-Key."
    IDEMPOTENCY_KEY_REUSED = ("idempotency_key_reused", 422,
                              "The Idempotency-Key was used with another request.")
    IDEMPOTENCY_REQUEST_IN_FLIGHT = ("idempotency_request_in_flight", 409,
                                     "A request with this Idempotency-Key is still being processed.")
