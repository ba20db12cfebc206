"""The notifications list page: the user's notifications, newest first, a page at a time."""

from __future__ import annotations

from souk.notifications.selectors import Page, notifications_for_user
from souk.notifications.services import notifications_mark_all_read

PAGE_SIZE = 30


def latest(user, *, cursor: str | None = None) -> Page:
    return notifications_for_user(user=user, cursor=cursor, limit=PAGE_SIZE)


def mark_all_read(user) -> int:
    return notifications_mark_all_read(user=user)
