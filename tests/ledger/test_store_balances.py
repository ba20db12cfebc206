"""The set-based store balances (`store_order_balances`, `store_balance_totals`) equal the plain per-order
reading (`order_money`, one aggregate per order) on real flows: paid, shipped, released, refunded,
cancelled, across two stores."""

from __future__ import annotations

import pytest
from moneyed import Money

from souk.fulfilment.services import order_confirm_receipt
from souk.ledger.selectors import order_money, store_balance_totals, store_order_balances
from souk.payments.services import escrow_release, refund_create
from tests.web.world import build_world

pytestmark = pytest.mark.django_db


def _flows(world, n: int) -> list:
    orders = []
    for i in range(n):
        order = world.order(paid=i % 5 != 4, shipped=i % 3 == 0 and i % 5 != 4)
        if i % 3 == 0 and i % 5 != 4 and i % 2 == 0:
            order_confirm_receipt(buyer=world.buyer, order_id=order.pk)
            escrow_release(order_id=order.pk)
        elif i % 5 in (1, 2):
            refund_create(order_id=order.pk, amount=Money(f"{i}.25", "USD"), reason="goodwill", actor=None,
                          idempotency_key=f"r-{order.pk}")
        orders.append(order)
    return orders


def test_store_balances_equal_the_per_order_ledger_reading_page_by_page_and_in_total():
    world = build_world()
    other = build_world(buyer_email="b2@example.com", seller_email="s2@example.com")
    orders = _flows(world, 12)
    _flows(other, 3)
    paid = [o for o in orders if order_money(o.pk).captured.amount]

    seen, before = [], None
    while True:
        page = store_order_balances(world.store.pk, before_order_id=before, limit=5)
        if not page:
            break
        seen += page
        before = page[-1].order_id
    assert [b.order_id for b in seen] == sorted((o.pk for o in paid), reverse=True)
    for row in seen:
        assert row.money == order_money(row.order_id)
        assert row.seller_net == row.money.released - row.money.commission

    frozen = {paid[0].pk, paid[1].pk}
    [totals] = store_balance_totals(world.store.pk, frozen_order_ids=frozen)
    plain = [order_money(o.pk) for o in paid]
    for name in ("captured", "held", "released", "commission", "refunded", "refund_in_flight"):
        assert totals.money[name] == sum((m[name] for m in plain), Money(0, "USD")), name
    assert totals.frozen == order_money(paid[0].pk).held + order_money(paid[1].pk).held
    assert store_balance_totals(world.store.pk)[0].frozen == Money(0, "USD")


def test_a_store_with_no_money_has_no_rows_and_no_totals(db):
    world = build_world()
    world.order()  # placed, never paid: nothing in the ledger
    assert store_order_balances(world.store.pk) == [] and store_balance_totals(world.store.pk) == []
