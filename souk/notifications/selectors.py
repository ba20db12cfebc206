"""Notification reads: the list (keyset on id), the unread badge, staff's webhook views."""

from __future__ import annotations

from dataclasses import dataclass

from souk.core.errors import Forbidden, NotFound, ValidationFailed
from souk.notifications.models import Notification, WebhookDelivery, WebhookEndpoint

MAX_LIMIT = 100


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None


def _before(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        value = int(cursor)
    except ValueError:
        value = 0
    if not 0 < value < 2**63:
        raise ValidationFailed("This page link is not valid; start from the first page.", code="invalid_cursor",
                               field="cursor")
    return value


def _page(qs, *, cursor: str | None, limit: int) -> Page:
    limit = min(max(1, int(limit)), MAX_LIMIT)
    before = _before(cursor)
    if before is not None:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.order_by("-id")[:limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, str(rows[-1].pk) if more and rows else None)


def notifications_for_user(*, user, cursor: str | None = None, limit: int = 20, unread_only: bool = False) -> Page:
    """`user`'s notifications, newest first. One query (index `notification_recipient_recent`)."""
    qs = Notification.objects.filter(recipient=user).select_related("order")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return _page(qs, cursor=cursor, limit=limit)


def unread_notification_count(*, user) -> int:
    """Unread notifications of `user`: one COUNT on the index (recipient, read_at, -id)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def _require_staff(user) -> None:
    if not getattr(user, "is_staff", False):
        raise Forbidden("Only Souk staff can do this.", code="staff_only")


def webhook_endpoints(*, user) -> list[WebhookEndpoint]:
    _require_staff(user)
    return list(WebhookEndpoint.objects.filter(active=True).order_by("id"))


def webhook_deliveries(*, user, endpoint_id: int, cursor: str | None = None, limit: int = 50,
                       state: str | None = None) -> Page:
    """The delivery log of one endpoint, newest first (staff only; 403 for everyone else)."""
    _require_staff(user)
    if not WebhookEndpoint.objects.filter(pk=endpoint_id).exists():
        raise NotFound("No such webhook endpoint.", code="webhook_not_found")
    qs = WebhookDelivery.objects.filter(endpoint_id=endpoint_id)
    if state:
        if state not in WebhookDelivery.State.values:
            raise ValidationFailed("Unknown delivery state.", code="invalid_state", field="state")
        qs = qs.filter(state=state)
    return _page(qs, cursor=cursor, limit=limit)
