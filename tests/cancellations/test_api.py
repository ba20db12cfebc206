"""The cancellation API, path by path: what the buyer and the seller see, the timeline, the money."""

from __future__ import annotations

import pytest

from souk.cancellations.models import Cancellation, CancellationRequest
from souk.catalog.models import Product
from souk.ledger.selectors import order_money
from souk.messaging.models import Message
from souk.notifications.models import Notification
from souk.orders.models import Order, OrderEvent
from souk.payments.models import Refund
from tests.cancellations.conftest import Api
from tests.ledger.audit import assert_audit_clean

pytestmark = pytest.mark.django_db


def stock(product) -> int:
    return Product.objects.get(pk=product.pk).stock


def last_event(order) -> OrderEvent:
    return OrderEvent.objects.filter(order=order).exclude(kind="refund_created").order_by("-id").first()


def status(order) -> str:
    return Order.objects.get(pk=order.pk).status


# --- reasons and the decision -------------------------------------------------------------------

def test_anyone_can_list_the_buyer_reasons_with_label_and_fault():
    from django.test import Client

    resp = Client().get("/api/cancellation-reasons?actor=buyer")
    assert resp.status_code == 200
    codes = {r["code"]: r for r in resp.json()}
    assert codes["changed_mind"] == {"code": "changed_mind", "label": "I changed my mind", "fault": "buyer",
                                     "note_required": False}
    assert codes["other"]["note_required"] is True
    assert "out_of_stock" not in codes


def test_seller_reasons_include_out_of_stock_and_unknown_actor_is_422():
    from django.test import Client

    seller = {r["code"] for r in Client().get("/api/cancellation-reasons?actor=seller").json()}
    assert "out_of_stock" in seller and "changed_mind" not in seller
    resp = Client().get("/api/cancellation-reasons?actor=robot")
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "actor"


def test_the_decision_for_a_paid_order_is_a_request_with_the_full_refund(buyer, place_order):
    order = place_order(gadgets=1, paid=True)  # $23.00
    body = Api(buyer).get(f"/orders/{order.number}/cancellation").json()
    assert body["allowed"] is True and body["outcome"] == "request_seller"
    assert body["refund"] == "23.00" and body["currency"] == "USD" and body["open_request"] is None


def test_the_decision_for_a_shipped_order_says_why_not_and_what_to_do(buyer, seller, place_order):
    from souk.fulfilment.services import order_mark_shipped

    order = place_order(paid=True)
    order_mark_shipped(seller=seller, order_id=order.pk, carrier="DHL", tracking_number="JD01")
    body = Api(buyer).get(f"/orders/{order.number}/cancellation").json()
    assert body["allowed"] is False and body["code"] == "order_already_shipped"
    assert "already shipped" in body["why_not"] and "confirm receipt" in body["next_step"]


# --- the buyer ------------------------------------------------------------------------------------

def test_buyer_cancels_an_unpaid_order_at_once_and_the_stock_comes_back(buyer, seller, shop, place_order):
    gadget = shop[1]
    order = place_order(gadgets=3)
    assert stock(gadget) == 47
    resp = Api(buyer).post(f"/orders/{order.number}/cancel", {"reason": "ordered_by_mistake"})
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["outcome"] == "cancel_now" and body["order_status"] == "cancelled" and body["refund"] is None
    assert stock(gadget) == 50
    event = last_event(order)
    assert (event.kind, event.actor_role, event.actor_id) == ("cancel", "buyer", buyer.pk)
    assert event.data["reason"] == "ordered_by_mistake" and "I ordered by mistake" in event.message
    fact = Cancellation.objects.get(order=order)
    assert (fact.fault, fact.actor_role, fact.restocked, fact.refund_id) == ("buyer", "buyer", True, None)
    assert Notification.objects.filter(recipient=seller, kind="order_cancelled_by_buyer").exists()
    assert not Refund.objects.exists()
    assert_audit_clean()


def test_buyer_requests_cancellation_of_a_paid_order_and_the_seller_is_told(buyer, seller, place_order):
    order = place_order(gadgets=1, paid=True)
    resp = Api(buyer).post(f"/orders/{order.number}/cancel", {"reason": "changed_mind", "note": "sorry"})
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["outcome"] == "request_seller" and body["order_status"] == "awaiting_cancellation"
    assert body["request"]["state"] == "pending" and body["request"]["refund"] == "23.00"
    request = CancellationRequest.objects.get(order=order)
    assert (request.respond_by - request.created_at).total_seconds() == 48 * 3600
    event = last_event(order)
    assert (event.kind, event.actor_role, event.data["reason"]) == ("request_cancellation", "buyer", "changed_mind")
    assert Notification.objects.filter(recipient=seller, kind="cancellation_requested").exists()
    assert Message.objects.filter(conversation__order=order, kind="system").exists()
    # The page shows the open request and its deadline; a second request is refused.
    decision = Api(buyer).get(f"/orders/{order.number}/cancellation").json()
    assert decision["allowed"] is False and decision["open_request"]["id"] == request.pk
    again = Api(buyer).post(f"/orders/{order.number}/cancel", {"reason": "changed_mind"})
    assert again.status_code == 409 and again.json()["code"] == "cancellation_already_requested"
    assert "withdraw" in again.json()["next_step"]
    assert CancellationRequest.objects.count() == 1
    assert_audit_clean()


def test_buyer_cannot_cancel_a_shipped_order_and_is_told_what_to_do(buyer, seller, place_order):
    from souk.fulfilment.services import order_mark_shipped

    order = place_order(paid=True)
    order_mark_shipped(seller=seller, order_id=order.pk, carrier="DHL", tracking_number="JD01")
    resp = Api(buyer).post(f"/orders/{order.number}/cancel", {"reason": "changed_mind"})
    assert resp.status_code == 409
    body = resp.json()
    assert body["code"] == "order_already_shipped" and "dispute" in body["next_step"] and body["why_not"]
    assert not CancellationRequest.objects.exists() and status(order) == "awaiting_delivery"


def test_buyer_withdraws_the_request_and_the_order_goes_on(buyer, seller, place_order):
    order = place_order(paid=True)
    api = Api(buyer)
    api.post(f"/orders/{order.number}/cancel", {"reason": "changed_mind"})
    resp = api.post(f"/orders/{order.number}/cancellation-request/withdraw")
    assert resp.status_code == 200, resp.content
    assert resp.json()["state"] == "withdrawn" and status(order) == "awaiting_shipment"
    event = last_event(order)
    assert (event.kind, event.actor_role, event.data["reason"]) == ("resume", "buyer", "changed_mind")
    assert Notification.objects.filter(recipient=seller, kind="cancellation_withdrawn").exists()
    again = api.post(f"/orders/{order.number}/cancellation-request/withdraw")
    assert again.status_code == 409 and again.json()["code"] == "no_pending_cancellation_request"


# --- the seller answers -----------------------------------------------------------------------------

def test_seller_approves_the_order_is_cancelled_restocked_and_refunded(buyer, seller, shop, place_order):
    gadget = shop[1]
    order = place_order(gadgets=2, paid=True)  # $43.00
    Api(buyer).post(f"/orders/{order.number}/cancel", {"reason": "found_better_price"})
    resp = Api(seller).post(f"/seller/orders/{order.number}/cancellation-request/approve", key="approve-1")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["order_status"] == "cancelled" and body["request"]["state"] == "approved"
    assert body["refund"]["amount"] == "43.00" and body["refund"]["state"] == "pending"
    assert stock(gadget) == 50
    assert order_money(order.pk).held.amount == 0
    event = last_event(order)
    assert (event.kind, event.actor_role, event.actor_id) == ("cancel", "seller", seller.pk)
    assert event.data["reason"] == "found_better_price"
    assert OrderEvent.objects.filter(order=order, kind="refund_created").exists()
    assert Notification.objects.filter(recipient=buyer, kind="cancellation_approved").exists()
    assert Notification.objects.filter(recipient=buyer, kind="refund_started").exists()
    # the refund goes to the gateway in the worker, after commit
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(task_path__endswith="process_refund").count() == 1
    # the same key replays the answer, no second refund
    replay = Api(seller).post(f"/seller/orders/{order.number}/cancellation-request/approve", key="approve-1")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert Refund.objects.count() == 1
    assert_audit_clean()


def test_seller_rejects_with_a_reason_and_the_order_goes_back_to_shipment(buyer, seller, place_order):
    order = place_order(paid=True)
    Api(buyer).post(f"/orders/{order.number}/cancel", {"reason": "changed_mind"})
    resp = Api(seller).post(f"/seller/orders/{order.number}/cancellation-request/reject",
                            {"reason": "buyer_agreed_to_keep", "note": "we talked"})
    assert resp.status_code == 200, resp.content
    assert resp.json()["state"] == "rejected" and resp.json()["reject_reason"] == "buyer_agreed_to_keep"
    assert status(order) == "awaiting_shipment"
    event = last_event(order)
    assert (event.kind, event.actor_role, event.data["reject_reason"]) == ("resume", "seller",
                                                                           "buyer_agreed_to_keep")
    assert Notification.objects.filter(recipient=buyer, kind="cancellation_rejected").exists()
    assert not Refund.objects.exists()
    assert_audit_clean()


def test_seller_rejects_because_it_shipped_with_tracking_and_protection_starts(buyer, seller, place_order):
    order = place_order(paid=True)
    Api(buyer).post(f"/orders/{order.number}/cancel", {"reason": "changed_mind"})
    resp = Api(seller).post(f"/seller/orders/{order.number}/cancellation-request/reject",
                            {"reason": "already_shipped", "carrier": "DHL", "tracking_number": "JD0146000062"})
    assert resp.status_code == 200, resp.content
    order.refresh_from_db()
    assert order.status == "awaiting_delivery" and order.tracking_number == "JD0146000062"
    assert order.protection_ends_at is not None
    event = last_event(order)
    assert (event.kind, event.actor_role, event.data["reject_reason"]) == ("ship", "seller", "already_shipped")


def test_seller_cancels_out_of_stock_full_refund_listing_shows_sold_out_seller_fault(buyer, seller, shop,
                                                                                     place_order):
    gadget = shop[1]
    order = place_order(gadgets=2, paid=True)
    resp = Api(seller).post(f"/seller/orders/{order.number}/cancel", {"reason": "out_of_stock"})
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["order_status"] == "cancelled" and body["refund"]["amount"] == "43.00"
    assert body["cancellation"]["fault"] == "seller" and body["cancellation"]["restocked"] is False
    # The seller has none: the listing drops to 0 (it had 48 left on paper) so nobody buys it again at once.
    assert stock(gadget) == 0
    again = Api(buyer).post("/checkout", {"address_id": buyer.addresses.first().pk,
                                          "lines": [{"product_id": gadget.pk, "quantity": 1}],
                                          "shipping": {str(shop[0].pk): shop[3].pk}})
    assert again.status_code == 409 and again.json()["code"] == "out_of_stock", again.content
    event = last_event(order)
    assert (event.kind, event.actor_role, event.data["reason"]) == ("cancel", "seller", "out_of_stock")
    assert Notification.objects.filter(recipient=buyer, kind="order_cancelled_by_seller").exists()
    from souk.cancellations.selectors import seller_fault_cancellations

    assert seller_fault_cancellations(store_id=shop[0].pk, since=order.created_at) == 1
    assert_audit_clean()


def test_seller_cancelling_during_a_pending_request_settles_the_request(buyer, seller, place_order):
    order = place_order(paid=True)
    Api(buyer).post(f"/orders/{order.number}/cancel", {"reason": "changed_mind"})
    resp = Api(seller).post(f"/seller/orders/{order.number}/cancel", {"reason": "out_of_stock"})
    assert resp.status_code == 200
    assert CancellationRequest.objects.get(order=order).state == "approved"
    assert Refund.objects.filter(order=order).count() == 1
    assert_audit_clean()


def test_staff_cancel_with_a_platform_reason_and_others_get_403(buyer, seller, staff, place_order):
    order = place_order(paid=True)
    refused = Api(buyer).post(f"/staff/orders/{order.number}/cancel", {"reason": "risk"})
    assert refused.status_code == 403 and status(order) == "awaiting_shipment"
    resp = Api(staff).post(f"/staff/orders/{order.number}/cancel", {"reason": "customs_restriction"})
    assert resp.status_code == 200, resp.content
    assert resp.json()["cancellation"]["fault"] == "platform"
    event = last_event(order)
    assert (event.kind, event.actor_role, event.actor_id, event.data["reason"]) == (
        "cancel", "staff", staff.pk, "customs_restriction")
    assert Notification.objects.filter(recipient=buyer, kind="order_cancelled_by_platform").exists()
    assert_audit_clean()


# --- line-level -------------------------------------------------------------------------------------

def test_buyer_cancels_one_cable_of_two_and_gets_a_prorated_refund(buyer, seller, shop, place_order):
    cable = shop[2]
    order = place_order(gadgets=1, cables=2, paid=True)  # 20 + 2x5 = 30, shipping 3: $33.00
    cable_line = order.lines.get(product=cable)
    api = Api(buyer)
    resp = api.post(f"/orders/{order.number}/cancel",
                    {"reason": "changed_mind", "lines": [{"line_id": cable_line.pk, "quantity": 1}]})
    assert resp.status_code == 200, resp.content
    assert resp.json()["request"]["refund"] == "5.50"  # $5 + 5/30 of $3 shipping
    resp = Api(seller).post(f"/seller/orders/{order.number}/cancellation-request/approve")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["order_status"] == "awaiting_shipment" and body["refund"]["amount"] == "5.50"
    assert body["cancellation"]["whole_order"] is False
    assert stock(cable) == 49
    decision = api.get(f"/orders/{order.number}/cancellation").json()
    assert decision["remaining_quantities"][str(cable_line.pk)] == 1
    event = last_event(order)
    assert (event.kind, event.actor_role, event.data["lines"]) == (
        "resume", "seller", [{"line_id": cable_line.pk, "quantity": 1}])
    # the rest, later: the remaining $27.50 comes back, no more
    api.post(f"/orders/{order.number}/cancel", {"reason": "changed_mind"})
    Api(seller).post(f"/seller/orders/{order.number}/cancellation-request/approve")
    assert status(order) == "cancelled"
    assert sum(r.amount_minor for r in Refund.objects.filter(order=order)) == 3300
    assert stock(cable) == 50
    assert_audit_clean()


# --- bad input: a clear 4xx and nothing written -----------------------------------------------------

def _counts():
    return (CancellationRequest.objects.count(), Cancellation.objects.count(), Refund.objects.count(),
            OrderEvent.objects.count())


@pytest.mark.parametrize(("body", "code", "field"), [
    ({"reason": "bored"}, "unknown_reason", "reason"),
    ({"reason": "out_of_stock"}, "unknown_reason", "reason"),
    ({"reason": "changed_mind", "note": "x" * 501}, "note_too_long", "note"),
    ({"reason": "other", "note": "  "}, "note_required", "note"),
    ({"reason": "changed_mind", "lines": [{"line_id": 999999, "quantity": 1}]}, "line_not_found",
     "lines[0].line_id"),
    ({}, "invalid_input", "reason"),
])
def test_bad_buyer_input_is_refused_and_nothing_is_written(buyer, place_order, body, code, field):
    order = place_order(paid=True)
    before = _counts()
    resp = Api(buyer).post(f"/orders/{order.number}/cancel", body)
    assert resp.status_code == 422, resp.content
    assert resp.json()["errors"][0]["field"] == field
    assert resp.json()["code"] == code or resp.json()["errors"][0]["code"] == code or code == "invalid_input"
    assert _counts() == before and status(order) == "awaiting_shipment"


def test_quantity_beyond_the_line_is_refused(buyer, place_order):
    order = place_order(gadgets=1, cables=1, paid=True)
    line = order.lines.first()
    resp = Api(buyer).post(f"/orders/{order.number}/cancel",
                           {"reason": "changed_mind", "lines": [{"line_id": line.pk, "quantity": 2}]})
    assert resp.status_code == 422 and resp.json()["errors"][0]["code"] == "quantity_out_of_range"
    assert not CancellationRequest.objects.exists()


def test_someone_elses_order_is_404_and_nothing_is_written(buyer, other_buyer, place_order):
    order = place_order(paid=True)
    before = _counts()
    api = Api(other_buyer)
    for path in ("cancel", "cancellation-request/withdraw"):
        resp = api.post(f"/orders/{order.number}/{path}", {"reason": "changed_mind"})
        assert resp.status_code == 404 and resp.json()["code"] == "order_not_found"
    assert api.get(f"/orders/{order.number}/cancellation").status_code == 404
    assert _counts() == before


def test_a_seller_cannot_answer_another_stores_request(buyer, other_seller, place_order):
    order = place_order(paid=True)
    Api(buyer).post(f"/orders/{order.number}/cancel", {"reason": "changed_mind"})
    before = _counts()
    api = Api(other_seller)
    for path, body in (("cancellation-request/approve", None), ("cancellation-request/reject",
                                                               {"reason": "other", "note": "no"}),
                       ("cancel", {"reason": "out_of_stock"})):
        resp = api.post(f"/seller/orders/{order.number}/{path}", body)
        assert resp.status_code == 404, resp.content
    assert _counts() == before and status(order) == "awaiting_cancellation"


@pytest.mark.parametrize(("body", "field", "code"), [
    ({}, "reason", "required"),
    ({"reason": "because"}, "reason", "unknown_reason"),
    ({"reason": "other"}, "note", "note_required"),
    ({"reason": "already_shipped"}, "carrier", "required"),
    ({"reason": "already_shipped", "carrier": "DHL"}, "tracking_number", "required"),
    ({"reason": "already_shipped", "carrier": "DHL", "tracking_number": "no spaces!"}, "tracking_number",
     "invalid_tracking_number"),
])
def test_bad_rejections_are_refused_and_nothing_is_written(buyer, seller, place_order, body, field, code):
    order = place_order(paid=True)
    Api(buyer).post(f"/orders/{order.number}/cancel", {"reason": "changed_mind"})
    before = _counts()
    resp = Api(seller).post(f"/seller/orders/{order.number}/cancellation-request/reject", body)
    assert resp.status_code == 422, resp.content
    assert {(e["field"], e["code"]) for e in resp.json()["errors"]} >= {(field, code)}
    assert _counts() == before and status(order) == "awaiting_cancellation"
    assert CancellationRequest.objects.get(order=order).state == "pending"


def test_seller_cannot_choose_a_buyer_or_platform_reason(seller, place_order):
    order = place_order(paid=True)
    resp = Api(seller).post(f"/seller/orders/{order.number}/cancel", {"reason": "risk"})
    assert resp.status_code == 422 and resp.json()["code"] == "unknown_reason"
    assert status(order) == "awaiting_shipment" and not Refund.objects.exists()


def test_approving_when_no_request_is_open_is_409(seller, place_order):
    order = place_order(paid=True)
    resp = Api(seller).post(f"/seller/orders/{order.number}/cancellation-request/approve")
    assert resp.status_code == 409 and resp.json()["code"] == "no_pending_cancellation_request"


def test_shipping_an_order_with_a_pending_request_answers_it_as_already_shipped(buyer, seller, place_order):
    from souk.fulfilment.services import order_mark_shipped

    order = place_order(paid=True)
    assert Api(buyer).post(f"/orders/{order.number}/cancel", {"reason": "changed_mind"}).status_code in (200, 201)
    order_mark_shipped(seller=seller, order_id=order.pk, carrier="DHL", tracking_number="JD01")
    request = CancellationRequest.objects.get(order=order)
    assert (request.state, request.reject_reason) == ("rejected", "already_shipped")
    assert status(order) == "awaiting_delivery"
    assert not Refund.objects.filter(order=order).exists()
    assert_audit_clean()
