"""Refunds per second through the service layer, with the ledger and idempotency keys on.

Each operation is one whole refund: `refund_create` (order row locked, idempotency
key checked, escrow read from the ledger, Refund row, balanced `refund_start`
entry, timeline event: one transaction) then `refund_process` (claim with a lease,
the sandbox gateway's own transaction, `refund_settle` entry + state: one
transaction). Orders are paid with Souk balance, which the sandbox settles at
once, so the refund is final when the operation returns. A second row times
`refund_create` alone (what the API answers; the worker settles later).

Orders are seeded in bulk, already paid (payment, sandbox charge and ledger
capture as `order_pay` writes them); each client refunds $1.00 at a time from
its own orders in turn, so a few refunds land on each order, as in real life.
Ledger posting is not batched: every refund writes its own entries in the
transaction of its state change.
"""

from __future__ import annotations

import itertools
import uuid

CLIENT_SLOTS = 16        # enough for --clients up to 16
ORDERS_PER_CLIENT = 300
ORDER_TOTAL_MINOR = 50_000  # $500.00: room for many $1.00 refunds

TITLE = "Souk refunds through the service layer (ledger + idempotency keys)"


def seed() -> None:
    from django.db import transaction
    from django.utils import timezone

    from souk.accounts.models import User
    from souk.catalog.models import Store
    from souk.ledger.chart import Account, EntryKind
    from souk.ledger.models import JournalEntry, JournalLine
    from souk.orders.models import Order
    from souk.payments.models import Payment, SandboxCharge

    now = timezone.now()
    numbers = itertools.count(7_000_000_000_000_000)
    with transaction.atomic():
        sellers = User.objects.bulk_create(
            [User(email=f"bench-refund-seller{i}@example.com", password="!") for i in range(CLIENT_SLOTS)])
        buyers = User.objects.bulk_create(
            [User(email=f"bench-refund-buyer{i}@example.com", password="!") for i in range(CLIENT_SLOTS)])
        stores = Store.objects.bulk_create(
            [Store(owner=u, name=f"Refund store {i}", slug=f"refund-store-{i}", currency="USD", handling_days=5)
             for i, u in enumerate(sellers)])
        orders = Order.objects.bulk_create([
            Order(number=str(next(numbers)), checkout_id=uuid.uuid4(), buyer=buyers[i], store=stores[i],
                  status="awaiting_shipment", currency="USD", subtotal_minor=ORDER_TOTAL_MINOR, shipping_minor=0,
                  total_minor=ORDER_TOTAL_MINOR, item_count=1, title="Bench item", shipping_address={},
                  contact_email="bench@example.com", contact_phone="+16502530000", shipping_method="Standard",
                  delivery_min_days=7, delivery_max_days=20, protection_days=60, handling_days=5, paid_at=now,
                  created_at=now, updated_at=now)
            for i in range(CLIENT_SLOTS) for _ in range(ORDERS_PER_CLIENT)])
        charges = SandboxCharge.objects.bulk_create([
            SandboxCharge(ref=f"ch_bench_{o.pk}", idempotency_key=f"payment-bench-{o.pk}", method="balance",
                          token="tok_balance", amount_minor=ORDER_TOTAL_MINOR, currency="USD", status="captured",
                          captured_minor=ORDER_TOTAL_MINOR) for o in orders])
        Payment.objects.bulk_create([
            Payment(order=o, method="balance", amount_minor=ORDER_TOTAL_MINOR, currency="USD", status="captured",
                    idempotency_key=f"bench-{o.pk}", gateway_ref=c.ref, attempts=1)
            for o, c in zip(orders, charges, strict=True)])
        entries = JournalEntry.objects.bulk_create([
            JournalEntry(kind=EntryKind.CAPTURE, order_id=o.pk, store_id=o.store_id, memo="bench capture")
            for o in orders])
        JournalLine.objects.bulk_create([
            line for o, e in zip(orders, entries, strict=True) for line in (
                JournalLine(entry_id=e.pk, account_id=Account.BUYER_BALANCE, order_id=o.pk, store_id=o.store_id,
                            amount_minor=ORDER_TOTAL_MINOR, currency="USD"),
                JournalLine(entry_id=e.pk, account_id=Account.ESCROW, order_id=o.pk, store_id=o.store_id,
                            amount_minor=-ORDER_TOTAL_MINOR, currency="USD"))])
    from django.db import connection

    with connection.cursor() as cursor:  # like `pgbench -i`: planner statistics after the bulk load
        cursor.execute("ANALYZE")


def _orders_for(index: int) -> list[int]:
    from souk.orders.models import Order

    return list(Order.objects.filter(buyer__email=f"bench-refund-buyer{index % CLIENT_SLOTS}@example.com")
                .order_by("id").values_list("id", flat=True))


def _refund_op(index: int, *, settle: bool):
    from moneyed import Money

    from souk.payments.services import refund_create, refund_process

    order_ids = itertools.cycle(_orders_for(index))
    keys = itertools.count()
    amount = Money("1.00", "USD")
    tag = "s" if settle else "c"

    def op() -> None:
        refund = refund_create(order_id=next(order_ids), amount=amount, reason="bench", actor=None,
                               idempotency_key=f"bench-{tag}-{index}-{next(keys)}")
        if settle:
            done = refund_process(refund_id=refund.pk)
            if done.state != "succeeded":
                raise RuntimeError(f"refund {done.pk} ended {done.state}")

    return op


def _loop(settle: bool):
    import time

    def client(index: int, deadline: float) -> int:
        op = _refund_op(index, settle=settle)
        done = 0
        while time.monotonic() < deadline:
            op()
            done += 1
        return done

    return client


def _client(settle: bool):
    """A preparer if the harness times operations only (bench.harness.per_operation), else a loop."""
    from bench import harness

    per_operation = getattr(harness, "per_operation", None)
    if per_operation is None:
        return _loop(settle)
    return per_operation(lambda index: _refund_op(index, settle=settle))


def statements_per_refund() -> tuple[int, int]:
    """SQL statements of one refund_create and one refund_process (measured, not guessed)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from moneyed import Money

    from souk.payments.services import refund_create, refund_process

    order_id = _orders_for(CLIENT_SLOTS - 1)[-1]
    with CaptureQueriesContext(connection) as create:
        refund = refund_create(order_id=order_id, amount=Money("1.00", "USD"), reason="bench", actor=None,
                               idempotency_key="bench-count")
    with CaptureQueriesContext(connection) as process:
        refund_process(refund_id=refund.pk)
    return len(create), len(process)


def run(ctx):
    from bench.core import Row
    from souk.ledger.audit import run_audit

    seed()
    create_n, process_n = statements_per_refund()
    full = ctx.clients(_client(settle=True))
    create_only = ctx.clients(_client(settle=False))
    findings = run_audit()
    if findings:
        raise RuntimeError(f"ledger audit failed after the refunds bench: {findings[0]}")
    ctx.notes.append(
        f"refunds: one refund = refund_create ({create_n} SQL statements incl. BEGIN/COMMIT) + refund_process "
        f"({process_n}, incl. the sandbox gateway's own transaction); Souk-balance payments settle at once; "
        "ledger entries posted one refund at a time (not batched); `souk audit` clean after the run.")
    return [
        Row(f"refund created + settled (service layer, {ctx.client_count} processes)", f"{full:,.0f} /s",
            ctx.of_pgbench(full), "≥ 0.05 of pgbench (4 commits per refund)"),
        Row(f"refund created only, settled later by the worker ({ctx.client_count} processes)",
            f"{create_only:,.0f} /s", ctx.of_pgbench(create_only), "≥ 0.15 of pgbench"),
    ]
