"""Who may do what in a dispute, when, and why not: pure functions, no ORM (docs/disputes.md).

`may_open` says whether the buyer may open a dispute on an order; `decide` whether a party
(buyer, seller, staff) may take an action in a dispute's state. Services re-decide under the
order's row lock; the API and the pages show `why_not` and `next_step` verbatim.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from souk.disputes.models import State

SELLER_PAYS_RETURN = frozenset({"not_as_described", "damaged", "wrong_item", "missing_parts", "counterfeit"})
ITEM_REASONS = SELLER_PAYS_RETURN


class Party(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    STAFF = "staff"


class Act(StrEnum):
    ACCEPT = "accept"  # accept the other side's current offer
    COUNTER = "counter"  # propose another amount or kind
    REJECT = "reject"  # the seller refuses the buyer's request (reason + evidence)
    ESCALATE = "escalate"  # ask Souk to decide
    WITHDRAW = "withdraw"  # the buyer gives up the dispute
    ADD_EVIDENCE = "add_evidence"
    RETURN_TRACKING = "return_tracking"  # the buyer sent the item back
    RETURN_ARRIVED = "return_arrived"  # the return parcel was delivered to the seller
    CONFIRM_RETURN = "confirm_return"  # the seller received the return: the refund is made
    DECIDE = "decide"  # staff decide an escalated dispute
    REQUEST_EVIDENCE = "request_evidence"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    code: str = ""
    why_not: str = ""
    next_step: str = ""

    def as_dict(self) -> dict:
        return {
            "allowed": self.allowed,
            "code": self.code,
            "why_not": self.why_not,
            "next_step": self.next_step,
        }


YES = Verdict(True)


def _no(code: str, why_not: str, next_step: str = "") -> Verdict:
    return Verdict(False, code=code, why_not=why_not, next_step=next_step)


def _date(moment: dt.datetime) -> str:
    return f"{moment:%d %b %Y, %H:%M} UTC"


@dataclass(frozen=True)
class OrderFacts:
    """What `may_open` needs to know about an order."""

    status: str
    shipped_at: dt.datetime | None = None
    delivery_max_days: int = 0
    protection_ends_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    escrow_settled: bool = False
    held_minor: int = 0
    open_dispute: bool = False


def not_received_from(order: OrderFacts, after_days: float) -> dt.datetime | None:
    """When "not received" may first be reported: shipping + max(after_days, the promised delivery time)."""
    if order.shipped_at is None:
        return None
    return order.shipped_at + dt.timedelta(days=max(float(after_days), float(order.delivery_max_days)))


def may_open(
    order: OrderFacts,
    reason: str,
    now: dt.datetime,
    *,
    not_received_after_days: float = 10,
    item_window_days: float = 15,
) -> Verdict:
    """Whether the buyer may open a dispute with `reason` on `order` at `now`."""
    if order.open_dispute:
        return _no(
            "dispute_already_open",
            "This order already has an open dispute.",
            "Follow it on the order page: one dispute per order at a time.",
        )
    if order.status == "cancelled":
        return _no(
            "order_cancelled",
            "This order was cancelled, so there is nothing to dispute.",
            "Any refund is shown on the order page.",
        )
    if order.status not in ("awaiting_delivery", "completed"):
        return _no(
            "order_not_shipped",
            "This order has not shipped yet, so it cannot be disputed.",
            "Cancel the order instead if you no longer want it.",
        )
    if order.escrow_settled or order.held_minor <= 0:
        return _no(
            "escrow_already_released",
            "The payment for this order was already released to the seller, so it can no longer be disputed.",
            "Contact the seller through the order's messages.",
        )
    if (
        order.status == "awaiting_delivery"
        and order.protection_ends_at is not None
        and now >= order.protection_ends_at
    ):
        return _no(
            "buyer_protection_ended",
            f"Buyer protection for this order ended on {_date(order.protection_ends_at)}.",
            "Contact the seller through the order's messages.",
        )
    if reason == "not_received":
        if order.status == "completed":
            return _no(
                "order_received",
                "You confirmed receipt of this order, so it cannot be reported as not received.",
                "If the item is wrong or damaged, choose that reason instead.",
            )
        earliest = not_received_from(order, not_received_after_days)
        if earliest is not None and now < earliest:
            return _no(
                "too_early_for_not_received",
                f"The parcel may still be on its way: you can report it as not received from {_date(earliest)}.",
                "Track the parcel with the tracking number on the order page, or message the seller.",
            )
        return YES
    if order.status == "completed" and order.completed_at is not None:
        closes = order.completed_at + dt.timedelta(days=float(item_window_days))
        if now > closes:
            return _no(
                "dispute_window_closed",
                f"Problems with the item can be raised until {item_window_days:g} days after receipt; "
                f"that was {_date(closes)}.",
                "Contact the seller through the order's messages.",
            )
    return YES


@dataclass(frozen=True)
class DisputeFacts:
    """What `decide` needs to know about a dispute."""

    state: str
    opened_at: dt.datetime
    negotiate_until: dt.datetime
    last_offer_party: str = "buyer"  # whose offer is the current one
    last_offer_is_rejection: bool = False
    evidence_from: str = ""
    return_arrived: bool = False


CLOSED_TEXT = ("This dispute is closed.", "The outcome and any refund are shown on the order page.")
NEGOTIATION = (State.OPEN, State.NEGOTIATING)


def decide(
    d: DisputeFacts, party: Party | str, act: Act | str, now: dt.datetime, *, escalate_after_days: float = 3
) -> Verdict:
    """Whether `party` may `act` on dispute `d` at `now`."""
    party, act, state = Party(party), Act(act), State(d.state)
    if state is State.CLOSED:
        return _no("dispute_closed", *CLOSED_TEXT)
    if act is Act.ADD_EVIDENCE:
        return (
            YES
            if party is not Party.STAFF
            else _no("not_your_dispute", "Staff do not add evidence.", "Ask a party for evidence instead.")
        )
    if party is Party.STAFF:
        if act not in (Act.DECIDE, Act.REQUEST_EVIDENCE):
            return _no("not_allowed_for_staff", "Staff decide escalated disputes; they do not negotiate.")
        if state is not State.ESCALATED:
            return _no(
                "dispute_not_escalated",
                "Souk decides only disputes escalated to it.",
                "Wait for a party to escalate, or for the negotiation to end.",
            )
        return YES
    if act in (Act.DECIDE, Act.REQUEST_EVIDENCE):
        return _no("staff_decide_only", "Only Souk staff decide disputes.")
    if act is Act.WITHDRAW:
        if party is not Party.BUYER:
            return _no("buyer_only", "Only the buyer can withdraw a dispute.")
        if state is State.RETURN_SHIPPED:
            return _no(
                "return_in_transit",
                "The item is on its way back to the seller.",
                "Wait for the seller to confirm receipt; the refund follows.",
            )
        return YES
    if act in (Act.ACCEPT, Act.COUNTER, Act.REJECT):
        return _negotiate(d, party, act, state, now)
    if act is Act.ESCALATE:
        if party is Party.SELLER:
            if state is State.RETURN_SHIPPED:
                return YES  # the parcel came back empty or wrong
            return _no(
                "seller_cannot_escalate",
                "The seller escalates only a return that arrived empty or wrong.",
                "Answer the buyer: accept, make an offer, or reject with your reasons.",
            )
        if state is State.ESCALATED:
            return _no(
                "dispute_already_escalated",
                "Souk is already reviewing this dispute.",
                "Add evidence if you have more; Souk will decide.",
            )
        if state not in NEGOTIATION:
            return _no(
                "cannot_escalate_now",
                "An agreed return cannot be escalated.",
                "Send the item back and enter its tracking number.",
            )
        earliest = d.opened_at + dt.timedelta(days=float(escalate_after_days))
        if now < earliest:
            return _no(
                "too_early_to_escalate",
                f"You can ask Souk to step in from {_date(earliest)}.",
                "Until then, try to agree with the seller.",
            )
        return YES
    if act is Act.RETURN_TRACKING:
        if party is not Party.BUYER:
            return _no("buyer_only", "Only the buyer sends the item back.")
        if state is not State.AWAITING_RETURN:
            return _no(
                "no_return_expected",
                "No return is expected now.",
                "A return is sent only after a return and refund is agreed.",
            )
        return YES
    if act is Act.RETURN_ARRIVED:
        if state is not State.RETURN_SHIPPED or d.return_arrived:
            return _no("no_return_in_transit", "No return parcel is on its way now.")
        return YES
    # CONFIRM_RETURN
    if party is not Party.SELLER:
        return _no("seller_only", "Only the seller confirms that the return arrived.")
    if state is not State.RETURN_SHIPPED:
        return _no("no_return_in_transit", "No return parcel is on its way now.")
    return YES


def _negotiate(d: DisputeFacts, party: Party, act: Act, state: State, now: dt.datetime) -> Verdict:
    if state not in NEGOTIATION:
        return _no(
            "negotiation_over",
            f"Offers are over: the dispute is {State(state).label.lower()}.",
            "Souk decides escalated disputes; an agreed return goes on with the return parcel.",
        )
    if now >= d.negotiate_until:
        return _no(
            "negotiation_over",
            f"Offers closed on {_date(d.negotiate_until)}; Souk reviews the dispute.",
            "Add evidence if you have more.",
        )
    theirs = d.last_offer_party != party.value
    if act is Act.REJECT:
        if party is not Party.SELLER:
            return _no(
                "seller_only", "Only the seller rejects a request; you can withdraw the dispute instead."
            )
        if not theirs:
            return _no(
                "waiting_for_the_buyer",
                "You already answered; the buyer's turn.",
                "Wait for the buyer's answer.",
            )
        return YES
    if act is Act.ACCEPT:
        if not theirs:
            return _no(
                "own_offer",
                "This is your own offer; the other side has to accept it.",
                "Wait for their answer, or make another offer.",
            )
        if d.last_offer_is_rejection:
            return _no(
                "nothing_to_accept",
                "The seller rejected your request; there is no offer to accept.",
                "Make another offer, escalate to Souk, or withdraw.",
            )
        return YES
    return YES  # COUNTER: either side, any time during the negotiation
