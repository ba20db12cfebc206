"""Background tasks: the fast path of each deadline. (Refund processing and voiding an authorisation
are payments' tasks: `souk.payments.tasks.process_refund` / `decide_review`.)

Each wraps a service that locks the row and re-checks its state, so a stale or
repeated task does nothing. django-tasks-db has no retries and no lease: the
sweeps (registered in apps.py) reach the same end state on their own.
"""

from __future__ import annotations

from datetime import datetime

from django_tasks import task


@task()
def expire_payment_window(*order_ids: int) -> int:
    """Cancel these orders if they are still unpaid (a checkout's orders share one task and one pay_by)."""
    from souk.cancellations.services.timers import expire_unpaid_orders

    return expire_unpaid_orders(order_ids=list(order_ids))


@task()
def auto_approve_request(request_id: int) -> int:
    from souk.cancellations.services.timers import auto_approve_requests

    return auto_approve_requests(request_ids=[request_id])


@task()
def ship_by_deadline(order_id: int) -> int:
    from souk.cancellations.services.timers import cancel_unshipped_orders

    return cancel_unshipped_orders(order_ids=[order_id])


@task()
def notify_cancellations() -> int:
    from souk.cancellations.services.timers import notify_cancellations as sweep

    done = total = sweep()
    while done:
        done = sweep()
        total += done
    return total


# --- Hooks for the apps that set the deadlines (call inside the transaction that sets the column:
# the task row commits with it, and the sweep covers a lost or stale task) ---------------------------

def schedule_payment_window(*, order_ids: list[int], pay_by: datetime) -> None:
    """Checkout sets `Order.pay_by` on its orders: one task cancels those still unpaid then.

    Written with one plain INSERT (checkout is a hot path; the ORM enqueue costs more than the
    checkout itself). Checkout's one-statement path writes the same row inside its statement
    instead: `payment_window_part`."""
    from souk.core.tasks import enqueue_together

    enqueue_together([(expire_payment_window.using(run_after=pay_by), tuple(order_ids))])


def payment_window_part(name: str, *, order_ids: str, needs: tuple[str, ...]):
    """`schedule_payment_window` as a part of a write statement (souk.core.sql, PostgreSQL): the
    task's row, its args the JSON array of order ids the SQL expression `order_ids` yields (the
    orders the same statement inserts, so the timer commits with them). Only when
    `payment_window_in_statement()`; parameters: `payment_window_row(pay_by=...).params()`."""
    from souk.core.task_rows import task_row_part

    return task_row_part(name, args=order_ids, needs=needs)


def payment_window_in_statement() -> bool:
    """Whether the payment-window task's backend lets its row be a part of a statement."""
    from souk.core.task_rows import embeddable

    return embeddable(expire_payment_window)


def payment_window_row(*, pay_by: datetime):
    """The payment-window task's row for `payment_window_part`, built as `enqueue` builds it."""
    from souk.core.task_rows import TaskRow

    return TaskRow(expire_payment_window.using(run_after=pay_by))


def schedule_ship_by(*, order_id: int, ship_by: datetime | None) -> None:
    """An order becomes awaiting shipment with `ship_by`: cancel it then if it has not shipped."""
    if ship_by is not None:
        ship_by_deadline.using(run_after=ship_by).enqueue(order_id)
