"""What the order page shows around the order itself: the cancel choice, an open request,
the refund tracker and the conversation with the other party.

Every panel is a fixed number of queries whatever the number of orders, lines or
messages a user has (asserted in tests/web/test_query_counts.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from souk.cancellations.conf import setting as cancellation_setting
from souk.cancellations.reasons import REJECT_REASONS, reasons_for
from souk.cancellations.services import cancellation_options
from souk.messaging.selectors import order_conversation
from souk.messaging.services import conversation_mark_read
from souk.orders.models import Order
from souk.orders.status import Status
from souk.payments.gateways.base import PaymentMethod
from souk.payments.models import Refund
from souk.payments.selectors import checking_payment, order_refunds
from souk.reputation.policy import RATING_LABELS
from souk.reputation.selectors import order_review

# The sandbox gateway's test tokens the pay form offers (souk/payments/gateways/sandbox.py).
SANDBOX_TOKENS = [
    ("tok_visa", _("Visa ending 4242 (succeeds)")),
    ("tok_mastercard", _("Mastercard ending 4444 (succeeds)")),
    ("tok_ewallet", _("E-wallet (succeeds)")),
    ("tok_insufficient_funds", _("Card with insufficient funds (declined)")),
    ("tok_expired_card", _("Expired card (declined)")),
]
PAY_METHODS = [(PaymentMethod.CARD.value, _("Card")), (PaymentMethod.EWALLET.value, _("E-wallet")),
               (PaymentMethod.BALANCE.value, _("Souk balance"))]

REFUND_STEPS = [("requested", _("Requested")), ("processing", _("Sent to your bank")), ("succeeded", _("Refunded"))]
REFUND_STATE_TEXT = {
    Refund.State.PENDING: _("On its way"),
    Refund.State.REQUIRES_ACTION: _("Needs attention"),
    Refund.State.SUCCEEDED: _("Refunded"),
    Refund.State.FAILED: _("Failed"),
    Refund.State.CANCELED: _("Cancelled"),
}
METHOD_TEXT = {"card": _("Card"), "ewallet": _("E-wallet"), "balance": _("Souk balance")}


@dataclass
class RefundView:
    refund: Refund
    steps: list[tuple[str, str, str]] = field(default_factory=list)  # (key, label, done|current|todo|failed)

    @property
    def state_text(self) -> str:
        return REFUND_STATE_TEXT.get(self.refund.state, self.refund.state)

    @property
    def method_text(self) -> str:
        return METHOD_TEXT.get(self.refund.method, self.refund.method)


def refund_views(order_id: int) -> list[RefundView]:
    """The order's refunds with their progress (one query)."""
    out = []
    for refund in order_refunds(order_id=order_id):
        if refund.state == Refund.State.SUCCEEDED:
            marks = ["done", "done", "done"]
        elif refund.state in (Refund.State.FAILED, Refund.State.CANCELED, Refund.State.REQUIRES_ACTION):
            marks = ["done", "failed", "todo"]
        elif refund.gateway_ref:
            marks = ["done", "current", "todo"]
        else:
            marks = ["current", "todo", "todo"]
        out.append(RefundView(refund, [(k, label, m) for (k, label), m in zip(REFUND_STEPS, marks, strict=True)]))
    return out


def pending_request(order: Order):
    """The open cancellation request on this order, if any (one query, only while one can be open)."""
    if order.status != Status.AWAITING_CANCELLATION:
        return None
    return order.cancellation_requests.filter(state="pending").order_by("-pk").first()


def cancel_panel(order: Order, actor_role: str) -> dict[str, Any]:
    decision = cancellation_options(order=order, actor_role=actor_role)
    return {"decision": decision, "reasons": reasons_for(actor_role),
            "respond_hours": cancellation_setting("CANCELLATION_RESPOND_HOURS")}


def buyer_context(order: Order, user) -> dict[str, Any]:
    """Everything the buyer's order page shows besides the order, lines and timeline."""
    ctx: dict[str, Any] = {
        "refunds": refund_views(order.pk),
        "request": pending_request(order),
        "pay_key": uuid.uuid4().hex,
        "pay_tokens": SANDBOX_TOKENS,
        "pay_methods": PAY_METHODS,
        # An attempt whose outcome Souk is still confirming with the processor (one query, unpaid orders only).
        "checking_payment": order.status == Status.AWAITING_PAYMENT and checking_payment(order_id=order.pk),
    }
    if order.status == Status.COMPLETED:  # reviews open once the order is complete (one query)
        ctx["review_panel"] = order_review(order=order)
        ctx["rating_fields"] = list(RATING_LABELS.items())
    ctx.update(cancel_panel(order, "buyer"))
    ctx.update(conversation_panel(order, user, side="buyer"))
    return ctx


def seller_context(order: Order, user) -> dict[str, Any]:
    ctx: dict[str, Any] = {"refunds": refund_views(order.pk), "request": pending_request(order),
                           "seller_reasons": reasons_for("seller"), "reject_reasons": REJECT_REASONS,
                           "seller_decision": cancellation_options(order=order, actor_role="seller")}
    ctx.update(conversation_panel(order, user, side="seller"))
    return ctx


def conversation_panel(order: Order, user, *, side: str) -> dict[str, Any]:
    """The conversation about this order between its buyer and the store (latest messages, oldest first).

    Opening the page reads the messages: the unread badge drops (one UPDATE, only when something was unread).
    """
    view = order_conversation(user=user, order_id=order.pk)
    if view.conversation is not None and view.unread_count:
        conversation_mark_read(user=user, conversation_id=view.conversation.pk)
    name = "orders:message_send" if side == "buyer" else "orders:seller_message_send"
    return {"thread": view.messages, "viewer_is_seller": side == "seller",
            "message_url": reverse(name, args=[order.number])}
