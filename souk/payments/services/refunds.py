"""Refunds: create (ledger `refund_start` with the state change), process at the gateway, settle.

`refund_create` promises the money in one transaction (the order row locked, so
parallel refunds can never exceed what is held in escrow). `refund_process`
talks to the gateway between short transactions: it claims the refund (attempt
recorded, `next_attempt_at` pushed out as a lease), calls the gateway outside
any transaction with the key `refund-<id>`, then records the outcome. A worker
killed mid-call leaves the refund due again; the retry reaches the same gateway
refund through the key, so the money moves exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from moneyed import Money

from souk.core.errors import Conflict, ErrorCollector, ValidationFailed
from souk.core.money import format_money, minor_to_money, money_to_minor
from souk.ledger.chart import EntryKind
from souk.ledger.movements import (
    post_refund_fail,
    post_refund_settle,
    post_refund_start,
    refund_settle_postings,
)
from souk.ledger.posting import ledger_post
from souk.ledger.selectors import order_held_minor
from souk.orders import events
from souk.orders.lines import check_lines, goods_minor, line_states
from souk.orders.models import Order
from souk.orders.services import lock_order
from souk.payments import policy
from souk.payments.conf import setting
from souk.payments.gateways import GatewayError, get_gateway
from souk.payments.gateways.base import GatewayRefund, RefundStatus
from souk.payments.models import Payment, Refund, RefundAttempt
from souk.payments.refund_news import RefundChange, RefundNews, announce
from souk.payments.selectors import refunded_lines
from souk.payments.services.paying import funding_account

OPEN_STATES = (Refund.State.PENDING, Refund.State.REQUIRES_ACTION)
LIVE_STATES = (Refund.State.PENDING, Refund.State.REQUIRES_ACTION, Refund.State.SUCCEEDED)


@dataclass(frozen=True)
class RefundLine:
    line_id: int
    quantity: int


def _check_input(amount: Money | None, lines: list[RefundLine] | None, reason: str, key: str) -> None:
    errors = ErrorCollector()
    if (amount is None) == (not lines):
        errors.add("amount", "amount_or_lines", "Give either an amount or the lines to refund.")
    if amount is not None and not isinstance(amount, Money):
        raise TypeError("amount must be Money")
    if amount is not None and amount.amount <= 0:
        errors.add("amount", "amount_not_positive", "Amount must be greater than zero.")
    if not reason or len(reason) > 64:
        errors.add("reason", "required", "Give the reason for the refund (at most 64 characters).")
    if not key or len(key) > 120:
        errors.add("idempotency_key", "required", "An idempotency key (1-120 characters) is required.")
    errors.raise_if_any()


def _lines_amount(order: Order, lines: list[RefundLine]) -> tuple[int, list[dict]]:
    """Goods for the lines plus their share of shipping, given what was refunded before (the one
    line count, `souk.orders.lines`, and the one proration rule, `policy.lines_refund_minor`)."""
    states = line_states(order.pk, refunded_lines(order_id=order.pk))
    wanted = [{"line_id": i.line_id, "quantity": i.quantity} for i in lines]
    checked = check_lines(wanted, states, done="refunded") or [
        {"line_id": s.line_id, "quantity": s.remaining} for s in states if s.remaining]
    before, goods = goods_minor(states, checked)
    amount = policy.lines_refund_minor(before_minor=before, goods_minor=goods, subtotal_minor=order.subtotal_minor,
                                       shipping_minor=order.shipping_minor)
    return amount, wanted


def refund_create_locked(*, order: Order, payment: Payment, amount_minor: int, reason: str, actor,
                         idempotency_key: str, lines: list[dict] | None = None, actor_role: str = "system",
                         now: datetime) -> Refund:
    """Promise a refund of an order whose row the caller has locked: Refund row + ledger entry + timeline."""
    refund = Refund(
        order=order, payment=payment, amount_minor=amount_minor, currency=order.currency, method=payment.method,
        reason=reason, lines=lines or [], idempotency_key=idempotency_key, requested_by=actor,
        expected_by=policy.refund_expected_by(payment.method, now.date()), next_attempt_at=now, created_at=now)
    refund.save(force_insert=True)
    post_refund_start(order_id=order.pk, store_id=order.store_id, refund_id=refund.pk,
                      amount=minor_to_money(amount_minor, order.currency), memo=reason)
    events.record(order_id=order.pk, kind="refund_created", actor_role=actor_role, actor=actor, now=now,
                  message=f"Refund of {format_money(amount_minor, order.currency)} to {payment.method}.",
                  data={"refund_id": refund.pk, "amount_minor": amount_minor, "reason": reason})
    return refund


def enqueue_processing(refund: Refund) -> None:
    """Fast path: the worker processes the refund at once instead of at the next `refunds_due` sweep.

    Call it in the transaction that created the refund (the task row commits with it) or after it
    committed; the sweep is the safety net either way."""
    from souk.payments.tasks import process_refund

    if refund.state == Refund.State.PENDING:
        process_refund.enqueue(refund.pk)


def _reads_after_lock(order: Order, idempotency_key: str) -> tuple[int | None, int | None, str | None, int]:
    """What `refund_create` reads once the order row is locked (so it sees what the previous lock holder
    committed): a refund this key already made and the captured payment (id, method) in ONE statement
    over payments' own tables, then what the order holds in escrow (the ledger's selector)."""
    q = connection.ops.quote_name
    refund_t, payment_t = q(Refund._meta.db_table), q(Payment._meta.db_table)
    captured = f"FROM {payment_t} WHERE order_id = %s AND status = %s ORDER BY id LIMIT 1"
    sql = (f"SELECT (SELECT id FROM {refund_t} WHERE order_id = %s AND idempotency_key = %s), "
           f"(SELECT id {captured}), (SELECT method {captured})")
    state = Payment.State.CAPTURED.value
    with connection.cursor() as cursor:
        cursor.execute(sql, [order.pk, idempotency_key, order.pk, state, order.pk, state])
        existing_id, payment_id, method = cursor.fetchone()
    return existing_id, payment_id, method, order_held_minor(order.pk, order.currency)


def refund_create(*, order_id: int, reason: str, actor, idempotency_key: str, amount: Money | None = None,
                  lines: list[RefundLine] | None = None, actor_role: str = "staff",
                  order_filters: dict | None = None, now: datetime | None = None) -> Refund:
    """Refund (part of) a paid order to the original method; never more than is held in escrow.

    `order_filters` say who may see the order (`store__owner=user`); anyone else gets NotFound.
    The same idempotency key on the same order returns the first refund (other parameters: 422).
    """
    _check_input(amount, lines, reason, idempotency_key)
    now = now or timezone.now()
    with transaction.atomic():
        filters = order_filters or {}
        order = lock_order(order_id=order_id, **filters)
        existing_id, payment_id, payment_method, held = _reads_after_lock(order, idempotency_key)
        wanted_lines = [{"line_id": i.line_id, "quantity": i.quantity} for i in lines or []]
        existing = Refund.objects.filter(pk=existing_id).first() if existing_id is not None else None
        if existing is not None:
            same = (existing.lines == wanted_lines if lines else
                    (existing.amount_minor, existing.currency) == (money_to_minor(amount), amount.currency.code))
            if not same:
                raise ValidationFailed("This idempotency key was used for another refund.",
                                       code="idempotency_key_reused", field="idempotency_key")
            return existing
        payment = (Payment(pk=payment_id, order_id=order.pk, method=payment_method, status=Payment.State.CAPTURED)
                   if payment_id is not None else None)
        if payment is None:
            raise Conflict("This order has not been paid: there is nothing to refund.", code="order_not_paid")
        if amount is not None and amount.currency.code != order.currency:
            raise ValidationFailed(f"This order is in {order.currency}.", code="currency_mismatch", field="currency")
        if lines:
            amount_minor, line_data = _lines_amount(order, lines)
        else:
            amount_minor, line_data = money_to_minor(amount), []
        if amount_minor > held:
            raise ValidationFailed(f"At most {format_money(held, order.currency)} can be refunded.",
                                   code="refund_exceeds_captured", field="amount")
        refund = refund_create_locked(order=order, payment=payment, amount_minor=amount_minor, reason=reason,
                                      actor=actor, actor_role=actor_role, idempotency_key=idempotency_key,
                                      lines=line_data, now=now)
    return refund


# --- processing --------------------------------------------------------------------------------

def _lock_refund(refund_id: int, *, with_payment: bool = False) -> Refund | None:
    """The refund row locked (`SELECT ... FOR UPDATE`). With `with_payment`, its payment row is locked
    too (loaded with it) and the number of its latest attempt read (`last_attempt`)."""
    rows = Refund.objects.filter(pk=refund_id)
    if with_payment:
        latest = RefundAttempt.objects.filter(refund=OuterRef("pk")).order_by("-number").values("number")[:1]
        rows = (rows.select_related("payment").select_for_update(of=("self", "payment"))
                .annotate(last_attempt=Subquery(latest)))
    else:
        rows = rows.select_for_update()
    return rows.first()


def _claim(refund_id: int, now: datetime, force: bool) -> tuple[Refund, int] | None:
    with transaction.atomic():
        refund = _lock_refund(refund_id, with_payment=True)
        if refund is None or refund.state != Refund.State.PENDING:
            return None
        if not force and refund.next_attempt_at and refund.next_attempt_at > now:
            return None  # another worker holds it, or its retry is not due yet
        number = (refund.last_attempt or 0) + 1
        polling = bool(refund.gateway_ref)
        attempts = refund.attempts + (0 if polling else 1)
        lease = (now + timedelta(seconds=setting("REFUND_POLL_SECONDS")) if polling
                 else policy.next_attempt_at(now, attempts))
        operation = "status" if polling else "refund"
        if _one_statement():
            _claim_write_pg(refund.pk, attempts=attempts, lease=lease, now=now, number=number, operation=operation)
        else:
            Refund.objects.filter(pk=refund.pk).update(attempts=attempts, next_attempt_at=lease, updated_at=now)
            if number > 1:  # an attempt still open here belonged to a worker that died mid-call (lease ran out)
                RefundAttempt.objects.filter(refund=refund, finished_at__isnull=True).update(
                    outcome="abandoned", finished_at=now, error=ABANDONED)
            RefundAttempt.objects.create(refund=refund, number=number, operation=operation, started_at=now)
        refund.attempts, refund.next_attempt_at = attempts, lease
        return refund, number


ABANDONED = "the worker stopped before recording the outcome"


def _one_statement() -> bool:
    """PostgreSQL writes each step's rows in one statement (`_claim_write_pg`, `_record_pg`); elsewhere
    the ORM does, and tests/payments/test_refund_statement_parity.py holds the two equal."""
    return connection.vendor == "postgresql"


def _claim_write_pg(refund_id: int, *, attempts: int, lease: datetime, now: datetime, number: int,
                    operation: str) -> None:
    """PostgreSQL: the lease, the abandoned attempt (a worker that died mid-call) and the new attempt
    in ONE statement."""
    refund_t, attempt_t = Refund._meta.db_table, RefundAttempt._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'WITH r AS (UPDATE "{refund_t}" SET attempts = %s, next_attempt_at = %s, updated_at = %s WHERE id = %s), '
            f'a AS (UPDATE "{attempt_t}" SET outcome = \'abandoned\', finished_at = %s, error = %s '
            f"WHERE refund_id = %s AND finished_at IS NULL) "
            f'INSERT INTO "{attempt_t}" (refund_id, number, operation, outcome, error, started_at) '
            f"VALUES (%s, %s, %s, '', '', %s)",
            [attempts, lease, now, refund_id, now, ABANDONED, refund_id, refund_id, number, operation, now])


def _record_ctes(refund_id: int, number: int, cols: dict, attempt_cols: dict) -> list[tuple[str, list]]:
    """The refund's new state and the attempt's outcome, as data-modifying CTE parts."""
    refund_t, attempt_t = Refund._meta.db_table, RefundAttempt._meta.db_table
    sets = ", ".join(f'"{Refund._meta.get_field(name).column}" = %s' for name in cols)
    attempt_sets = ", ".join(f'"{name}" = %s' for name in attempt_cols)
    return [(f'rr AS (UPDATE "{refund_t}" SET {sets} WHERE id = %s)', [*cols.values(), refund_id]),
            (f'ra AS (UPDATE "{attempt_t}" SET {attempt_sets} WHERE refund_id = %s AND number = %s)',
             [*attempt_cols.values(), refund_id, number])]


def _record_pg(refund_id: int, number: int, cols: dict, attempt_cols: dict, entry: dict | None) -> None:
    """PostgreSQL: the refund's new state and the attempt's outcome in ONE statement (payments' own
    tables); a settled refund's ledger entry is the ledger's own statement, in the same transaction."""
    parts = _record_ctes(refund_id, number, cols, attempt_cols)
    with connection.cursor() as cursor:
        cursor.execute("WITH " + ", ".join(sql for sql, _ in parts) + " SELECT 1",
                       [p for _, params in parts for p in params])
    if entry is not None:
        ledger_post(**entry)


def _settle(order: Order, refund: Refund, result: GatewayRefund, now: datetime, deferred: list) -> dict:
    amount = minor_to_money(refund.amount_minor, refund.currency)
    common = {"order_id": order.pk, "store_id": order.store_id, "refund_id": refund.pk, "amount": amount}
    status = RefundStatus(result.status)
    cols: dict = {"gateway_ref": result.ref, "state": status.value}
    if status == RefundStatus.SUCCEEDED:
        if _one_statement():  # posted with the state change, in one statement (_record_pg)
            deferred.append({"kind": EntryKind.REFUND_SETTLE, "order_id": order.pk, "store_id": order.store_id,
                             "refund_id": refund.pk, "memo": f"arn {result.arn}",
                             "postings": refund_settle_postings(amount, funding_account(refund.method))})
        else:
            post_refund_settle(**common, funding=funding_account(refund.method), memo=f"arn {result.arn}")
        cols.update(arn=result.arn, settled_at=now, next_attempt_at=None, last_error="")
    elif status in (RefundStatus.FAILED, RefundStatus.CANCELED):
        post_refund_fail(**common, memo=result.failure_reason or status.value)
        cols.update(next_attempt_at=None, flagged_at=now, last_error=result.failure_reason or status.value)
    elif status == RefundStatus.REQUIRES_ACTION:
        cols.update(next_attempt_at=None, flagged_at=refund.flagged_at or now, last_error="requires action")
    return cols


def refund_process(*, refund_id: int, now: datetime | None = None, force: bool = False) -> Refund:
    """One step of a refund at the gateway: submit it, or poll it until it settles. Idempotent."""
    now = now or timezone.now()
    claimed = _claim(refund_id, now, force)
    if claimed is None:
        return Refund.objects.get(pk=refund_id)
    refund, number = claimed
    gateway = get_gateway()
    result: GatewayRefund | None = None
    error: GatewayError | None = None
    try:
        if refund.gateway_ref:
            result = gateway.refund_status(refund_ref=refund.gateway_ref)
        else:
            result = gateway.refund(payment_ref=refund.payment.gateway_ref,
                                    amount=minor_to_money(refund.amount_minor, refund.currency),
                                    idempotency_key=f"refund-{refund.pk}")
    except GatewayError as exc:
        error = exc
    with transaction.atomic():
        # Ledger + refund state change together under the order's lock, like every writer.
        order = lock_order(order_id=refund.order_id)
        current = _lock_refund(refund.pk)
        attempt_cols = {"finished_at": now}
        deferred: list = []
        if current.state != Refund.State.PENDING:
            RefundAttempt.objects.filter(refund=refund, number=number).update(outcome="superseded", **attempt_cols)
            return current
        if error is not None:
            cols: dict = {"last_error": f"{error.code}: {error}"[:240]}
            if error.retryable:
                if current.attempts >= setting("REFUND_MAX_ATTEMPTS"):
                    cols["flagged_at"] = current.flagged_at or now
            else:
                post_refund_fail(order_id=order.pk, store_id=order.store_id, refund_id=refund.pk,
                                 amount=minor_to_money(refund.amount_minor, refund.currency), memo=error.code)
                cols.update(state=Refund.State.FAILED, next_attempt_at=None, flagged_at=now)
            outcome = error.code
        else:
            cols = _settle(order, current, result, now, deferred)
            outcome = result.status
        if cols.get("state", current.state) in OPEN_STATES and current.expected_by < now.date():
            cols["flagged_at"] = current.flagged_at or now  # late: staff look, the buyer sees "delayed"
        cols["updated_at"] = now
        attempt_cols.update(outcome=outcome, error=str(error or "")[:240])
        if _one_statement():
            _record_pg(refund.pk, number, cols, attempt_cols, deferred[0] if deferred else None)
        else:
            Refund.objects.filter(pk=refund.pk).update(**cols)
            RefundAttempt.objects.filter(refund=refund, number=number).update(**attempt_cols)
        if cols.get("state") in (Refund.State.SUCCEEDED, Refund.State.FAILED, Refund.State.CANCELED):
            events.record(order_id=order.pk, kind=f"refund_{cols['state']}", actor_role="system", now=now,
                          data={"refund_id": refund.pk, "arn": cols.get("arn", "")},
                          message=f"Refund of {format_money(refund.amount_minor, refund.currency)} {cols['state']}.")
        news = _news(current, cols)
        for name, value in cols.items():  # the row as written, without reading it back
            setattr(current, name, value)
        if news is not None:  # in this transaction: announced once, with the change (souk/payments/refund_news.py)
            announce([RefundChange(news=news, refund=current, order=order)])
    return current


def _news(current: Refund, cols: dict) -> RefundNews | None:
    """What the buyer should hear about this step: `current` is the locked row before `cols` apply."""
    state = cols.get("state", current.state)
    if state == Refund.State.SUCCEEDED:
        return RefundNews.SUCCEEDED
    if state in (Refund.State.FAILED, Refund.State.CANCELED):
        return RefundNews.FAILED
    if current.flagged_at is None and cols.get("flagged_at") is not None:
        return RefundNews.DELAYED
    return None


LATE_BATCH = 200


def refunds_flag_late(*, now: datetime | None = None, limit: int = LATE_BATCH) -> int:
    """Flags up to `limit` open refunds past their `expected_by` (shown as delayed) and announces each
    as `delayed`, in one transaction. Rows another worker holds are skipped (the next sweep takes
    them); a refund already flagged was announced when it was. Returns how many were flagged."""
    now = now or timezone.now()
    with transaction.atomic():
        late = list(Refund.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("order__store", "order__buyer")
                    .filter(state__in=OPEN_STATES, flagged_at__isnull=True, expected_by__lt=now.date())
                    .order_by("pk")[:limit])
        if not late:
            return 0
        Refund.objects.filter(pk__in=[r.pk for r in late]).update(flagged_at=now, updated_at=now)
        for refund in late:
            refund.flagged_at = refund.updated_at = now
        announce([RefundChange(news=RefundNews.DELAYED, refund=r, order=r.order) for r in late])
    return len(late)


def refunds_due(*, limit: int = 20, now: datetime | None = None) -> int:
    """Sweep: process up to `limit` refunds that are due; flag the late ones. Returns refunds processed."""
    now = now or timezone.now()
    refunds_flag_late(now=now)
    ids = list(Refund.objects.filter(state=Refund.State.PENDING, next_attempt_at__lte=now)
               .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    for refund_id in ids:
        refund_process(refund_id=refund_id, now=now)
    return len(ids)
