"""Background tasks (django-tasks): the fast path of money timers. Each wraps one idempotent service;
the sweeps registered in `PaymentsConfig.ready()` reach the same end state if a task is lost.

Hooks for other apps (call inside the transaction of the state change; enqueued on commit):
- `schedule_protection_end(order_id=..., at=order.protection_ends_at)` where an order ships;
- `release_escrow_after_commit(order_id=...)` where an order completes (buyer confirms receipt).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django_tasks import task

from souk.payments.services.escrow import escrow_release
from souk.payments.services.protection import order_protection_end
from souk.payments.services.refunds import refund_process
from souk.payments.services.verification import payment_verify


@task()
def end_protection(order_id: int) -> bool:
    return order_protection_end(order_id=order_id)


@task()
def release_escrow(order_id: int) -> bool:
    return escrow_release(order_id=order_id) is not None


@task()
def process_refund(refund_id: int) -> str:
    return refund_process(refund_id=refund_id).state


@task()
def decide_review(order_id: int, approve: bool) -> str:
    return payment_verify(order_id=order_id, approve=approve, actor=None, actor_role="system").status


def schedule_protection_end(*, order_id: int, at: datetime) -> None:
    """Call inside the transaction that sets `protection_ends_at`: the task row commits (or not) with it."""
    end_protection.using(run_after=at).enqueue(order_id)


def release_escrow_after_commit(*, order_id: int) -> None:
    transaction.on_commit(lambda: release_escrow.enqueue(order_id))
