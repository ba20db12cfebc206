from django import template

from souk.cancellations.reasons import get_reason
from souk.core.money import format_money
from souk.orders.event_kinds import EventKind
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


@register.filter
def event_label(kind: str) -> str:
    """The timeline kind's label, from the one enumeration (`souk.orders.event_kinds.EventKind`)."""
    try:
        return EventKind(kind).label
    except ValueError:
        return kind.replace("_", " ").capitalize()


@register.filter
def status_label(status: str) -> str:
    try:
        return STATUS_LABELS[Status(status)]
    except ValueError:
        return status


@register.filter
def reason_label(code: str) -> str:
    """'changed_mind' → 'I changed my mind' (the reasons catalogue's label)."""
    reason = get_reason(code or "")
    return reason.label if reason else (code or "").replace("_", " ")
