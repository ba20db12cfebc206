"""What the page header shows a signed-in user: unread messages and notifications."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UnreadCounts:
    messages: int
    notifications: int


def unread_counts(user) -> UnreadCounts:
    """Two COUNT queries, whatever the number of conversations or notifications."""
    return UnreadCounts(messages=_unread_messages(user), notifications=_unread_notifications(user))


def _unread_messages(user) -> int:
    try:
        from souk.messaging.selectors import unread_count
    except ImportError:  # the messaging app's selectors have not landed yet
        return 0
    return unread_count(user=user)


def _unread_notifications(user) -> int:
    try:
        from souk.notifications.selectors import unread_count
    except ImportError:  # no selector in the notifications app yet: the same COUNT, read here
        from souk.notifications.models import Notification

        return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return unread_count(user=user)
