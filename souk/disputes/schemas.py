"""Dispute API schemas: what goes in (enums, lengths) and what comes out (a dispute with both sides'
offers, its evidence, its decision and, per action, whether the viewer may take it and why not)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from souk.core.schemas import MoneyOut, StrictObjectIn
from souk.disputes.models import Dispute, Evidence, Offer

ReasonCode = Literal[
    "not_received", "not_as_described", "damaged", "wrong_item", "missing_parts", "counterfeit"
]
KindCode = Literal["refund_only", "return_and_refund"]
AMOUNT = r"^[0-9]{1,12}(\.[0-9]{1,3})?$"
TEXT = r"^[^\x00]*$"


class DisputeLineIn(StrictObjectIn):
    line_id: int = Field(ge=1)
    quantity: int = Field(ge=1, le=100000)


class OpenIn(StrictObjectIn):
    reason: ReasonCode
    kind: KindCode = Field(description="refund_only: keep the item; return_and_refund: send it back first")
    amount: str | None = Field(
        None,
        pattern=AMOUNT,
        max_length=16,
        description="decimal string in the order's currency; default: the lines' "
        "refund, or everything the order still holds",
    )
    description: str = Field(min_length=1, max_length=2000, pattern=TEXT)
    lines: list[DisputeLineIn] | None = Field(None, max_length=100, description="omit for the whole order")


class CounterIn(StrictObjectIn):
    kind: KindCode
    amount: str = Field(pattern=AMOUNT, max_length=16, description="decimal string in the order's currency")
    note: str = Field("", max_length=1000, pattern=TEXT)


class NoteIn(StrictObjectIn):
    note: str = Field("", max_length=1000, pattern=TEXT)


class DisputeRejectIn(StrictObjectIn):
    note: str = Field(
        min_length=1, max_length=1000, pattern=TEXT, description="why (evidence: upload photos)"
    )


class TrackingIn(StrictObjectIn):
    carrier: str = Field(min_length=1, max_length=80, pattern=TEXT)
    tracking_number: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9-]+$")


class DecideIn(StrictObjectIn):
    outcome: Literal["full_refund", "partial_refund", "return_and_refund", "reject"]
    amount: str | None = Field(
        None,
        pattern=AMOUNT,
        max_length=16,
        description="partial_refund (required) and return_and_refund (default: all held)",
    )
    note: str = Field(
        min_length=1, max_length=1000, pattern=TEXT, description="the reasons, shown to both parties"
    )


class EvidenceRequestIn(StrictObjectIn):
    party: Literal["buyer", "seller"]
    note: str = Field(min_length=1, max_length=500, pattern=TEXT)


class VerdictOut(Schema):
    allowed: bool
    code: str = Field(description="stable code when not allowed (docs/api.md, Error codes)")
    why_not: str
    next_step: str


class OfferOut(Schema):
    id: int
    party: Literal["buyer", "seller"]
    kind: Literal["refund_only", "return_and_refund", ""] = Field(description="empty: the seller rejected")
    amount: MoneyOut
    note: str
    created_at: dt.datetime


class EvidenceOut(Schema):
    id: int
    party: Literal["buyer", "seller"]
    content_type: str
    size: int
    note: str
    url: str = Field(description="GET it with the same credentials")
    created_at: dt.datetime


class DisputeDecisionOut(Schema):
    decided_by: Literal["buyer_accepted", "seller_accepted", "silence", "staff", ""]
    outcome: Literal["refunded", "rejected", "return_not_shipped", "withdrawn"]
    kind: Literal["refund_only", "return_and_refund", ""]
    amount: MoneyOut
    against_seller: bool
    note: str
    refund_id: int | None
    created_at: dt.datetime


class ReturnOut(Schema):
    kind: str
    amount: MoneyOut
    agreed_by: str
    payer: Literal["buyer", "seller", ""] = Field(description="who pays return shipping")
    address: str
    carrier: str
    tracking_number: str
    shipped_at: dt.datetime | None
    arrived_at: dt.datetime | None


class DisputeMessageOut(Schema):
    kind: str
    sender_id: int | None
    body: str
    created_at: dt.datetime


class DisputeOut(Schema):
    id: int
    order_number: str
    reason: ReasonCode
    lines: list[DisputeLineIn]
    description: str
    state: Literal["open", "negotiating", "escalated", "awaiting_return", "return_shipped", "closed"]
    state_label: str
    due_at: dt.datetime | None = Field(description="the current deadline (docs/disputes.md, Deadlines)")
    due_party: Literal["buyer", "seller", ""] = Field(description="who owes the next action by due_at")
    negotiate_until: dt.datetime
    escalated_at: dt.datetime | None
    evidence_requested_from: Literal["buyer", "seller", ""]
    evidence_request_note: str
    buyer_offer: OfferOut | None = Field(description="the buyer's current request")
    seller_offer: OfferOut | None = Field(description="the seller's current answer (kind empty: rejected)")
    offers: list[OfferOut]
    evidence: list[EvidenceOut]
    agreed_return: ReturnOut | None
    decision: DisputeDecisionOut | None
    actions: dict[str, VerdictOut] = Field(
        description="each action the viewer could take: allowed, or why not"
    )
    messages: list[DisputeMessageOut] = Field(description="the order's conversation (staff views only)")
    opened_at: dt.datetime
    closed_at: dt.datetime | None


class OpeningOut(Schema):
    order_number: str
    open_dispute_id: int | None
    held: MoneyOut = Field(description="what the order still holds in escrow: the most a dispute can ask")
    reasons: dict[str, VerdictOut] = Field(description="per reason: may a dispute be opened now, or why not")


def _offer(o: Offer | None, currency: str) -> dict | None:
    if o is None:
        return None
    return {
        "id": o.pk,
        "party": o.party,
        "kind": o.kind,
        "amount": MoneyOut.of(o.amount_minor, currency),
        "note": o.note,
        "created_at": o.created_at,
    }


def _evidence(e: Evidence, base: str) -> dict:
    return {
        "id": e.pk,
        "party": e.party,
        "content_type": e.content_type,
        "size": e.size,
        "note": e.note,
        "url": f"{base}/evidence/{e.pk}",
        "created_at": e.created_at,
    }


def dispute_out(view, base: str) -> dict:
    d: Dispute = view.dispute
    cur = d.currency
    decision = getattr(d, "decision", None)
    agreed = None
    if d.agreed_kind:
        agreed = {
            "kind": d.agreed_kind,
            "amount": MoneyOut.of(d.agreed_minor or 0, cur),
            "agreed_by": d.agreed_by,
            "payer": d.return_payer,
            "address": d.return_address,
            "carrier": d.return_carrier,
            "tracking_number": d.return_tracking,
            "shipped_at": d.return_shipped_at,
            "arrived_at": d.return_arrived_at,
        }
    return {
        "id": d.pk,
        "order_number": d.order.number,
        "reason": d.reason,
        "lines": d.lines,
        "description": d.description,
        "state": d.state,
        "state_label": d.get_state_display(),
        "due_at": d.due_at,
        "due_party": d.due_party,
        "negotiate_until": d.negotiate_until,
        "escalated_at": d.escalated_at,
        "evidence_requested_from": d.evidence_from,
        "evidence_request_note": d.evidence_note,
        "buyer_offer": _offer(view.latest["buyer"], cur),
        "seller_offer": _offer(view.latest["seller"], cur),
        "offers": [_offer(o, cur) for o in view.offers],
        "evidence": [_evidence(e, base) for e in view.evidence],
        "agreed_return": agreed,
        "decision": None
        if decision is None
        else {
            "decided_by": decision.decided_by,
            "outcome": decision.outcome,
            "kind": decision.kind,
            "amount": MoneyOut.of(decision.amount_minor, cur),
            "against_seller": decision.against_seller,
            "note": decision.note,
            "refund_id": decision.refund_id,
            "created_at": decision.created_at,
        },
        "actions": view.actions,
        "messages": [
            {"kind": m.kind, "sender_id": m.sender_id, "body": m.body, "created_at": m.created_at}
            for m in view.messages
        ],
        "opened_at": d.opened_at,
        "closed_at": d.closed_at,
    }
