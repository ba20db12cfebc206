"""Bad refund requests at the API: a clear 4xx naming the field, and not one row of money written."""

from __future__ import annotations

import pytest

from souk.ledger.models import JournalEntry, JournalLine
from souk.orders.models import OrderEvent
from souk.payments.models import Refund, RefundAttempt, SandboxRefund
from tests.ledger.audit import assert_audit_clean
from tests.payments.test_api import Api

pytestmark = pytest.mark.django_db


def money_rows() -> tuple[int, ...]:
    return (Refund.objects.count(), RefundAttempt.objects.count(), JournalEntry.objects.count(),
            JournalLine.objects.count(), OrderEvent.objects.count(), SandboxRefund.objects.count())


@pytest.fixture
def paid(buyer, place_order):
    order = place_order(gadgets=1, cables=2)  # $20 + 2 × $5 + $3 shipping = $33.00
    assert Api(buyer).post(f"/orders/{order.number}/pay", {"method": "card", "token": "tok_visa"},
                           key="pay").status_code == 201
    return order


def refund(api, order, body, key="k"):
    return api.post(f"/seller/orders/{order.number}/refunds", body, key=key)


@pytest.mark.parametrize(("body", "code", "field"), [
    ({"amount": "-5.00", "currency": "USD", "reason": "r"}, "amount_not_positive", "amount"),
    ({"amount": "0.00", "currency": "USD", "reason": "r"}, "amount_not_positive", "amount"),
    ({"amount": "33.01", "currency": "USD", "reason": "r"}, "refund_exceeds_captured", "amount"),
    ({"amount": "1.00", "currency": "EUR", "reason": "r"}, "currency_mismatch", "currency"),
    ({"amount": "ten", "currency": "USD", "reason": "r"}, None, "amount"),
    ({"amount": "1.00", "currency": "USD", "reason": ""}, "required", "reason"),
    ({"currency": "USD", "reason": "r"}, "amount_or_lines", "amount"),
    ({"lines": [{"line_id": 999999, "quantity": 1}], "reason": "r"}, "line_not_found", "lines[0].line_id"),
])
def test_bad_refund_is_refused_with_the_field_and_writes_no_money(paid, shop, body, code, field):
    before = money_rows()
    resp = refund(Api(shop[0].owner), paid, body)
    assert 400 <= resp.status_code < 500 and resp.status_code != 404, resp.content
    error = resp.json()
    if code:
        assert error["code"] == code
    assert any(field in e["field"] for e in error["errors"]), error
    assert money_rows() == before
    assert_audit_clean()


def test_line_quantity_beyond_what_was_bought_is_refused(paid, shop):
    line = paid.lines.order_by("unit_price_minor").first()  # the cables, 2 bought
    before = money_rows()
    resp = refund(Api(shop[0].owner), paid, {"lines": [{"line_id": line.pk, "quantity": 3}], "reason": "r"})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "lines[0].quantity"
    assert money_rows() == before


def test_amount_beyond_what_is_left_after_earlier_refunds_is_refused(paid, shop):
    seller = Api(shop[0].owner)
    assert refund(seller, paid, {"amount": "30.00", "currency": "USD", "reason": "r"}, key="a").status_code == 201
    before = money_rows()
    resp = refund(seller, paid, {"amount": "3.01", "currency": "USD", "reason": "r"}, key="b")
    assert resp.status_code == 422 and resp.json()["code"] == "refund_exceeds_captured"
    assert "3.00" in resp.json()["message"]
    assert money_rows() == before
    assert refund(seller, paid, {"amount": "3.00", "currency": "USD", "reason": "r"}, key="c").status_code == 201
    assert_audit_clean()


def test_refund_of_an_unpaid_order_is_409_and_writes_nothing(buyer, place_order, shop):
    order = place_order()
    before = money_rows()
    resp = refund(Api(shop[0].owner), order, {"amount": "1.00", "currency": "USD", "reason": "r"})
    assert resp.status_code == 409 and resp.json()["code"] == "order_not_paid"
    assert money_rows() == before


def test_someone_elses_order_is_404_for_another_seller_and_the_buyer(paid, buyer):
    from tests.factories import StoreFactory

    other_seller = StoreFactory().owner
    before = money_rows()
    for user in (other_seller, buyer):
        resp = refund(Api(user), paid, {"amount": "1.00", "currency": "USD", "reason": "r"}, key=f"x{user.pk}")
        assert resp.status_code == 404 and resp.json()["code"] == "order_not_found"
    assert money_rows() == before


def test_staff_may_refund_any_order(paid):
    from tests.factories import UserFactory

    staff = UserFactory(email="staff@example.com", is_staff=True)
    resp = refund(Api(staff), paid, {"amount": "1.00", "currency": "USD", "reason": "goodwill"})
    assert resp.status_code == 201 and resp.json()["state"] == "pending"
    assert_audit_clean()
