"""The composed one-statement path (PostgreSQL) against the locked ORM path it stands in for.

Same inputs, two paths, each in a transaction rolled back afterwards: the same orders (every field
but id, number, checkout id and updated_at), the same lines, the same timeline events, the same
stock left, the same payment-window timer row, the same errors. On SQLite only the locked path
runs: there it is held to the same expectations.

Then each owner's part against the ORM function it stands in for (accounts' address, catalog's
purchase facts and stock reservation, compliance's customs rules, the timeline's bulk writer), and
the task row against what `task.enqueue()` writes, and the worker running it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from souk.catalog.models import Category, Product
from souk.checkout import fast
from souk.checkout.services import CheckoutLine, checkout
from souk.compliance.models import CustomsRule
from souk.core.errors import DomainError
from souk.orders.models import Order, OrderEvent, OrderLine
from tests.factories import (
    AddressFactory,
    CategoryFactory,
    ProductFactory,
    ProductSpecFactory,
    ShippingOptionFactory,
    ShippingRateFactory,
    UserFactory,
)
from tests.orders.conftest import shop

NOW = timezone.now().replace(microsecond=0) - timedelta(minutes=5)
IS_POSTGRES = connection.vendor == "postgresql"
ORDER_SKIP = {"id", "number", "checkout_id", "updated_at"}
TASK_SKIP = {"id", "enqueued_at"}


@pytest.fixture
def world(buyer):
    """Two stores; store A has a second product with two specs and ships worldwide; store B (EUR)
    has a rate for the buyer's country (US) besides its rest-of-world one."""
    store_a, gadget, option_a = shop(name="Alpha Gadgets")
    cable = ProductFactory(store=store_a, price_minor=450, stock=30, title="Cable")
    ProductSpecFactory(product=cable, name="Length", value="2 m")
    ProductSpecFactory(product=cable, name="Colour", value="Black")
    store_b, book, option_b = shop(name="Beta Books", currency="EUR", price=1250, rate=500, handling_days=3)
    ShippingRateFactory(option=option_b, country="US", cost_minor=150, min_days=3, max_days=6)
    return {"buyer": buyer, "address": buyer.addresses.get().pk, "gadget": gadget, "cable": cable,
            "book": book, "shipping": {store_a.pk: option_a.pk, store_b.pk: option_b.pk}}


def _order_row(order: Order) -> dict:
    return {f.attname: getattr(order, f.attname) for f in Order._meta.concrete_fields}


def _outcome(orders: list[Order] | None, error: DomainError | None) -> dict:
    """Everything the checkout left behind (before its transaction is rolled back), without ids."""
    saved = {o.pk: o for o in Order.objects.order_by("pk")}
    store_of = {pk: o.store_id for pk, o in saved.items()}

    def by_store(row: dict) -> dict:
        kept = {k: v for k, v in row.items() if k not in ("id", "order_id")}
        return {**kept, "store": store_of[row["order_id"]]}

    out: dict = {
        "error": None if error is None else (type(error).__name__, error.code, error.message,
                                             [e.as_dict() for e in error.errors]),
        "stock": dict(Product.objects.order_by("pk").values_list("pk", "stock")),
        "orders": [{k: v for k, v in _order_row(o).items() if k not in ORDER_SKIP} for o in saved.values()],
        "lines": [by_store(row) for row in OrderLine.objects.order_by("order_id", "id").values()],
        "events": [by_store(row) for row in OrderEvent.objects.order_by("order_id", "id").values()],
        "timers": [{k: v for k, v in row.items() if k not in TASK_SKIP}
                   for row in DBTaskResult.objects.order_by("task_path").values()],
    }
    if orders:
        # What checkout returns is exactly what it saved, ids and numbers included.
        assert [_order_row(o) for o in orders] == [_order_row(saved[o.pk]) for o in orders]
        assert [o.pk for o in orders] == sorted(o.pk for o in orders)  # ids in the orders' order
        checkout_ids = {o.checkout_id for o in orders}
        assert len(checkout_ids) == 1
        for event in out["events"]:  # the event names the checkout; compare it as such
            assert event["data"] == {"checkout_id": str(orders[0].checkout_id)}
            event["data"] = {"checkout_id": "<the checkout>"}
        for timer in out["timers"]:  # the timer's args are the orders' ids: compare them by store
            assert timer["args_kwargs"]["args"] == [o.pk for o in orders]
            args = [store_of[i] for i in timer["args_kwargs"]["args"]]
            timer["args_kwargs"] = {**timer["args_kwargs"], "args": args}
    return out


def _run(path: str, monkeypatch, call, *, between=None) -> dict:
    """Run `call()` on `path` ("fast" or "locked") and describe what it did, then undo it all.
    `between` happens, on the fast path, between its read and its write."""
    used = []
    real_write = fast.write

    def spy_write(*args, **kwargs):
        written = real_write(*args, **kwargs)
        used.append(written)
        return written

    with monkeypatch.context() as m:
        m.setattr(fast, "write", spy_write)
        if path == "locked":
            m.setattr(fast, "place", lambda **kwargs: None)
        elif between is not None:
            real_read = fast.read

            def read_then_change(*args, **kwargs):
                facts = real_read(*args, **kwargs)
                between()
                return facts

            m.setattr(fast, "read", read_then_change)
        with transaction.atomic():
            if path == "locked" and between is not None:
                between()
            try:
                orders, error = call(), None
            except DomainError as exc:
                orders, error = None, exc
            outcome = _outcome(orders, error)
            outcome["fast_write"] = used
            transaction.set_rollback(True)
    return outcome


def _both(monkeypatch, call, *, between=None) -> dict:
    """The locked path's outcome; on PostgreSQL, after checking the fast path's is the same."""
    locked = _run("locked", monkeypatch, call, between=between)
    assert locked.pop("fast_write") == []
    if IS_POSTGRES:
        composed = _run("fast", monkeypatch, call, between=between)
        wrote = composed.pop("fast_write")
        assert composed == locked
        locked["fast_write"] = wrote
    return locked


def _checkout(w, *lines, address=None, now=NOW):
    address_id = w["address"] if address is None else address
    return lambda: checkout(buyer=w["buyer"], address_id=address_id, now=now, shipping=w["shipping"],
                            lines=[CheckoutLine(p.pk, q) for p, q in lines])


def test_two_stores_three_lines_write_the_same_rows_on_both_paths(world, monkeypatch):
    w = world
    out = _both(monkeypatch, _checkout(w, (w["cable"], 2), (w["book"], 1), (w["gadget"], 3)))
    if IS_POSTGRES:
        assert out["fast_write"] == [True]  # the composed statement did write
    a, b = w["gadget"].store_id, w["book"].store_id
    assert [(o["store_id"], o["subtotal_minor"], o["shipping_minor"], o["item_count"], o["title"])
            for o in out["orders"]] == [(a, 450 * 2 + 1999 * 3, 299, 5, "Cable"),
                                        (b, 1250, 150, 1, w["book"].title)]
    assert [o["pay_by"] for o in out["orders"]] == [NOW + timedelta(hours=24)] * 2
    assert [(ln["store"], ln["product_id"], ln["specs"], ln["quantity"]) for ln in out["lines"]] == [
        (a, w["cable"].pk, [["Length", "2 m"], ["Colour", "Black"]], 2),
        (a, w["gadget"].pk, [["Colour", "Red"]], 3),
        (b, w["book"].pk, [["Colour", "Red"]], 1)]
    assert [(e["store"], e["kind"], e["actor_id"], e["to_status"], e["created_at"])
            for e in out["events"]] == [(a, "order_placed", w["buyer"].pk, "awaiting_payment", NOW),
                                        (b, "order_placed", w["buyer"].pk, "awaiting_payment", NOW)]
    assert out["stock"][w["cable"].pk] == 28 and out["stock"][w["gadget"].pk] == 97
    [timer] = out["timers"]
    assert (timer["task_path"], timer["args_kwargs"], timer["run_after"], timer["status"]) == (
        "souk.cancellations.tasks.expire_payment_window", {"args": [a, b], "kwargs": {}},
        NOW + timedelta(hours=24), "READY")


def _refused(out: dict) -> tuple:
    """The error, and that nothing was written."""
    assert out["orders"] == out["lines"] == out["events"] == out["timers"] == []
    return out["error"][:2] + (tuple(e["field"] for e in out["error"][3]),)


def test_out_of_stock_is_the_same_error_and_writes_nothing(world, monkeypatch):
    w = world
    Product.objects.filter(pk=w["book"].pk).update(stock=1)
    out = _both(monkeypatch, _checkout(w, (w["gadget"], 1), (w["book"], 2)))
    assert _refused(out) == ("OutOfStock", "out_of_stock", ("lines[1].quantity",))
    assert out["error"][2] == f"Only 1 of “{w['book'].title}” left."


def test_stock_sold_between_read_and_write_is_the_same_error(world, monkeypatch):
    w = world
    out = _both(monkeypatch, _checkout(w, (w["gadget"], 1), (w["book"], 2)),
                between=lambda: Product.objects.filter(pk=w["book"].pk).update(stock=1))
    assert _refused(out) == ("OutOfStock", "out_of_stock", ("lines[1].quantity",))
    if IS_POSTGRES:
        assert out["fast_write"] == [False]  # the statement's stock guard undid it; the locked path answered
    assert out["stock"][w["book"].pk] == 1 and out["stock"][w["gadget"].pk] == 100


def test_an_inactive_product_is_the_same_error(world, monkeypatch):
    w = world
    Product.objects.filter(pk=w["cable"].pk).update(is_active=False)
    out = _both(monkeypatch, _checkout(w, (w["gadget"], 1), (w["cable"], 1)))
    assert _refused(out)[0::2] == ("ValidationFailed", ("lines[1].product_id",))
    assert out["error"][3] == [{"field": "lines[1].product_id", "code": "product_unavailable",
                                "message": "This product is not for sale."}]


def test_a_product_repriced_between_read_and_write_is_sold_at_the_new_price_on_both(world, monkeypatch):
    w = world
    out = _both(monkeypatch, _checkout(w, (w["gadget"], 2)),
                between=lambda: Product.objects.filter(pk=w["gadget"].pk).update(price_minor=2500))
    if IS_POSTGRES:
        assert out["fast_write"] == [False]  # refused at the old price, then the locked path
    assert out["error"] is None
    assert [(o["subtotal_minor"], o["total_minor"]) for o in out["orders"]] == [(5000, 5299)]
    assert [ln["unit_price_minor"] for ln in out["lines"]] == [2500]


def test_an_unknown_or_someone_elses_address_is_the_same_error(world, monkeypatch):
    w = world
    other = AddressFactory(user=UserFactory()).pk
    for address in (other, 10**12, 2**70):
        out = _both(monkeypatch, _checkout(w, (w["gadget"], 1), address=address))
        assert _refused(out) == ("NotFound", "address_not_found", ("address_id",))


@pytest.mark.parametrize("rule", ["identical_item_limit", "declared_value_limit", "prohibited_category"])
def test_a_customs_refusal_is_the_same_error(world, monkeypatch, rule):
    w = world
    category = CategoryFactory(slug="batteries", name="Batteries")
    Product.objects.filter(pk=w["gadget"].pk).update(category=category)
    params = {"identical_item_limit": {"max_quantity": 2},
              "declared_value_limit": {"limit_minor": 4000, "currency": "USD"},
              "prohibited_category": {"category": category}}[rule]
    CustomsRule.objects.create(country="US", kind=rule, created_at=NOW, **params)
    CustomsRule.objects.create(country="FR", kind="identical_item_limit", max_quantity=1, created_at=NOW)
    out = _both(monkeypatch, _checkout(w, (w["book"], 1), (w["gadget"], 3)))
    assert _refused(out)[:2] == ("ValidationFailed", "customs_restriction")
    assert out["error"][3][0]["field"] == "lines[1].product_id"


def test_no_rule_for_the_destination_lets_it_through_on_both(world, monkeypatch):
    w = world
    CustomsRule.objects.create(country="FR", kind="identical_item_limit", max_quantity=1, created_at=NOW)
    CustomsRule.objects.create(country="US", kind="identical_item_limit", max_quantity=1, active=False,
                               created_at=NOW)
    out = _both(monkeypatch, _checkout(w, (w["gadget"], 3)))
    assert out["error"] is None and len(out["orders"]) == 1


# --- Each owner's part against its ORM function (PostgreSQL) -------------------------------------

postgres_only = pytest.mark.postgres


def _read(*parts, params):
    from souk.core.sql import Statement, prepared_cursor

    statement = Statement(*parts)
    with prepared_cursor() as cursor:
        cursor.execute(statement.sql, statement.params(params))
        return statement.values(cursor.fetchone())


@postgres_only
def test_the_address_part_reads_what_address_snapshot_reads(world):
    from souk.accounts import selectors

    buyer = world["buyer"]
    other = AddressFactory(user=UserFactory(), company_name="ACME", city_area="Soho").pk
    for user_id, address_id in ((buyer.pk, world["address"]), (buyer.pk, other), (buyer.pk, 10**12)):
        params = selectors.address_snapshot_params(user_id=user_id, address_id=address_id)
        values = _read(selectors.address_snapshot_part("address"), params={"address": params})
        assert selectors.address_snapshot_from(values["address"]) == selectors.address_snapshot(
            user_id=user_id, address_id=address_id)
    assert selectors.address_snapshot(user_id=buyer.pk, address_id=world["address"])["country"] == "US"


@postgres_only
def test_the_catalog_parts_read_what_the_purchase_functions_read(world):
    from souk.accounts import selectors
    from souk.catalog import purchase

    w = world
    Product.objects.filter(pk=w["cable"].pk).update(is_active=False)
    inactive = ShippingOptionFactory(store=w["gadget"].store, is_active=False)
    nowhere = ShippingOptionFactory(store=w["gadget"].store)
    ShippingRateFactory(option=nowhere, country="FR")
    product_ids = [w["book"].pk, w["cable"].pk, w["gadget"].pk, 10**12]
    option_ids = [*w["shipping"].values(), inactive.pk, nowhere.pk, 10**12]
    values = _read(selectors.address_snapshot_part("address"), purchase.products_part("products"),
                   purchase.shipping_part("shipping", country_from="address"), purchase.specs_part("specs"),
                   params={"address": selectors.address_snapshot_params(user_id=w["buyer"].pk,
                                                                        address_id=w["address"]),
                           "products": purchase.products_params(product_ids),
                           "shipping": purchase.shipping_params(option_ids),
                           "specs": purchase.specs_params(product_ids)})
    assert purchase.products_from(values["products"]) == purchase.products_for_purchase(product_ids)
    assert purchase.shipping_from(values["shipping"]) == purchase.shipping_for_purchase(option_ids,
                                                                                        country="US")
    assert purchase.specs_from(values["specs"]) == purchase.specs_for_purchase(product_ids)
    assert purchase.specs_for_purchase(product_ids)[w["cable"].pk] == [["Length", "2 m"], ["Colour", "Black"]]


@postgres_only
def test_the_customs_part_reads_what_customs_rules_for_reads(world):
    from souk.accounts import selectors as accounts
    from souk.compliance import selectors
    from souk.compliance.services.customs import customs_rules_from, customs_rules_part

    def read_rules():
        params = accounts.address_snapshot_params(user_id=world["buyer"].pk, address_id=world["address"])
        values = _read(accounts.address_snapshot_part("address"),
                       customs_rules_part("rules", country_from="address"), params={"address": params})
        return customs_rules_from(values["rules"], country="US")

    assert read_rules() == selectors.customs_rules_for("US") == []
    CustomsRule.objects.create(country="US", kind="identical_item_limit", max_quantity=2, note="per parcel",
                               created_at=NOW)
    CustomsRule.objects.create(country="US", kind="declared_value_limit", limit_minor=4000, currency="USD",
                               created_at=NOW)
    CustomsRule.objects.create(country="US", kind="identical_item_limit", max_quantity=1, active=False,
                               created_at=NOW)
    CustomsRule.objects.create(country="FR", kind="identical_item_limit", max_quantity=1, created_at=NOW)
    assert read_rules() == selectors.customs_rules_for("US")
    assert len(read_rules()) == 2
    CustomsRule.objects.create(country="US", kind="prohibited_category", created_at=NOW,
                               category=Category.objects.create(name="Batteries", slug="batteries"))
    assert read_rules() == selectors.customs_rules_for("US")
    assert read_rules()[-1].category_name == "Batteries"


@postgres_only
def test_the_stock_part_takes_what_stock_reserve_takes_all_or_nothing(world):
    from django.db import DataError

    from souk.catalog.stock import stock_reserve, stock_reserve_part, stock_reserve_part_params
    from souk.core.sql import Part, Statement, prepared_cursor

    w = world
    ids = [w["gadget"].pk, w["cable"].pk]
    statement = Statement(stock_reserve_part("reserved"), Part("done", "SELECT count(*) AS n FROM reserved",
                                                               columns=("n",), needs=("reserved",)),
                          result="done")

    def by_part(wanted):
        params = statement.params({"reserved": stock_reserve_part_params(wanted)})
        with transaction.atomic(), prepared_cursor() as cursor:
            cursor.execute(statement.sql, params)
            return cursor.fetchall()

    def left():
        return dict(Product.objects.filter(pk__in=ids).values_list("pk", "stock"))

    start = left()
    assert stock_reserve([(w["gadget"].pk, 3), (w["cable"].pk, 2)]) == set(ids)
    by_orm = left()
    Product.objects.filter(pk=w["gadget"].pk).update(stock=start[w["gadget"].pk])
    Product.objects.filter(pk=w["cable"].pk).update(stock=start[w["cable"].pk])
    assert by_part([(w["gadget"].pk, 3, 1999), (w["cable"].pk, 2, 450)]) == [(2, 1)]
    assert left() == by_orm
    # Short of one product: stock_reserve takes the other; the part takes nothing and fails the statement.
    with pytest.raises(DataError) as failed:
        by_part([(w["gadget"].pk, 1, 1999), (w["cable"].pk, 29, 450)])
    assert statement.failed_guard(failed.value) == "reserved"
    assert left() == by_orm
    assert stock_reserve([(w["gadget"].pk, 1), (w["cable"].pk, 29)]) == {w["gadget"].pk}
    # Nor at another price than the product's now, nor a product no longer on sale.
    with pytest.raises(DataError):
        by_part([(w["gadget"].pk, 1, 1998)])
    Product.objects.filter(pk=w["cable"].pk).update(is_active=False)
    with pytest.raises(DataError):
        by_part([(w["cable"].pk, 1, 450)])
    assert left() == {w["gadget"].pk: by_orm[w["gadget"].pk] - 1, w["cable"].pk: by_orm[w["cable"].pk]}


@postgres_only
def test_the_timelines_bulk_writer_part_writes_what_record_many_and_record_write(world):
    from souk.core.sql import Part, Statement, prepared_cursor
    from souk.orders import events

    orders = checkout(buyer=world["buyer"], address_id=world["address"], now=NOW, shipping=world["shipping"],
                      lines=[CheckoutLine(world["gadget"].pk, 1), CheckoutLine(world["book"].pk, 1)])
    ids = [o.pk for o in orders]
    OrderEvent.objects.all().delete()
    event = {"kind": "protection_extended", "actor_role": "seller", "actor": world["buyer"], "message": "x" * 300,
             "data": {"n": 1, "nested": {"a": [1, 2]}}, "from_status": "awaiting_payment", "to_status": "",
             "now": NOW}
    for order_id in ids:
        events.record(order_id=order_id, **event)
    events.record_many(order_ids=ids, **event)
    some_orders = Part("some_orders", "SELECT id FROM orders_order WHERE id = ANY(%s)", columns=("id",))
    statement = Statement(some_orders, events.record_many_part("noted", orders="some_orders"), result="noted")
    with transaction.atomic(), prepared_cursor() as cursor:
        cursor.execute(statement.sql, statement.params({"some_orders": (ids,),
                                                        "noted": events.record_many_params(**event)}))
    for bulk in (lambda: events.record_many(order_ids=ids, **{**event, "kind": "note_added"}),
                 lambda: events.record_many_params(**{**event, "kind": "note_added"})):
        with pytest.raises(ValueError, match="not an order event kind"):  # as record refuses it
            bulk()
    rows = list(OrderEvent.objects.order_by("id").values())
    written = [{k: v for k, v in row.items() if k != "id"} for row in rows]
    by_record, by_many, by_part = written[:2], written[2:4], written[4:]
    assert by_record == by_many == by_part
    assert by_part[0]["message"] == "x" * 240 and by_part[0]["actor_id"] == world["buyer"].pk


# --- The payment-window task row -----------------------------------------------------------------

@postgres_only
@pytest.mark.django_db(transaction=True)  # the worker closes its connection, as a real one does; and
def test_the_timer_row_the_statement_writes_is_the_row_enqueue_writes_and_the_worker_runs_it(world):
    from souk.cancellations.tasks import expire_payment_window

    w = world  # no transaction around the checkout: its one statement is its own transaction
    past = timezone.now() - timedelta(hours=25)  # the payment window is already over
    orders = checkout(buyer=w["buyer"], address_id=w["address"], now=past, shipping=w["shipping"],
                      lines=[CheckoutLine(w["gadget"].pk, 1), CheckoutLine(w["book"].pk, 1)])
    [by_statement] = DBTaskResult.objects.all()
    result = expire_payment_window.using(run_after=orders[0].pay_by).enqueue(*[o.pk for o in orders])
    by_enqueue = DBTaskResult.objects.get(pk=result.id)

    def fields(row):
        return {f.attname: getattr(row, f.attname) for f in DBTaskResult._meta.concrete_fields
                if f.attname not in TASK_SKIP}

    assert fields(by_statement) == fields(by_enqueue)
    assert fields(by_statement)["args_kwargs"] == {"args": [o.pk for o in orders], "kwargs": {}}
    assert by_statement.enqueued_at <= by_enqueue.enqueued_at
    by_enqueue.delete()

    call_command("worker", batch=True, no_sweeps=True, verbosity=0)
    by_statement.refresh_from_db()
    assert by_statement.status == "SUCCESSFUL" and by_statement.return_value == 2
    statuses = Order.objects.filter(pk__in=[o.pk for o in orders]).values_list("status", flat=True)
    assert set(statuses) == {"cancelled"}


@postgres_only
def test_a_task_row_without_run_after_or_with_kwargs_is_the_row_enqueue_writes(db):
    from souk.cancellations.tasks import auto_approve_request, notify_cancellations
    from souk.core.sql import Part, Statement, prepared_cursor
    from souk.core.task_rows import TaskRow, embeddable, task_row_part

    def fields(row):
        return {f.attname: getattr(row, f.attname) for f in DBTaskResult._meta.concrete_fields
                if f.attname not in TASK_SKIP}

    cases = [(notify_cancellations, "'[]'::json", [], {}),
             (auto_approve_request, "'[]'::json", [], {"request_id": 7}),
             (auto_approve_request.using(run_after=NOW, priority=5), "json_build_array(41)", [41], {})]
    for task, args_sql, args, kwargs in cases:
        assert embeddable(task)
        done = Part("done", "SELECT id FROM timer", columns=("id",), needs=("timer",))
        statement = Statement(task_row_part("timer", args=f"({args_sql})"), done, result="done")
        with prepared_cursor() as cursor:
            cursor.execute(statement.sql, statement.params({"timer": TaskRow(task, kwargs).params()}))
            [(row_id,)] = cursor.fetchall()
        by_part = DBTaskResult.objects.get(pk=row_id)
        by_enqueue = DBTaskResult.objects.get(pk=task.enqueue(*args, **kwargs).id)
        assert fields(by_part) == fields(by_enqueue)
