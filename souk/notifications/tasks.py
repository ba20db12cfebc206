"""Background tasks: the fast path of the outbox (the `notifications_outbox` sweep is the safety net)."""

from __future__ import annotations

from django_tasks import task

from souk.notifications import delivery


@task()
def deliver_emails(ids: list[int]) -> int:
    return delivery.deliver_due_emails(ids=ids)


@task()
def deliver_webhooks(ids: list[int]) -> int:
    return delivery.deliver_due_webhooks(ids=ids)


