from django import template

from souk.core.money import format_money
from souk.orders.status import STATUS_LABELS, Status

register = template.Library()


@register.filter
def money(minor: int, currency: str) -> str:
    """`{{ order.total_minor|money:order.currency }}` → "$12.50"."""
    if minor is None or not currency:
        return ""
    return format_money(minor, currency)


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "") if mapping else ""


EVENT_LABELS = {
    "order_placed": "Order placed",
    "pay": "Payment received",
    "hold_for_verification": "Payment received, being verified",
    "verify": "Payment verified",
    "request_cancellation": "Cancellation requested",
    "resume": "Cancellation request closed",
    "ship": "Shipped",
    "confirm_receipt": "Receipt confirmed",
    "cancel": "Cancelled",
}


@register.filter
def event_label(kind: str) -> str:
    return EVENT_LABELS.get(kind) or kind.replace("_", " ").capitalize()


@register.filter
def status_label(status: str) -> str:
    try:
        return STATUS_LABELS[Status(status)]
    except ValueError:
        return status


@register.filter
def reason_label(code: str) -> str:
    """'changed_mind' → 'I changed my mind' (the reasons catalogue's label)."""
    from souk.cancellations.reasons import get_reason

    reason = get_reason(code or "")
    return reason.label if reason else (code or "").replace("_", " ")
