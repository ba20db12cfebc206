"""The order status table (docs/orders.md): every status, every allowed move, nothing else.

Pure data and pure functions: no ORM here. `souk.orders.services.transition`
applies a move to a locked row and writes the timeline event.
"""

from __future__ import annotations

from enum import StrEnum

from souk.core.errors import Conflict
from souk.orders.error_codes import ErrorCode


class Status(StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    PAYMENT_VERIFICATION = "payment_verification"
    AWAITING_SHIPMENT = "awaiting_shipment"
    AWAITING_CANCELLATION = "awaiting_cancellation"
    AWAITING_DELIVERY = "awaiting_delivery"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.AWAITING_PAYMENT: "Awaiting payment",
    Status.PAYMENT_VERIFICATION: "Payment being verified",
    Status.AWAITING_SHIPMENT: "Awaiting shipment",
    Status.AWAITING_CANCELLATION: "Awaiting cancellation",
    Status.AWAITING_DELIVERY: "Awaiting delivery",
    Status.COMPLETED: "Completed",
    Status.CANCELLED: "Cancelled",
}

TERMINAL = frozenset({Status.COMPLETED, Status.CANCELLED})
PAID = frozenset({Status.AWAITING_SHIPMENT, Status.AWAITING_CANCELLATION, Status.AWAITING_DELIVERY,
                  Status.COMPLETED})


class Action(StrEnum):
    PAY = "pay"                                    # payment captured, no risk review
    HOLD_FOR_VERIFICATION = "hold_for_verification"  # payment captured, risk review pending
    VERIFY = "verify"                              # risk review passed
    REQUEST_CANCELLATION = "request_cancellation"  # buyer asks; the seller must answer
    RESUME = "resume"                              # request withdrawn or rejected: back to shipment
    SHIP = "ship"                                  # carrier + tracking given
    CONFIRM_RECEIPT = "confirm_receipt"            # buyer confirms, or protection ends
    CANCEL = "cancel"                              # by buyer, seller, platform or a deadline


# (action, from) -> to. The whole lifecycle; a move not listed here is refused.
TRANSITIONS: dict[tuple[Action, Status], Status] = {
    (Action.PAY, Status.AWAITING_PAYMENT): Status.AWAITING_SHIPMENT,
    (Action.HOLD_FOR_VERIFICATION, Status.AWAITING_PAYMENT): Status.PAYMENT_VERIFICATION,
    (Action.VERIFY, Status.PAYMENT_VERIFICATION): Status.AWAITING_SHIPMENT,
    (Action.REQUEST_CANCELLATION, Status.AWAITING_SHIPMENT): Status.AWAITING_CANCELLATION,
    (Action.RESUME, Status.AWAITING_CANCELLATION): Status.AWAITING_SHIPMENT,
    (Action.SHIP, Status.AWAITING_SHIPMENT): Status.AWAITING_DELIVERY,
    # A seller rejecting a request because the parcel already left gives tracking.
    (Action.SHIP, Status.AWAITING_CANCELLATION): Status.AWAITING_DELIVERY,
    (Action.CONFIRM_RECEIPT, Status.AWAITING_DELIVERY): Status.COMPLETED,
    (Action.CANCEL, Status.AWAITING_PAYMENT): Status.CANCELLED,
    (Action.CANCEL, Status.PAYMENT_VERIFICATION): Status.CANCELLED,
    (Action.CANCEL, Status.AWAITING_SHIPMENT): Status.CANCELLED,
    (Action.CANCEL, Status.AWAITING_CANCELLATION): Status.CANCELLED,
}


class TransitionNotAllowed(Conflict):
    code = ErrorCode.TRANSITION_NOT_ALLOWED

    def __init__(self, action: Action, current: Status):
        self.action = Action(action)
        self.current = Status(current)
        super().__init__(f"Cannot {self.action.value.replace('_', ' ')} an order that is "
                         f"{self.current.label.lower()}.")


def next_status(action: Action | str, current: Status | str) -> Status:
    """The status `action` leads to from `current`, or TransitionNotAllowed."""
    try:
        return TRANSITIONS[(Action(action), Status(current))]
    except (KeyError, ValueError):
        raise TransitionNotAllowed(Action(action), Status(current)) from None


def allowed_actions(current: Status | str) -> list[Action]:
    current = Status(current)
    return [action for (action, source) in TRANSITIONS if source == current]
