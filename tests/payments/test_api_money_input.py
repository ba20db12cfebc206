"""A refund amount written loosely ("1e1" once refunded $10.00) is refused, not guessed
(docs/api.md, Conventions: Money; the parser's own tests: tests/core/test_money_parsing.py)."""

from __future__ import annotations

import pytest

from souk.payments.models import Refund
from tests.support import Api

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("amount", "code"), [
    ("1e1", "invalid_amount"), ("１０", "invalid_amount"), ("١٠", "invalid_amount"), (" 5", "invalid_amount"),
    ("5 ", "invalid_amount"), ("1,0", "invalid_amount"), ("+5", "invalid_amount"), ("NaN", "invalid_amount"),
    ("5.000", "money_too_precise"),
])
def test_a_seller_refund_written_loosely_is_refused_and_refunds_nothing(buyer, place_order, shop, amount, code):
    order = place_order()  # $23.00
    assert Api(buyer).post(f"/orders/{order.number}/pay", {"method": "card", "token": "tok_visa"},
                           key="p").status_code == 201
    response = Api(shop[0].owner).post(f"/seller/orders/{order.number}/refunds",
                                       {"amount": amount, "currency": "USD", "reason": "r"}, key="loose")
    assert response.status_code == 422, response.content
    assert response.json()["code"] == code
    assert response.json()["errors"][0]["field"] == "amount"
    assert not Refund.objects.exists()
