"""What the page header shows a signed-in user: unread messages and notifications."""

from __future__ import annotations

from dataclasses import dataclass

from souk.messaging.selectors import unread_count
from souk.notifications.selectors import unread_notification_count


@dataclass(frozen=True)
class UnreadCounts:
    messages: int
    notifications: int


def unread_counts(user) -> UnreadCounts:
    """Two indexed queries, whatever the number of conversations or notifications."""
    return UnreadCounts(messages=unread_count(user=user), notifications=unread_notification_count(user=user))
