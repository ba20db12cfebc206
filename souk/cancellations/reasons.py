"""The cancellation reasons catalogue: stable codes, labels, fault, and who may pick each.

Fault decides whose record a cancellation counts against: seller-fault
cancellations make up a store's public cancellation rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Fault(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    PLATFORM = "platform"


class Actor(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    STAFF = "staff"
    SYSTEM = "system"


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    fault: Fault
    chosen_by: frozenset[Actor]
    note_required: bool = False
    restock: bool = True  # put the units back on sale when cancelled
    sold_out: bool = False  # the seller has none left: the cancelled lines' listings drop to 0 in stock

    def as_dict(self) -> dict:
        return {"code": self.code, "label": self.label, "fault": self.fault.value,
                "note_required": self.note_required}


_B, _S, _T, _Y = Actor.BUYER, Actor.SELLER, Actor.STAFF, Actor.SYSTEM

REASONS: tuple[Reason, ...] = (
    # A buyer's reasons, in the order the pop-up lists them.
    Reason("changed_mind", "I changed my mind", Fault.BUYER, frozenset({_B})),
    Reason("ordered_by_mistake", "I ordered by mistake", Fault.BUYER, frozenset({_B})),
    Reason("duplicate_order", "I placed a duplicate order", Fault.BUYER, frozenset({_B})),
    Reason("found_better_price", "I found a better price elsewhere", Fault.BUYER, frozenset({_B})),
    Reason("shipping_too_long", "Shipping takes too long", Fault.BUYER, frozenset({_B})),
    Reason("change_address", "I need to change the shipping address", Fault.BUYER, frozenset({_B})),
    Reason("seller_asked_to_cancel", "The seller asked me to cancel", Fault.SELLER, frozenset({_B})),
    Reason("payment_problem", "I had a problem with the payment", Fault.BUYER, frozenset({_B})),
    Reason("other", "Other (please tell us why)", Fault.BUYER, frozenset({_B}), note_required=True),
    # Seller and platform reasons: the five causes of most cancelled shipments, and deadlines.
    Reason("out_of_stock", "Out of stock", Fault.SELLER, frozenset({_S, _T}), restock=False,
           sold_out=True),
    Reason("quality_control_failure", "Failed quality control", Fault.PLATFORM, frozenset({_T}),
           restock=False),
    Reason("customs_restriction", "Customs or import rules of the destination forbid it", Fault.PLATFORM,
           frozenset({_T})),
    Reason("payment_failure", "Payment failed", Fault.PLATFORM, frozenset({_T, _Y})),
    Reason("address_unusable", "The address or contact cannot be used", Fault.PLATFORM,
           frozenset({_S, _T, _Y})),
    Reason("risk", "Cancelled by risk control", Fault.PLATFORM, frozenset({_T})),
    Reason("ship_by_deadline_missed", "The seller did not ship in time", Fault.SELLER, frozenset({_Y})),
    Reason("payment_not_completed", "Payment was not completed in time", Fault.BUYER, frozenset({_Y})),
)

BY_CODE: dict[str, Reason] = {r.code: r for r in REASONS}


def reasons_for(actor: Actor | str) -> list[Reason]:
    actor = Actor(actor)
    return [r for r in REASONS if actor in r.chosen_by]


def get_reason(code: str) -> Reason | None:
    return BY_CODE.get(code)


@dataclass(frozen=True)
class RejectReason:
    code: str
    label: str
    note_required: bool = False
    needs_tracking: bool = False  # the parcel left: carrier + tracking number required

    def as_dict(self) -> dict:
        return {"code": self.code, "label": self.label, "note_required": self.note_required,
                "needs_tracking": self.needs_tracking}


REJECT_REASONS: tuple[RejectReason, ...] = (
    RejectReason("already_shipped", "The order has already shipped", needs_tracking=True),
    RejectReason("buyer_agreed_to_keep", "The buyer agreed to keep the order"),
    RejectReason("other", "Other (please tell the buyer why)", note_required=True),
)

REJECT_BY_CODE: dict[str, RejectReason] = {r.code: r for r in REJECT_REASONS}
