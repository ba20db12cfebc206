"""Checkout: one order per store, everything snapshotted, stock reserved, all or nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from souk.catalog.models import Product
from souk.checkout.services import CheckoutLine, OutOfStock, checkout, checkout_cart
from souk.core.errors import NotFound, ValidationFailed
from souk.orders.models import CartItem, Order, OrderEvent, OrderLine
from souk.orders.services import cart_add
from tests.factories import AddressFactory, ProductFactory, ShippingOptionFactory, ShippingRateFactory
from tests.orders.conftest import place, shop


def written():
    return (Order.objects.count(), OrderLine.objects.count(), OrderEvent.objects.count(),
            list(Product.objects.order_by("pk").values_list("stock", flat=True)))


def test_a_two_store_cart_becomes_two_orders_with_snapshots_and_totals(buyer, store_a, store_b):
    (alpha, gadget, alpha_ship), (beta, book, _) = store_a, store_b
    now = timezone.now()
    orders = place(buyer, (gadget, 2), (book, 3), now=now)

    assert len(orders) == 2
    a = Order.objects.get(store=alpha)
    b = Order.objects.get(store=beta)
    assert {a.pk, b.pk} == {o.pk for o in orders}
    assert a.checkout_id == b.checkout_id
    assert (a.currency, a.subtotal_minor, a.shipping_minor, a.total_minor, a.item_count) == ("USD", 3998, 299, 4297, 2)
    assert (b.currency, b.subtotal_minor, b.shipping_minor, b.total_minor, b.item_count) == ("EUR", 3750, 0, 3750, 3)
    assert a.status == "awaiting_payment" and a.pay_by == now + timedelta(hours=settings.SOUK["PAYMENT_WINDOW_HOURS"])
    assert a.shipping_address["street_address"] == "1600 Amphitheatre Pkwy"
    assert a.shipping_address["country"] == "US"
    assert (a.contact_email, a.contact_phone) == ("buyer@example.com", "+16502530000")
    assert (a.shipping_option_id, a.shipping_method, a.shipping_carrier) == (
        alpha_ship.pk, "Alpha Gadgets Standard", "Souk Post")
    assert (a.delivery_min_days, a.delivery_max_days, a.protection_days, a.handling_days) == (7, 15, 45, 5)
    assert b.handling_days == 3
    line = a.lines.get()
    assert (line.title, line.specs, line.unit_price_minor, line.quantity, line.line_total_minor) == (
        gadget.title, [["Colour", "Red"]], 1999, 2, 3998)
    assert a.title == gadget.title
    event = a.events.get()
    assert (event.kind, event.actor_role, event.actor_id, event.to_status) == (
        "order_placed", "buyer", buyer.pk, "awaiting_payment")


def test_order_numbers_are_sixteen_digits_never_starting_with_zero(buyer, store_a):
    numbers = {place(buyer, (store_a[1], 1))[0].number for _ in range(5)}
    assert len(numbers) == 5
    assert all(len(n) == 16 and n.isdigit() and n[0] != "0" for n in numbers)


def test_editing_the_product_and_address_after_checkout_does_not_change_the_order(buyer, store_a):
    _, gadget, option = store_a
    order = place(buyer, (gadget, 1))[0]
    Product.objects.filter(pk=gadget.pk).update(title="Renamed", price_minor=99999)
    gadget.specs.update(value="Blue")
    buyer.addresses.update(street_address="1 Other Street", phone="+15550000000")
    option.rates.update(cost_minor=5000, min_days=1, max_days=2)

    order.refresh_from_db()
    line = order.lines.get()
    assert (line.title, line.unit_price_minor, line.specs) == (gadget.title, 1999, [["Colour", "Red"]])
    assert order.shipping_address["street_address"] == "1600 Amphitheatre Pkwy"
    assert order.contact_phone == "+16502530000"
    assert (order.shipping_minor, order.delivery_min_days, order.delivery_max_days) == (299, 7, 15)


def test_checkout_takes_the_bought_quantity_out_of_stock(buyer, store_a, store_b):
    place(buyer, (store_a[1], 4), (store_b[1], 100))
    assert Product.objects.get(pk=store_a[1].pk).stock == 96
    assert Product.objects.get(pk=store_b[1].pk).stock == 0


def test_the_rate_for_the_buyers_country_wins_over_the_rest_of_world_rate(buyer, store_a):
    _, gadget, option = store_a
    ShippingRateFactory(option=option, country="US", cost_minor=99, min_days=3, max_days=5)
    order = place(buyer, (gadget, 1))[0]
    assert (order.shipping_minor, order.delivery_min_days, order.delivery_max_days) == (99, 3, 5)


def test_a_store_that_does_not_ship_to_the_buyers_country_is_named(buyer):
    store, gadget, option = shop(name="France Only", country="FR")
    before = written()
    with pytest.raises(ValidationFailed) as err:
        place(buyer, (gadget, 1))
    assert err.value.code == "shipping_unavailable"
    assert err.value.field == f"shipping.{store.pk}"
    assert "France Only" in err.value.message
    assert written() == before


def test_another_users_address_is_not_found_and_nothing_is_written(buyer, other_buyer, store_a):
    before = written()
    with pytest.raises(NotFound) as err:
        checkout(buyer=buyer, address_id=other_buyer.addresses.get().pk,
                 lines=[CheckoutLine(store_a[1].pk, 1)], shipping={store_a[0].pk: store_a[2].pk})
    assert err.value.field == "address_id"
    assert written() == before


def _bad_inputs(a, b):
    """(description, lines, shipping, expected field, expected code) built from two shops."""
    (sa, pa, oa), (sb, pb, ob) = a, b
    both = {sa.pk: oa.pk, sb.pk: ob.pk}
    return [
        ("no lines", [], both, "lines", "no_lines"),
        ("duplicate product", [(pa.pk, 1), (pb.pk, 1), (pa.pk, 2)], both, "lines[2].product_id", "duplicate_product"),
        ("zero quantity", [(pa.pk, 0)], both, "lines[0].quantity", "invalid_quantity"),
        ("huge quantity", [(pb.pk, 1), (pa.pk, settings.SOUK["LINE_MAX_QUANTITY"] + 1)], both,
         "lines[1].quantity", "invalid_quantity"),
        ("unknown product", [(pa.pk, 1), (999999, 1)], both, "lines[1].product_id", "product_unavailable"),
        ("missing shipping choice", [(pa.pk, 1), (pb.pk, 1)], {sa.pk: oa.pk}, f"shipping.{sb.pk}",
         "shipping_option_required"),
        ("option of another store", [(pa.pk, 1)], {sa.pk: ob.pk}, f"shipping.{sa.pk}", "invalid_shipping_option"),
        ("too many lines", [(pa.pk + 1000 + i, 1) for i in range(settings.SOUK["CHECKOUT_MAX_LINES"] + 1)], both,
         "lines", "too_many_lines"),
    ]


@pytest.mark.parametrize("case", range(8), ids=["no lines", "duplicate product", "zero quantity", "huge quantity",
                                                "unknown product", "missing shipping choice",
                                                "option of another store", "too many lines"])
def test_every_bad_checkout_names_its_field_and_writes_nothing(buyer, store_a, store_b, case):
    description, lines, shipping, field, code = _bad_inputs(store_a, store_b)[case]
    before = written()
    with pytest.raises(ValidationFailed) as err:
        checkout(buyer=buyer, address_id=buyer.addresses.get().pk, shipping=shipping,
                 lines=[CheckoutLine(p, q) for p, q in lines])
    assert err.value.status == 422
    assert (err.value.field, err.value.code) == (field, code), description
    assert written() == before


def test_an_inactive_product_cannot_be_bought(buyer, store_a):
    Product.objects.filter(pk=store_a[1].pk).update(is_active=False)
    with pytest.raises(ValidationFailed) as err:
        place(buyer, (store_a[1], 1))
    assert (err.value.field, err.value.code) == ("lines[0].product_id", "product_unavailable")


def test_an_inactive_shipping_option_cannot_be_chosen(buyer, store_a):
    store_a[2].__class__.objects.filter(pk=store_a[2].pk).update(is_active=False)
    with pytest.raises(ValidationFailed) as err:
        place(buyer, (store_a[1], 1), options={store_a[0].pk: store_a[2].pk})
    assert err.value.code == "invalid_shipping_option"


def test_buying_more_than_is_left_names_the_line_and_rolls_back_every_store(buyer, store_a, store_b):
    Product.objects.filter(pk=store_b[1].pk).update(stock=2)
    before = written()
    with pytest.raises(OutOfStock) as err:
        place(buyer, (store_a[1], 1), (store_b[1], 3))
    assert err.value.status == 409 and err.value.code == "out_of_stock"
    assert err.value.field == "lines[1].quantity"
    assert "Only 2" in err.value.message and store_b[1].title in err.value.message
    assert written() == before


def test_checking_out_the_cart_places_its_orders_and_empties_it(buyer, store_a, store_b):
    cart_add(buyer=buyer, product_id=store_a[1].pk, quantity=2)
    cart_add(buyer=buyer, product_id=store_b[1].pk, quantity=1)
    orders = checkout_cart(buyer=buyer, address_id=buyer.addresses.get().pk,
                           shipping={store_a[0].pk: store_a[2].pk, store_b[0].pk: store_b[2].pk})
    assert sorted(o.item_count for o in orders) == [1, 2]
    assert not CartItem.objects.filter(buyer=buyer).exists()


def test_a_failed_cart_checkout_keeps_the_cart(buyer, store_a):
    cart_add(buyer=buyer, product_id=store_a[1].pk, quantity=2)
    with pytest.raises(ValidationFailed):
        checkout_cart(buyer=buyer, address_id=buyer.addresses.get().pk, shipping={})
    assert CartItem.objects.filter(buyer=buyer).count() == 1
    assert Order.objects.count() == 0


def test_an_empty_cart_cannot_be_checked_out(buyer):
    with pytest.raises(ValidationFailed) as err:
        checkout_cart(buyer=buyer, address_id=buyer.addresses.get().pk, shipping={})
    assert err.value.code == "cart_empty"


def test_checkout_runs_the_same_number_of_statements_for_one_line_or_ten(buyer):
    def build(n):
        store, first, option = shop()
        products = [first] + [ProductFactory(store=store) for _ in range(n - 1)]
        return [CheckoutLine(p.pk, 1) for p in products], {store.pk: option.pk}

    address_id = buyer.addresses.get().pk
    one, ten = build(1), build(10)
    two_stores = build(5)
    counts = []
    for lines, shipping in (one, ten, (two_stores[0] + one[0], {**two_stores[1], **one[1]})):
        Product.objects.update(stock=100)
        with CaptureQueriesContext(connection) as ctx:
            checkout(buyer=buyer, address_id=address_id, lines=lines, shipping=shipping)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] == counts[2]
    assert counts[0] <= 14  # incl. the customs rules read and the payment-window timer


def test_a_buyer_can_ship_to_any_address_of_their_own(buyer, store_a):
    work = AddressFactory(user=buyer, is_default=False, street_address="2 Work Road")
    order = checkout(buyer=buyer, address_id=work.pk, lines=[CheckoutLine(store_a[1].pk, 1)],
                     shipping={store_a[0].pk: store_a[2].pk})[0]
    assert order.shipping_address["street_address"] == "2 Work Road"


def test_a_second_shipping_option_of_the_same_store_can_be_chosen(buyer, store_a):
    express = ShippingOptionFactory(store=store_a[0], name="Express", carrier="DHL", protection_days=30)
    ShippingRateFactory(option=express, cost_minor=1500, min_days=2, max_days=4)
    order = place(buyer, (store_a[1], 1), options={store_a[0].pk: express.pk})[0]
    assert (order.shipping_method, order.shipping_minor, order.protection_days) == ("Express", 1500, 30)


def test_the_orders_checkout_returns_are_exactly_the_orders_it_saved(buyer, store_a, store_b,
                                                                     django_assert_num_queries):
    orders = place(buyer, (store_a[1], 2), (store_b[1], 1))
    fields = [f.attname for f in Order._meta.concrete_fields]
    for order in orders:
        saved = Order.objects.get(pk=order.pk)
        assert [getattr(order, f) for f in fields] == [getattr(saved, f) for f in fields]
        assert order._state.adding is False
        with django_assert_num_queries(0):
            assert order.buyer.email == "buyer@example.com"
    assert [ln.title for ln in Order.objects.get(store=store_a[0]).lines.all()] == [store_a[1].title]


def test_a_clashing_order_number_is_drawn_again_and_only_one_order_is_placed(buyer, store_a, monkeypatch):
    taken = place(buyer, (store_a[1], 1))[0].number
    draws = iter([taken, "1234567890123456"])
    monkeypatch.setattr("souk.orders.placing.new_order_number", lambda: next(draws))
    order = place(buyer, (store_a[1], 2))[0]
    assert order.number == "1234567890123456"
    assert Order.objects.filter(number=taken).count() == 1
    assert Order.objects.count() == 2 and OrderLine.objects.count() == 2 and OrderEvent.objects.count() == 2
    assert Product.objects.get(pk=store_a[1].pk).stock == 97


def _after_reading(monkeypatch, change):
    """Let `change()` happen between checkout's read and its write (another buyer, a seller's edit)."""
    from souk.checkout import fast

    real_read = fast.read

    def read_then_change(*args, **kwargs):
        facts = real_read(*args, **kwargs)
        change()
        return facts

    monkeypatch.setattr(fast, "read", read_then_change)


@pytest.mark.postgres
def test_stock_sold_between_reading_and_writing_names_the_line_and_writes_nothing(buyer, store_a, store_b,
                                                                                   monkeypatch):
    _after_reading(monkeypatch, lambda: Product.objects.filter(pk=store_b[1].pk).update(stock=1))
    before = written()
    with pytest.raises(OutOfStock) as err:
        place(buyer, (store_a[1], 1), (store_b[1], 2))
    assert err.value.field == "lines[1].quantity"
    assert err.value.message == f"Only 1 of “{store_b[1].title}” left."
    assert written() == (*before[:3], [100, 1])  # the other sale stands; this checkout wrote nothing


@pytest.mark.postgres
def test_a_price_changed_between_reading_and_writing_is_never_sold_at_the_old_price(buyer, store_a, monkeypatch):
    _after_reading(monkeypatch, lambda: Product.objects.filter(pk=store_a[1].pk).update(price_minor=2500))
    order = place(buyer, (store_a[1], 2))[0]
    assert (order.subtotal_minor, order.lines.get().unit_price_minor) == (5000, 2500)
    assert Product.objects.get(pk=store_a[1].pk).stock == 98


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_checkout_is_two_statements_alone_and_four_inside_a_transaction():
    from django.db import transaction

    from tests.factories import UserFactory

    buyer = UserFactory()
    address_id = AddressFactory(user=buyer).pk
    store, first, option = shop(stock=1000)
    products = [first] + [ProductFactory(store=store, stock=1000) for _ in range(9)]
    for lines in ([CheckoutLine(first.pk, 1)], [CheckoutLine(p.pk, 2) for p in products]):
        with CaptureQueriesContext(connection) as alone:
            checkout(buyer=buyer, address_id=address_id, lines=lines, shipping={store.pk: option.pk})
        with transaction.atomic(), CaptureQueriesContext(connection) as inside:
            checkout(buyer=buyer, address_id=address_id, lines=lines, shipping={store.pk: option.pk})
        # the read (with the destination's customs rules) and the write (with the payment-window timer)
        assert [q["sql"].split()[0] for q in alone.captured_queries] == ["WITH", "WITH"]
        assert [q["sql"].split()[0] for q in inside.captured_queries] == [
            "WITH", "SAVEPOINT", "WITH", "RELEASE"]
    assert Order.objects.count() == 4
    assert Product.objects.get(pk=first.pk).stock == 1000 - 1 - 1 - 2 - 2


@pytest.mark.postgres
def test_ids_no_database_column_can_hold_are_unknown_products_and_options(buyer, store_a):
    store, gadget, option = store_a
    with pytest.raises(ValidationFailed) as err:
        checkout(buyer=buyer, address_id=buyer.addresses.get().pk, lines=[CheckoutLine(2**70, 1)],
                 shipping={store.pk: option.pk})
    assert (err.value.field, err.value.code) == ("lines[0].product_id", "product_unavailable")
    with pytest.raises(ValidationFailed) as err:
        place(buyer, (gadget, 1), options={store.pk: 2**70})
    assert (err.value.field, err.value.code) == (f"shipping.{store.pk}", "invalid_shipping_option")
    with pytest.raises(NotFound):
        checkout(buyer=buyer, address_id=2**70, lines=[CheckoutLine(gadget.pk, 1)], shipping={store.pk: option.pk})
