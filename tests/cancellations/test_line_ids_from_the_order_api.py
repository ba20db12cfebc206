"""A buyer cancels one line of an order with nothing but what the order API told them.

The line-level cancellation takes `lines: [{line_id, quantity}]` (docs/api.md, docs/cancellations.md):
the order's own output must carry each line's `id`, or no client can build that request.
"""

from __future__ import annotations

import pytest

from tests.cancellations.conftest import Api

pytestmark = pytest.mark.django_db


def test_a_buyer_takes_a_line_id_from_the_order_and_cancels_that_line_over_the_api(
        buyer, seller, place_order):
    order = place_order(gadgets=1, cables=2, paid=True)
    api = Api(buyer)

    got = api.get(f"/orders/{order.number}")
    assert got.status_code == 200
    lines = got.json()["lines"]
    cable = next(ln for ln in lines if ln["quantity"] == 2)
    assert all(isinstance(ln["id"], int) for ln in lines)

    resp = api.post(f"/orders/{order.number}/cancel",
                    {"reason": "changed_mind", "lines": [{"line_id": cable["id"], "quantity": 1}]})
    assert resp.status_code == 200, resp.content
    assert resp.json()["request"]["lines"] == [{"line_id": cable["id"], "quantity": 1}]

    approved = Api(seller).post(f"/seller/orders/{order.number}/cancellation-request/approve")
    assert approved.status_code == 200, approved.content
    assert approved.json()["cancellation"]["lines"] == [{"line_id": cable["id"], "quantity": 1}]
    left = api.get(f"/orders/{order.number}/cancellation").json()["remaining_quantities"]
    assert left[str(cable["id"])] == 1


def test_the_seller_sees_the_same_line_ids_as_the_buyer(buyer, seller, place_order):
    order = place_order(gadgets=1, cables=1, paid=True)
    as_buyer = [ln["id"] for ln in Api(buyer).get(f"/orders/{order.number}").json()["lines"]]
    as_seller = [ln["id"] for ln in Api(seller).get(f"/seller/orders/{order.number}").json()["lines"]]
    assert as_buyer == as_seller == list(order.lines.order_by("id").values_list("id", flat=True))
