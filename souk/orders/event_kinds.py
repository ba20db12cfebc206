"""Every kind of entry an order's timeline holds (`OrderEvent.kind`), with its label for people.

An API contract (docs/api.md, "Order timeline event kinds"): the order API returns `kind` and
`kind_label`, webhooks and clients switch on `kind`. `souk.orders.events.record` refuses a kind
not listed here; tests/orders/test_event_kinds.py checks, from the source, that every kind any
module writes (including the bulk writers and checkout's one-statement insert) is listed, and that
nothing listed is never written. A status change records the action's name (`transition()`), so
each `Action` of the status table is a kind.
"""

from __future__ import annotations

from django.db import models

from souk.orders.status import Action


class EventKind(models.TextChoices):
    ORDER_PLACED = "order_placed", "Order placed"
    # Status changes: the action that made them (souk/orders/status.py).
    PAY = Action.PAY.value, "Payment received"
    HOLD_FOR_VERIFICATION = Action.HOLD_FOR_VERIFICATION.value, "Payment received, being verified"
    VERIFY = Action.VERIFY.value, "Payment verified"
    REQUEST_CANCELLATION = Action.REQUEST_CANCELLATION.value, "Cancellation requested"
    RESUME = Action.RESUME.value, "Cancellation request closed"
    SHIP = Action.SHIP.value, "Shipped"
    CONFIRM_RECEIPT = Action.CONFIRM_RECEIPT.value, "Receipt confirmed"
    CANCEL = Action.CANCEL.value, "Cancelled"
    # Money.
    PAYMENT_FAILED = "payment_failed", "Payment failed"
    REFUND_CREATED = "refund_created", "Refund started"
    REFUND_SUCCEEDED = "refund_succeeded", "Refund succeeded"
    REFUND_FAILED = "refund_failed", "Refund failed"
    REFUND_CANCELED = "refund_canceled", "Refund canceled"
    ESCROW_RELEASED = "escrow_released", "Payment released to the seller"
    # Compliance.
    ADDRESS_PROBLEM_REPORTED = "address_problem_reported", "Address problem reported"
    ADDRESS_FIXED = "address_fixed", "Address fixed"
    ADDRESS_PROBLEM_CLOSED = "address_problem_closed", "Address problem closed"
    PROTECTION_EXTENDED = "protection_extended", "Buyer protection extended"
    # Disputes (souk/disputes; docs/disputes.md). dispute_closed carries {outcome, against_seller}.
    DISPUTE_OPENED = "dispute_opened", "Dispute opened"
    DISPUTE_OFFER = "dispute_offer", "Dispute: an answer or offer"
    DISPUTE_ESCALATED = "dispute_escalated", "Dispute escalated to Souk"
    DISPUTE_EVIDENCE = "dispute_evidence", "Dispute: evidence"
    DISPUTE_RETURN = "dispute_return", "Dispute: return parcel"
    DISPUTE_CLOSED = "dispute_closed", "Dispute closed"
