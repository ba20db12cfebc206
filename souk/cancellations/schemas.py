"""Cancellation API shapes. Amounts are decimal strings with their currency, like the rest of the API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from souk.cancellations.policy import NOTE_MAX_LENGTH, Outcome
from souk.cancellations.reasons import Actor, reasons_for
from souk.core.money import minor_to_decimal_str
from souk.core.schemas import one_of
from souk.orders.status import Status as OrderStatus
from souk.payments.models import Refund


class ReasonOut(Schema):
    code: str
    label: str
    fault: str
    note_required: bool


class RejectReasonOut(Schema):
    code: str
    label: str
    note_required: bool
    needs_tracking: bool


class LineIn(Schema):
    line_id: int
    quantity: int


class CancelIn(Schema):
    reason: str = one_of([r.code for r in reasons_for(Actor.BUYER)],
                         description="a reason code from GET /cancellation-reasons (`other` needs a note)")
    note: str = Field("", description=f"at most {NOTE_MAX_LENGTH} characters; required for `other`")
    lines: list[LineIn] | None = Field(None, description="cancel only these lines/quantities (a paid order)")


class SellerCancelIn(Schema):
    reason: str = one_of([r.code for r in reasons_for(Actor.SELLER)],
                         description="a seller reason from GET /cancellation-reasons?actor=seller")
    note: str = Field("", description=f"at most {NOTE_MAX_LENGTH} characters; required for `other`")


class StaffCancelIn(Schema):
    reason: str = one_of([r.code for r in reasons_for(Actor.STAFF)],
                         description="a platform reason from GET /cancellation-reasons?actor=staff")
    note: str = Field("", description=f"at most {NOTE_MAX_LENGTH} characters; required for `other`")


class RejectIn(Schema):
    reason: str = Field("", description="already_shipped, buyer_agreed_to_keep or other (required: 422 `required` when empty)")
    note: str = ""
    carrier: str | None = Field(None, description="required when the reason is already_shipped")
    tracking_number: str | None = Field(None, description="required when the reason is already_shipped")


class RequestOut(Schema):
    id: int
    state: str
    reason: str
    note: str
    lines: list[dict]
    refund: str
    currency: str
    respond_by: datetime
    answered_at: datetime | None
    reject_reason: str
    reject_note: str
    created_at: datetime


class RefundBrief(Schema):
    id: int
    state: str = one_of(Refund.State.values)
    amount: str
    currency: str
    method: str
    expected_by: date


class CancellationFactOut(Schema):
    id: int
    reason: str
    fault: str
    actor_role: str
    whole_order: bool
    lines: list[dict]
    restocked: bool
    refund: str
    created_at: datetime


class CancelOut(Schema):
    outcome: str = one_of([Outcome.CANCEL_NOW, Outcome.REQUEST_SELLER],
                          description="cancel_now (the order or lines are cancelled) or request_seller")
    order_number: str
    order_status: str = one_of(OrderStatus)
    request: RequestOut | None = None
    refund: RefundBrief | None = None
    cancellation: CancellationFactOut | None = None


class DecisionOut(Schema):
    allowed: bool
    outcome: str
    refund: str
    currency: str
    code: str
    why_not: str
    next_step: str
    next_action: Literal["open_dispute", ""] = Field(
        "", description='"open_dispute": offer the Open a dispute button instead (docs/disputes.md)')
    order_status: str
    open_request: RequestOut | None = None
    remaining_quantities: dict[int, int]


def request_out(request, currency: str) -> dict | None:
    if request is None:
        return None
    return {"id": request.pk, "state": request.state, "reason": request.reason, "note": request.note,
            "lines": request.lines, "refund": minor_to_decimal_str(request.refund_minor, currency),
            "currency": currency, "respond_by": request.respond_by, "answered_at": request.answered_at,
            "reject_reason": request.reject_reason, "reject_note": request.reject_note,
            "created_at": request.created_at}


def cancel_out(result) -> dict:
    order, refund, fact = result.order, result.refund, result.cancellation
    return CancelOut(
        outcome=str(result.outcome), order_number=order.number, order_status=str(order.status),
        request=request_out(result.request, order.currency),
        refund=None if refund is None else {
            "id": refund.pk, "state": refund.state, "amount": minor_to_decimal_str(refund.amount_minor,
                                                                                   refund.currency),
            "currency": refund.currency, "method": refund.method, "expected_by": refund.expected_by},
        cancellation=None if fact is None else {
            "id": fact.pk, "reason": fact.reason, "fault": fact.fault, "actor_role": fact.actor_role,
            "whole_order": fact.whole_order, "lines": fact.lines, "restocked": fact.restocked,
            "refund": minor_to_decimal_str(fact.refund_minor, order.currency), "created_at": fact.created_at},
    ).model_dump(mode="json")
