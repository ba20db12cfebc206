"""Telling the buyer how a refund ends: succeeded (with the bank reference), failed (and what
happens next), delayed (past the date it was expected, once).

Payments announces the news in the transaction of the refund's change
(`souk.payments.refund_news`); `NotificationsConfig.ready()` registers `tell_buyer` for it, so the
in-app row, the email and the webhook deliveries commit with the change, once
(docs/notifications.md, Refund kinds).
"""

from __future__ import annotations

from souk.core.money import format_money, minor_to_decimal_str
from souk.notifications.services import Note, notify_many
from souk.payments.refund_news import RefundChange, RefundNews

__all__ = ["METHOD_TEXT", "refund_note", "tell_buyer"]

METHOD_TEXT = {"card": "your card", "ewallet": "your e-wallet", "balance": "your Souk balance"}


def refund_note(change: RefundChange) -> Note:
    """The notification for one piece of refund news (kind `refund_<news>`)."""
    refund, order = change.refund, change.order
    amount = format_money(refund.amount_minor, refund.currency)
    to = METHOD_TEXT.get(refund.method, f"your {refund.method}")
    data = {"refund_id": refund.pk, "state": refund.state, "amount": minor_to_decimal_str(refund.amount_minor,
                                                                                        refund.currency),
            "currency": refund.currency, "method": refund.method, "expected_by": refund.expected_by.isoformat()}
    if change.news == RefundNews.SUCCEEDED:
        data["arn"] = refund.arn
        title = f"Refund of {amount} sent for order {order.number}"
        body = (f"Your refund of {amount} to {to} succeeded. Bank reference (ARN): {refund.arn}. "
                + ("It is in your Souk balance now." if refund.method == "balance" else
                   "If it is not on your statement within a few days, give your bank this reference."))
    elif change.news == RefundNews.FAILED:
        data["next_step"] = "staff"
        title = f"Refund of {amount} failed for order {order.number}"
        body = (f"Your refund of {amount} to {to} could not be completed ({refund.last_error or refund.state}). "
                "The money is safe: Souk still holds it for you. Souk staff have been alerted and will send "
                "the refund again or another way; you do not need to do anything.")
    else:
        data["next_step"] = "retry"
        title = f"Refund of {amount} delayed for order {order.number}"
        body = (f"Your refund of {amount} to {to} was expected by {refund.expected_by:%d %b %Y} and has not "
                "reached you yet. We keep trying and Souk staff have been alerted; the order page shows "
                "its progress.")
    return Note(kind=f"refund_{change.news}", recipients=[order.buyer], order=order, title=title, body=body,
                data=data)


def tell_buyer(changes: list[RefundChange]) -> None:
    """Every piece of news to its buyer: one `notify_many` (at most four statements), in the caller's
    transaction."""
    notify_many([refund_note(change) for change in changes])
