"""Cancellations through the service layer: buyer request + seller approve + refund + ledger + restock.

`seed_orders` writes, in bulk, exactly what checkout + `order_pay` leave behind for a
one-line order paid by card: the order (awaiting shipment, paid_at, ship_by), its line,
the stock taken, the captured Payment, the ledger capture entry (gateway clearing ->
escrow) and the timeline events. `souk audit` stays clean through the run.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

STORES = 20
BUYERS = 64
PRICE = 1000
SHIPPING = 299


def seed_catalog() -> None:
    from bench.scenario_checkout import seed

    seed()


def seed_orders(count: int, *, paid: bool, pay_by_offset: timedelta = timedelta(hours=24)) -> None:
    """`count` one-line orders spread over buyers and stores, paid (awaiting shipment) or not."""
    import random

    from django.db import connection, transaction
    from django.utils import timezone

    from souk.accounts.models import User
    from souk.catalog.models import Product
    from souk.ledger.chart import Account, EntryKind
    from souk.ledger.models import JournalEntry, JournalLine
    from souk.orders.models import Order, OrderEvent, OrderLine
    from souk.payments.models import Payment

    now = timezone.now()
    buyers = list(User.objects.filter(email__startswith="bench-buyer").values_list("pk", "email"))
    products = list(Product.objects.values_list("pk", "store_id", "title", "price_minor"))
    rng = random.Random(count)
    address = {"name": "Bench Buyer", "country": "US", "country_area": "CA", "city": "Mountain View",
               "street_address": "1600 Amphitheatre Pkwy", "postal_code": "94043", "phone": "+16502530000"}
    for start in range(0, count, 2000):
        n = min(2000, count - start)
        with transaction.atomic():
            picks = [(rng.choice(buyers), rng.choice(products)) for _ in range(n)]
            orders = Order.objects.bulk_create([
                Order(number=f"{rng.randrange(10**15, 10**16)}", checkout_id=uuid.uuid4(), buyer_id=b[0],
                      store_id=p[1], status="awaiting_shipment" if paid else "awaiting_payment", currency="USD",
                      subtotal_minor=p[3], shipping_minor=SHIPPING, total_minor=p[3] + SHIPPING, item_count=1,
                      title=p[2], shipping_address=address, contact_email=b[1], contact_phone="+16502530000",
                      shipping_method="Standard", shipping_carrier="Souk Post", delivery_min_days=7,
                      delivery_max_days=20, protection_days=60, handling_days=5, pay_by=now + pay_by_offset,
                      paid_at=now if paid else None, ship_by=now + timedelta(days=5) if paid else None,
                      created_at=now, updated_at=now) for b, p in picks])
            OrderLine.objects.bulk_create([
                OrderLine(order_id=o.pk, product_id=p[0], title=p[2], specs=[], unit_price_minor=p[3], quantity=1,
                          line_total_minor=p[3]) for o, (_, p) in zip(orders, picks, strict=True)])
            taken: dict[int, int] = {}
            for _, p in picks:
                taken[p[0]] = taken.get(p[0], 0) + 1
            table = connection.ops.quote_name(Product._meta.db_table)
            with connection.cursor() as cursor:
                cursor.executemany(f"UPDATE {table} SET stock = stock - %s WHERE id = %s",
                                   [(q, pid) for pid, q in taken.items()])
            events = [OrderEvent(order_id=o.pk, kind="order_placed", actor_role="buyer", actor_id=o.buyer_id,
                                 to_status="awaiting_payment", data={}, created_at=now) for o in orders]
            if paid:
                payments = Payment.objects.bulk_create([
                    Payment(order_id=o.pk, method="card", amount_minor=o.total_minor, currency="USD",
                            status="captured", idempotency_key=f"bench-{o.pk}", gateway_ref=f"ch_bench_{o.pk}",
                            attempts=1) for o in orders])
                entries = JournalEntry.objects.bulk_create([
                    JournalEntry(kind=EntryKind.CAPTURE, order_id=o.pk, store_id=o.store_id,
                                 memo=f"payment {pay.pk}") for o, pay in zip(orders, payments, strict=True)])
                JournalLine.objects.bulk_create([
                    line for o, e in zip(orders, entries, strict=True) for line in (
                        JournalLine(entry_id=e.pk, account_id=Account.GATEWAY_CLEARING, order_id=o.pk,
                                    store_id=o.store_id, amount_minor=o.total_minor, currency="USD"),
                        JournalLine(entry_id=e.pk, account_id=Account.ESCROW, order_id=o.pk, store_id=o.store_id,
                                    amount_minor=-o.total_minor, currency="USD"))])
                events += [OrderEvent(order_id=o.pk, kind="pay", actor_role="buyer", actor_id=o.buyer_id,
                                      from_status="awaiting_payment", to_status="awaiting_shipment",
                                      data={"payment_id": pay.pk, "method": "card"}, created_at=now)
                           for o, pay in zip(orders, payments, strict=True)]
            OrderEvent.objects.bulk_create(events)


_PARTITIONS = {"clients": 8}


def client(index: int, deadline: float) -> int:
    """One client: for its share of the paid orders, the buyer asks to cancel and the seller approves."""
    from souk.accounts.models import User
    from souk.cancellations.services import cancellation_request_approve, order_cancel_by_buyer
    from souk.catalog.models import Store
    from souk.orders.models import Order

    users = {u.pk: u for u in User.objects.filter(email__startswith="bench-")}
    owner_of = dict(Store.objects.values_list("pk", "owner_id"))
    todo = [row for row in Order.objects.filter(status="awaiting_shipment").order_by("pk")
            .values_list("pk", "buyer_id", "store_id") if row[0] % _PARTITIONS["clients"] == index]
    done = 0
    for order_id, buyer_id, store_id in todo:
        if time.monotonic() >= deadline:
            break
        order_cancel_by_buyer(buyer=users[buyer_id], order_id=order_id, reason="changed_mind")
        cancellation_request_approve(seller=users[owner_of[store_id]], order_id=order_id)
        done += 1
    return done


def _warm_up() -> None:
    from souk.accounts.models import User
    from souk.cancellations.services import cancellation_request_approve, order_cancel_by_buyer
    from souk.orders.models import Order

    order = Order.objects.filter(status="awaiting_shipment").order_by("-pk").first()
    order_cancel_by_buyer(buyer=User.objects.get(pk=order.buyer_id), order_id=order.pk, reason="changed_mind")
    cancellation_request_approve(seller=order.store.owner, order_id=order.pk)


def statements_per_round_trip() -> tuple[int, int]:
    """SQL statements (incl. BEGIN/COMMIT) of one buyer request and one seller approval, measured on a
    fresh paid order exactly as the clients run them (the request opens the order's conversation)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from souk.accounts.models import User
    from souk.cancellations.services import cancellation_request_approve, order_cancel_by_buyer
    from souk.orders.models import Order

    order = Order.objects.filter(status="awaiting_shipment").order_by("-pk").first()
    buyer, seller = User.objects.get(pk=order.buyer_id), order.store.owner
    with CaptureQueriesContext(connection) as request:
        order_cancel_by_buyer(buyer=buyer, order_id=order.pk, reason="changed_mind")
    with CaptureQueriesContext(connection) as approve:
        cancellation_request_approve(seller=seller, order_id=order.pk)
    return len(request), len(approve)


TITLE = "Souk cancellation: buyer request + seller approve + refund + ledger + restock"


def run(ctx):
    from bench.core import Row
    from souk.ledger.audit import run_audit

    seed_catalog()
    orders = max(2000, int(ctx.seconds * 1500))
    t0 = time.monotonic()
    seed_orders(orders, paid=True)
    ctx.notes.append(f"cancel: {orders:,} paid orders seeded in bulk in {time.monotonic() - t0:.1f}s "
                     f"(what checkout + order_pay leave behind)")
    _PARTITIONS["clients"] = ctx.client_count
    _warm_up()  # imports, templates and caches loaded once, before the client processes fork
    request_n, approve_n = statements_per_round_trip()
    ctx.notes.append(f"cancel: one round trip = buyer request ({request_n} SQL statements incl. BEGIN/COMMIT) + "
                     f"seller approval ({approve_n}); two commits, the task rows (auto-approval timer, refund "
                     "processing, notification delivery) written inside those transactions")
    rate = ctx.clients(client)
    findings = run_audit()
    if findings:
        raise RuntimeError(f"ledger audit failed after the cancel bench: {findings[0]}")
    return [Row(f"cancellation request + approve + refund (service layer, {ctx.client_count} processes)",
                f"{rate:,.0f} /s", ctx.of_pgbench(rate), "≥ 0.20 of pgbench")]
