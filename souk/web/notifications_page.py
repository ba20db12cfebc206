"""The notifications list: the newest notifications of a user, with a link to their order."""

from __future__ import annotations

from souk.notifications.models import Notification
from souk.notifications.services import notifications_mark_all_read

PAGE_SIZE = 50


def latest(user) -> list[Notification]:
    """The newest notifications with their order's number (one query)."""
    return list(Notification.objects.filter(recipient=user).select_related("order", "order__store")
                .order_by("-created_at", "-pk")[:PAGE_SIZE])


def mark_all_read(user) -> int:
    return notifications_mark_all_read(user=user)
