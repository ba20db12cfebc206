"""Who may cancel what, when, and what happens: one pure function, no ORM.

`decide_cancellation` is the single source of the rules; the API and the pages
show its `why_not` and `next_step` texts verbatim, so they can never disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from souk.cancellations.reasons import Actor, Reason, get_reason, reasons_for
from souk.core.errors import ValidationFailed
from souk.orders.status import Status
from souk.payments.policy import lines_refund_minor

NOTE_MAX_LENGTH = 500


class Outcome(StrEnum):
    CANCEL_NOW = "cancel_now"          # the order closes at once
    REQUEST_SELLER = "request_seller"  # a request the seller answers before respond_by
    NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True)
class OrderSnapshot:
    """What the policy needs to know about an order; built from a row or a dict."""

    status: Status
    total_minor: int
    held_minor: int = 0               # what escrow still holds for it (0 before capture), per the ledger
    respond_by: dt.datetime | None = None
    subtotal_minor: int = 0
    shipping_minor: int = 0
    goods_before_minor: int = 0       # goods of the lines cancelled earlier
    goods_minor: int | None = None    # goods of the lines to cancel now; None: everything left

    def refund_minor(self) -> int:
        """What cancelling pays back: everything held for the whole order; for some lines, their goods
        and share of shipping by the one proration rule (never more than is held)."""
        if self.goods_minor is None:
            return self.held_minor
        share = lines_refund_minor(before_minor=self.goods_before_minor, goods_minor=self.goods_minor,
                                   subtotal_minor=self.subtotal_minor, shipping_minor=self.shipping_minor)
        return min(share, self.held_minor)


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    refund_minor: int = 0
    code: str = ""        # stable error code when not allowed
    why_not: str = ""     # for a person: why not
    next_step: str = ""   # for a person: what to do instead
    next_action: str = ""  # for a client: the action to offer instead ("open_dispute": docs/disputes.md)

    @property
    def allowed(self) -> bool:
        return self.outcome is not Outcome.NOT_ALLOWED

    def as_dict(self) -> dict:
        return {"allowed": self.allowed, "outcome": self.outcome.value, "refund_minor": self.refund_minor,
                "code": self.code, "why_not": self.why_not, "next_step": self.next_step,
                "next_action": self.next_action}


def _no(code: str, why_not: str, next_step: str, next_action: str = "") -> Decision:
    return Decision(Outcome.NOT_ALLOWED, code=code, why_not=why_not, next_step=next_step, next_action=next_action)


def _when(moment: dt.datetime | None) -> str:
    return f" (by {moment:%d %b %Y, %H:%M} UTC)" if moment else ""


def decide_cancellation(order: OrderSnapshot, actor: Actor | str, now: dt.datetime) -> Decision:
    """Whether `actor` may cancel `order` at `now`, and what it leads to."""
    actor = Actor(actor)
    status = Status(order.status)

    if status is Status.CANCELLED:
        return _no("order_already_cancelled", "This order is already cancelled.",
                   "Nothing to do: any refund is shown on the order page.")
    if status is Status.COMPLETED:
        return _no("order_completed", "This order is completed, so it can no longer be cancelled.",
                   'If something is wrong with the item, press "Open a dispute" on the order page '
                   "(possible while the payment has not been released to the seller).", "open_dispute")
    if status is Status.AWAITING_DELIVERY:
        if actor is Actor.BUYER:
            return _no("order_already_shipped",
                       "The seller has already shipped this order, so it can no longer be cancelled.",
                       'Wait for the parcel and confirm receipt. If it does not arrive or is not as described, '
                       'press "Open a dispute" on the order page.', "open_dispute")
        return _no("order_already_shipped", "The order has shipped; it can no longer be cancelled.",
                   "Wait for delivery; the buyer can open a dispute after delivery.")

    if status in (Status.AWAITING_PAYMENT, Status.PAYMENT_VERIFICATION):
        # Closes at once: any authorisation is voided; money captured for a payment still under
        # verification (held in escrow) goes back in full.
        return Decision(Outcome.CANCEL_NOW, refund_minor=order.held_minor)

    # Paid and not shipped.
    if actor is Actor.BUYER:
        if status is Status.AWAITING_CANCELLATION:
            return _no("cancellation_already_requested",
                       "You have already asked to cancel this order; the seller must answer"
                       f"{_when(order.respond_by)}.",
                       "Wait for the seller's answer, or withdraw your request if you changed your mind. "
                       "If the seller does not answer in time, the cancellation is approved automatically.")
        return Decision(Outcome.REQUEST_SELLER, refund_minor=order.refund_minor())
    # Seller, staff and the system cancel a paid, unshipped order at once (an approved request: the
    # requested lines), refunding what the proration rule gives.
    return Decision(Outcome.CANCEL_NOW, refund_minor=order.refund_minor())


def check_reason(actor: Actor | str, code: str, note: str = "") -> Reason:
    """The reason `actor` chose, or ValidationFailed naming `reason` or `note`."""
    actor = Actor(actor)
    reason = get_reason(code)
    if reason is None or actor not in reason.chosen_by:
        allowed = ", ".join(r.code for r in reasons_for(actor))
        raise ValidationFailed(f"'{code}' is not a cancellation reason you can choose. Choose one of: {allowed}.",
                               code="unknown_reason", field="reason")
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationFailed(f"The note is too long: at most {NOTE_MAX_LENGTH} characters.",
                               code="note_too_long", field="note")
    if reason.note_required and not note.strip():
        raise ValidationFailed("Please tell us why in the note.", code="note_required", field="note")
    return reason
