"""Read pages as orders grow: store metrics, seller card, My Orders, order details, seller dashboard.

Orders are generated set-based (`INSERT ... SELECT ... FROM generate_series`) in
realistic states over a year, spread over many buyers and stores, with one store
taking 30% of them, one heavy buyer (1% of all orders: 10k at 1M) and one light
buyer (10 orders). Each read is timed in-process with Django's test `Client`
(200 requests after a warm-up, the targets taking turns request by request, best
p95 of 3 rounds, so a busy neighbour on the machine does not decide the result; a
trivial endpoint measured alongside shows how much the machine itself drifted) at 10k orders and again after growing the same
database to BENCH_PAGES_ORDERS (default 1M). If growing takes longer than
BENCH_PAGES_BUDGET seconds (default 180), it stops at the size reached and says so.
"""

from __future__ import annotations

import os
import time

SMALL = 10_000
LARGE = int(os.environ.get("BENCH_PAGES_ORDERS", "1000000"))
BUDGET = float(os.environ.get("BENCH_PAGES_BUDGET", "180"))
CHUNK = 100_000
BUYERS = 2000
STORES = 200
REQUESTS, WARMUP, ROUNDS = 200, 20, 3
SLOW_SECONDS = 20.0
YARDSTICK = "yardstick: GET /api/categories (no orders involved)"

TITLE = "Pages as orders grow (store metrics, seller card, My Orders, order details, seller dashboard)"

# 20 slots: 10% awaiting payment, 15% awaiting shipment, 5% awaiting cancellation, 15% awaiting delivery,
# 40% completed, 15% cancelled.
STATUSES = (["awaiting_payment"] * 2 + ["awaiting_shipment"] * 3 + ["awaiting_cancellation"]
            + ["awaiting_delivery"] * 3 + ["completed"] * 8 + ["cancelled"] * 3)

ORDERS_SQL = """
INSERT INTO orders_order (number, checkout_id, buyer_id, store_id, status, currency, subtotal_minor,
    shipping_minor, total_minor, item_count, title, shipping_address, contact_email, contact_phone,
    shipping_option_id, shipping_method, shipping_carrier, delivery_min_days, delivery_max_days, protection_days,
    handling_days, pay_by, ship_by, protection_ends_at, tracking_carrier, tracking_number, paid_at, shipped_at,
    completed_at, cancelled_at, created_at, updated_at)
SELECT (1000000000000000 + g)::text, md5(g::text)::uuid,
       CASE WHEN g <= 10 THEN %(light)s WHEN g %% 100 = 50 THEN %(heavy)s
            ELSE (%(buyers)s::bigint[])[1 + (g * 31) %% %(nbuyers)s] END,
       CASE WHEN g %% 10 < 3 THEN %(big)s ELSE (%(stores)s::bigint[])[1 + (g * 17) %% %(nstores)s] END,
       s.status, 'USD', 1000 + g %% 5000, 299, 1299 + g %% 5000, 1, 'Bench product ' || (g %% 97),
       '{"name": "Bench Buyer", "country": "US"}'::jsonb, 'bench@example.com', '+16502530000', NULL,
       'Standard', 'Souk Post', 7, 20, 60, 5, t.created + interval '24 hours',
       p.paid + interval '5 days', sh.shipped + interval '60 days', sh.carrier, sh.tracking, p.paid, sh.shipped,
       CASE WHEN s.status = 'completed' THEN sh.shipped + interval '12 days' END,
       CASE WHEN s.status = 'cancelled' THEN COALESCE(p.paid + interval '1 day', t.created + interval '25 hours') END,
       t.created, t.created
FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS g
CROSS JOIN LATERAL (SELECT %(now)s::timestamptz - ((g * 7919) %% 31536000) * interval '1 second' AS created) t
CROSS JOIN LATERAL (SELECT (%(statuses)s::text[])[1 + g %% 20] AS status) s
CROSS JOIN LATERAL (SELECT CASE WHEN s.status <> 'awaiting_payment' AND (s.status <> 'cancelled' OR g %% 2 = 0)
                                THEN t.created + interval '1 hour' END AS paid) p
CROSS JOIN LATERAL (SELECT CASE WHEN s.status IN ('awaiting_delivery', 'completed')
                                THEN p.paid + (g %% 7) * interval '1 day' + interval '1 hour' END AS shipped,
                           CASE WHEN s.status IN ('awaiting_delivery', 'completed') THEN 'DHL' ELSE '' END AS carrier,
                           CASE WHEN s.status IN ('awaiting_delivery', 'completed') THEN 'JD' || g ELSE '' END
                                AS tracking) sh
"""

FOLLOW_SQL = [
    # One line and one timeline event per order.
    """INSERT INTO orders_orderline (order_id, product_id, title, specs, unit_price_minor, quantity, line_total_minor)
       SELECT id, NULL, title, '[["Colour", "Red"]]'::jsonb, subtotal_minor, 1, subtotal_minor
       FROM orders_order WHERE id > %(after)s""",
    """INSERT INTO orders_orderevent (order_id, kind, actor_role, actor_id, from_status, to_status, message, data,
                                      created_at)
       SELECT id, 'order_placed', 'buyer', NULL, '', 'awaiting_payment', 'Order placed.', '{}'::jsonb, created_at
       FROM orders_order WHERE id > %(after)s""",
    # Cancellations: a third of paid ones are the seller's fault (out of stock), unpaid ones the buyer's.
    """INSERT INTO cancellations_cancellation (order_id, store_id, request_id, lines, whole_order, actor_role,
                                               actor_id, reason, fault, note, refund_id, refund_minor, restocked,
                                               created_at)
       SELECT id, store_id, NULL, '[]'::jsonb, true,
              CASE WHEN paid_at IS NULL THEN 'system' WHEN id %% 3 = 0 THEN 'seller' ELSE 'buyer' END,
              NULL,
              CASE WHEN paid_at IS NULL THEN 'payment_not_completed' WHEN id %% 3 = 0 THEN 'out_of_stock'
                   ELSE 'changed_mind' END,
              CASE WHEN paid_at IS NULL OR id %% 3 <> 0 THEN 'buyer' ELSE 'seller' END,
              '', NULL, 0, false, cancelled_at
       FROM orders_order WHERE id > %(after)s AND status = 'cancelled'""",
    # Paid, cancelled orders: a captured payment and a settled refund (minutes to 20 days).
    """INSERT INTO payments_payment (order_id, method, amount_minor, currency, status, idempotency_key, gateway_key,
                                     token_digest, gateway_ref, decline_code, failure_message, attempts, review_by,
                                     created_at, updated_at)
       SELECT id, 'card', total_minor, currency, 'captured', 'bench-pay-' || id, 'bench-payment-' || id, '',
              'ch_' || id, '', '', 1, NULL, paid_at, paid_at
       FROM orders_order WHERE id > %(after)s AND status = 'cancelled' AND paid_at IS NOT NULL""",
    """INSERT INTO payments_refund (order_id, payment_id, amount_minor, currency, method, state, reason, lines,
                                    idempotency_key, requested_by_id, expected_by, gateway_ref, arn, attempts,
                                    next_attempt_at, last_error, flagged_at, created_at, updated_at, settled_at)
       SELECT o.id, p.id, o.total_minor, o.currency, 'card', 'succeeded', 'out_of_stock', '[]'::jsonb,
              'bench-refund-' || o.id, NULL, (o.cancelled_at + interval '20 days')::date, 're_' || o.id, '', 1,
              NULL, '', NULL, o.cancelled_at, o.cancelled_at,
              o.cancelled_at + (o.id %% 20) * interval '1 day' + (o.id %% 60) * interval '1 minute'
       FROM orders_order o JOIN payments_payment p ON p.order_id = o.id
       WHERE o.id > %(after)s AND o.status = 'cancelled'""",
    # A third of completed orders get a review (mostly positive) the day after completion.
    """INSERT INTO reputation_review (order_id, store_id, buyer_id, overall, item_as_described, communication,
                                      shipping_speed, text, created_at, reply_text, replied_at)
       SELECT id, store_id, buyer_id,
              CASE id %% 10 WHEN 0 THEN 1 WHEN 1 THEN 2 WHEN 2 THEN 3 WHEN 3 THEN 4 ELSE 5 END,
              1 + (id * 7) %% 5, 3 + id %% 3, 2 + id %% 4, 'Fine.', completed_at + interval '1 day', '', NULL
       FROM orders_order WHERE id > %(after)s AND status = 'completed' AND id %% 3 = 0""",
]


def seed() -> dict:
    from souk.accounts.models import User
    from souk.accounts.tokens import token_create
    from souk.catalog.models import Product, ShippingOption, ShippingRate, Store

    sellers = User.objects.bulk_create([User(email=f"pages-seller{i}@example.com", password="!")
                                        for i in range(STORES)])
    stores = Store.objects.bulk_create([Store(owner=u, name=f"Pages store {i}", slug=f"pages-store-{i}",
                                              currency="USD", handling_days=5) for i, u in enumerate(sellers)])
    options = ShippingOption.objects.bulk_create([ShippingOption(store=s, name="Standard", carrier="Souk Post")
                                                  for s in stores])
    ShippingRate.objects.bulk_create([ShippingRate(option=o, country="", cost_minor=299, min_days=7, max_days=20)
                                      for o in options])
    Product.objects.bulk_create([Product(store=s, title=f"Bench product {s.pk}", slug="p", price_minor=1000,
                                         currency="USD", stock=1000) for s in stores])
    buyers = User.objects.bulk_create([User(email=f"pages-buyer{i}@example.com", password="!")
                                       for i in range(BUYERS + 2)])
    heavy, light = buyers[-2], buyers[-1]
    big = stores[0]
    return {"heavy": heavy, "light": light, "big": big,
            "params": {"heavy": heavy.pk, "light": light.pk, "big": big.pk,
                       "buyers": [b.pk for b in buyers[:-2]], "nbuyers": BUYERS,
                       "stores": [s.pk for s in stores[1:]], "nstores": STORES - 1, "statuses": STATUSES},
            "tokens": {u.pk: token_create(user=u, name="bench")[1] for u in (heavy, light, big.owner)}}


def grow(world: dict, *, start: int, end: int, deadline: float | None = None) -> int:
    """Adds orders numbered start..end (with lines, events, cancellations, refunds, reviews); returns the last."""
    from django.db import connection, transaction
    from django.utils import timezone

    done = start - 1
    while done < end and (deadline is None or time.monotonic() < deadline):
        hi = min(end, done + CHUNK)
        t0 = time.monotonic()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SELECT COALESCE(MAX(id), 0) FROM orders_order")
            after = cur.fetchone()[0]
            cur.execute(ORDERS_SQL, {**world["params"], "lo": done + 1, "hi": hi, "now": timezone.now()})
            t1 = time.monotonic()
            for sql in FOLLOW_SQL:
                cur.execute(sql, {"after": after})
        done = hi
        print(f"    {done:,} orders (orders {t1 - t0:.1f}s, the rest {time.monotonic() - t1:.1f}s)", flush=True)
    t0 = time.monotonic()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    from souk.reputation.stats import rebuild_stats

    rebuild_stats()
    with connection.cursor() as cur:  # what autovacuum does after a bulk rewrite, done now
        cur.execute("VACUUM ANALYZE reputation_storedailystats")
        cur.execute("VACUUM ANALYZE reputation_refundfact")
    print(f"    analyze + rebuild_stats {time.monotonic() - t0:.1f}s", flush=True)
    return done


def p95s_ms(fns: dict) -> dict[str, float]:
    """p95 of each call, in ms. The calls take turns (one request of each, again and again), so a
    change in the machine's load during the measurement hits every target alike; best of ROUNDS."""
    for fn in fns.values():
        for _ in range(WARMUP):
            fn()
    best = dict.fromkeys(fns, float("inf"))
    spent = dict.fromkeys(fns, 0.0)
    for _ in range(ROUNDS):
        # A target that already took SLOW_SECONDS keeps its first round's p95 (a slow page would
        # otherwise hold the whole benchmark for minutes).
        active = {name: fn for name, fn in fns.items() if best[name] == float("inf") or spent[name] < SLOW_SECONDS}
        times: dict[str, list[float]] = {name: [] for name in active}
        for _ in range(REQUESTS):
            for name, fn in active.items():
                t = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t)
        for name, samples in times.items():
            spent[name] += sum(samples)
            samples.sort()
            best[name] = min(best[name], samples[int(0.95 * REQUESTS) - 1] * 1000)
    return best


def targets(world: dict) -> dict:
    from django.test import Client

    from souk.orders.models import Order
    from souk.reputation.selectors import seller_card, store_metrics

    big, heavy, light = world["big"], world["heavy"], world["light"]

    def api(user):
        return Client(headers={"Authorization": f"Bearer {world['tokens'][user.pk]}"})

    def page(user):
        client = Client()
        client.force_login(user)
        return client

    heavy_api, light_api, seller_api = api(heavy), api(light), api(big.owner)
    heavy_page, light_page = page(heavy), page(light)
    newest = Order.objects.filter(buyer=heavy).order_by("-created_at", "-id").values_list("number", flat=True)[0]

    def get(client, url):
        def call():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code, response.content[:300])
        return call

    return {
        YARDSTICK: get(Client(), "/api/categories"),
        "store metrics (selector)": lambda: store_metrics(store_id=big.pk),
        "GET /api/stores/{slug}/metrics": get(Client(), f"/api/stores/{big.slug}/metrics"),
        "seller card (selector)": lambda: seller_card(store_id=big.pk),
        "GET /api/orders, heavy buyer": get(heavy_api, "/api/orders"),
        "GET /api/orders, light buyer": get(light_api, "/api/orders"),
        "page /orders/, heavy buyer": get(heavy_page, "/orders/"),
        "page /orders/, light buyer": get(light_page, "/orders/"),
        "GET /api/orders/{number}, heavy buyer": get(heavy_api, f"/api/orders/{newest}"),
        "GET /api/seller/orders, big store": get(seller_api, "/api/seller/orders"),
    }


def count_queries(fn) -> int:
    """SQL statements one call runs (an execute wrapper: the test Client's request_started resets
    `connection.queries`, so CaptureQueriesContext would see none)."""
    from django.db import connection

    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        fn()
    return len(seen)


def measure(world: dict) -> dict[str, tuple[float, int]]:
    fns = targets(world)
    p95s = p95s_ms(fns)
    out = {}
    for name, fn in fns.items():
        out[name] = (p95s[name], count_queries(fn))
        print(f"    {name}: p95 {out[name][0]:.2f} ms, {out[name][1]} queries", flush=True)
    return out


SWEEP_EVENTS = 2000


def sweep_seconds() -> tuple[float, int]:
    """Times the stats sweep over SWEEP_EVENTS new timeline events on the most recent orders. Its
    cost follows the events and the orders of the days they touch (denser days when the same year
    holds 100× the orders), never the whole history."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from souk.reputation.stats import rollup_events

    now = timezone.now()
    with connection.cursor() as cur:
        cur.execute("""INSERT INTO orders_orderevent (order_id, kind, actor_role, actor_id, from_status, to_status,
                                                      message, data, created_at)
                       SELECT id, 'note', 'system', NULL, '', '', 'bench', '{}'::jsonb, %(at)s
                       FROM orders_order ORDER BY created_at DESC LIMIT %(n)s""",
                    {"at": now - timedelta(minutes=5), "n": SWEEP_EVENTS})
    started = time.perf_counter()
    read = 0
    while batch := rollup_events(settle_seconds=0):
        read += batch
    return time.perf_counter() - started, read


def run(ctx):
    from bench.core import Row

    world = seed()
    started = time.monotonic()
    grow(world, start=1, end=SMALL)
    print(f"  {SMALL:,} orders in {time.monotonic() - started:.1f}s; measuring ...", flush=True)
    small = measure(world)
    small_sweep = sweep_seconds()
    started = time.monotonic()
    reached = grow(world, start=SMALL + 1, end=LARGE, deadline=started + BUDGET)
    took = time.monotonic() - started
    print(f"  grown to {reached:,} orders in {took:.1f}s; measuring ...", flush=True)
    large = measure(world)
    large_sweep = sweep_seconds()
    label = f"{reached // 1000:,}k" if reached < 1_000_000 else f"{reached / 1_000_000:g}M"
    short = "" if reached >= LARGE else f" (stopped at {label}: the {BUDGET:.0f}s generation budget ran out)"
    rows = []
    for name, (p_small, q_small) in small.items():
        p_large, q_large = large[name]
        ratio = p_large / p_small
        if name == YARDSTICK:
            rows.append(Row(f"{name}: p95 at 10k → {label}", f"{p_small:.2f} → {p_large:.2f} ms",
                            f"{ratio:.2f}× ({label} / 10k)", "≈ 1× (the machine's drift between the passes)"))
            continue
        rows.append(Row(f"{name}: p95 at 10k → {label} orders{short}",
                        f"{p_small:.2f} → {p_large:.2f} ms; {q_small} → {q_large} queries",
                        f"{ratio:.2f}× ({label} / 10k)", "≤ 1.2×"))
    rows.append(Row(f"stats sweep: the newest {SWEEP_EVENTS:,} timeline events rolled up, at 10k → {label} orders",
                    f"{small_sweep[0] * 1000:.0f} → {large_sweep[0] * 1000:.0f} ms "
                    f"({small_sweep[1]:,} → {large_sweep[1]:,} events)",
                    f"{large_sweep[0] / small_sweep[0]:.2f}× ({label} / 10k)",
                    "background work: grows with orders per touched day, not with history"))
    for kind in ("GET /api/orders", "page /orders/"):
        heavy, light = large[f"{kind}, heavy buyer"][0], large[f"{kind}, light buyer"][0]
        rows.append(Row(f"{kind}: heavy buyer ({reached // 100:,} orders) vs light buyer (10) at {label}",
                        f"{heavy:.2f} vs {light:.2f} ms", f"{heavy / light:.2f}× (heavy / light)", "≤ 1.2×"))
    ctx.notes.append(f"pages: orders generated set-based; 10k orders in the first pass, grown to {reached:,} in "
                     f"{took:.0f}s (30% in one store, 1% for the heavy buyer); p95 is the best of {ROUNDS} rounds "
                     f"of {REQUESTS} in-process requests after {WARMUP} warm-up requests (one round only for a "
                     f"target slower than {SLOW_SECONDS:.0f}s a round); the targets take turns request by "
                     f"request; the yardstick row shows how much the machine itself drifted between the "
                     f"passes; store metrics read souk.reputation's daily stats, rebuilt (set-based) and "
                     f"vacuumed after each growth step.")
    return rows
