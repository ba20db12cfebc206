"""The error codes of disputes; shared ones are in souk/core/error_codes.py. The policy's refusals
(souk/disputes/policy.py) come back as 409 with `why_not` and `next_step`. Listed in docs/api.md
("Error codes") by `souk apidoc`."""

from __future__ import annotations

from souk.core.error_codes import ErrorCodeEnum


class ErrorCode(ErrorCodeEnum):
    DISPUTE_NOT_FOUND = "dispute_not_found", 404, "No such dispute, or not yours."
    DISPUTE_NOT_ALLOWED = "dispute_not_allowed", 409, "The dispute policy refuses this action now."
    DISPUTE_ALREADY_OPEN = "dispute_already_open", 409, "The order already has an open dispute."
    ORDER_CANCELLED = "order_cancelled", 409, "The order was cancelled; there is nothing to dispute."
    ORDER_NOT_SHIPPED = "order_not_shipped", 409, "The order has not shipped; cancel it instead."
    ESCROW_ALREADY_RELEASED = (
        "escrow_already_released",
        409,
        "The payment was already released to the seller; it can no longer be disputed.",
    )
    ORDER_RECEIVED = (
        "order_received",
        409,
        "Receipt was confirmed; the order cannot be reported as not received.",
    )
    TOO_EARLY_FOR_NOT_RECEIVED = (
        "too_early_for_not_received",
        409,
        "The parcel may still be on its way; not received can be reported later.",
    )
    BUYER_PROTECTION_ENDED = "buyer_protection_ended", 409, "Buyer protection for the order has ended."
    DISPUTE_WINDOW_CLOSED = (
        "dispute_window_closed",
        409,
        "Too long after receipt to raise a problem with the item.",
    )
    DISPUTE_CLOSED = "dispute_closed", 409, "The dispute is closed."
    NOT_YOUR_DISPUTE = "not_your_dispute", 409, "That action is not one this party takes."
    NOT_ALLOWED_FOR_STAFF = (
        "not_allowed_for_staff",
        409,
        "Staff decide escalated disputes; they do not negotiate.",
    )
    DISPUTE_NOT_ESCALATED = "dispute_not_escalated", 409, "Souk decides only disputes escalated to it."
    STAFF_DECIDE_ONLY = "staff_decide_only", 409, "Only Souk staff decide disputes."
    BUYER_ONLY = "buyer_only", 409, "Only the buyer may do that."
    SELLER_ONLY = "seller_only", 409, "Only the seller may do that."
    RETURN_IN_TRANSIT = "return_in_transit", 409, "The return is on its way; wait for the seller's receipt."
    SELLER_CANNOT_ESCALATE = (
        "seller_cannot_escalate",
        409,
        "The seller escalates only a return that arrived wrong.",
    )
    DISPUTE_ALREADY_ESCALATED = "dispute_already_escalated", 409, "Souk is already reviewing the dispute."
    CANNOT_ESCALATE_NOW = "cannot_escalate_now", 409, "An agreed return cannot be escalated."
    TOO_EARLY_TO_ESCALATE = "too_early_to_escalate", 409, "Escalation opens a few days after the dispute."
    NO_RETURN_EXPECTED = "no_return_expected", 409, "No return is expected now."
    NO_RETURN_IN_TRANSIT = "no_return_in_transit", 409, "No return parcel is on its way."
    NEGOTIATION_OVER = "negotiation_over", 409, "Offers are over for this dispute."
    WAITING_FOR_THE_BUYER = "waiting_for_the_buyer", 409, "The seller already answered; the buyer's turn."
    OWN_OFFER = "own_offer", 409, "A party cannot accept its own offer."
    NOTHING_TO_ACCEPT = (
        "nothing_to_accept",
        409,
        "The seller rejected the request; there is no offer to accept.",
    )
    UNKNOWN_DISPUTE_REASON = "unknown_dispute_reason", 422, "Not one of the dispute reasons."
    AMOUNT_TOO_HIGH = "amount_too_high", 422, "More than the order still holds."
    EVIDENCE_TOO_LARGE = "evidence_too_large", 422, "The photo is larger than allowed."
    EVIDENCE_NOT_AN_IMAGE = "evidence_not_an_image", 422, "Only JPEG, PNG, GIF or WebP photos are accepted."
    TOO_MUCH_EVIDENCE = "too_much_evidence", 422, "The dispute holds as many photos as allowed."
