"""The dispute API as a buyer, a seller and staff would use it: open, counter, accept, watch the
refund land; strangers get 404; a replayed Idempotency-Key answers the first answer."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from souk.disputes.models import Dispute
from souk.payments.models import Refund
from souk.payments.services import escrow_release_due
from tests.disputes.conftest import PNG, settle_refunds
from tests.ledger.audit import assert_audit_clean
from tests.support import Api


def test_open_counter_accept_and_the_refund_lands(buyer, seller, shipped_order, settle_now):
    order = shipped_order()
    as_buyer, as_seller = Api(buyer), Api(seller)
    options = as_buyer.get(f"/orders/{order.number}/disputes").json()
    assert options["reasons"]["damaged"]["allowed"] and not options["reasons"]["not_received"]["allowed"]
    assert options["held"] == {"amount": "43.00", "currency": "USD"}

    opened = as_buyer.post(
        f"/orders/{order.number}/disputes",
        {"reason": "damaged", "kind": "refund_only", "amount": "20.00", "description": "Cracked screen."},
        key="o-1",
    )
    assert opened.status_code == 201, opened.content
    body = opened.json()
    dispute_id = body["id"]
    assert body["state"] == "open" and body["due_party"] == "seller"
    assert body["buyer_offer"]["amount"] == {"amount": "20.00", "currency": "USD"}
    assert body["actions"]["escalate"]["code"] == "too_early_to_escalate"

    listed = as_seller.get("/seller/disputes", {"open_only": "true"}).json()
    assert [d["id"] for d in listed] == [dispute_id]
    countered = as_seller.post(
        f"/seller/disputes/{dispute_id}/counter",
        {"kind": "refund_only", "amount": "12.50", "note": "Half the screen price."},
    )
    assert countered.status_code == 200 and countered.json()["state"] == "negotiating"
    assert countered.json()["actions"]["accept"]["code"] == "own_offer"

    accepted = as_buyer.post(f"/disputes/{dispute_id}/accept", key="a-1")
    assert accepted.status_code == 200, accepted.content
    done = accepted.json()
    assert done["state"] == "closed" and done["decision"]["decided_by"] == "buyer_accepted"
    assert done["decision"]["amount"]["amount"] == "12.50" and done["decision"]["against_seller"]

    settle_refunds(order)
    escrow_release_due()
    refunds = as_buyer.get(f"/orders/{order.number}/refunds").json()
    assert refunds[0]["state"] == "succeeded" and refunds[0]["amount"] == "12.50"
    assert_audit_clean()


def test_a_replayed_accept_answers_the_first_answer_and_refunds_once(buyer, seller, shipped_order):
    order = shipped_order()
    dispute = (
        Api(buyer)
        .post(
            f"/orders/{order.number}/disputes",
            {"reason": "wrong_item", "kind": "refund_only", "description": "A blue one, not red."},
        )
        .json()
    )
    first = Api(seller).post(f"/seller/disputes/{dispute['id']}/accept", key="same")
    again = Api(seller).post(f"/seller/disputes/{dispute['id']}/accept", key="same")
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json() == first.json()
    assert Refund.objects.filter(order=order).count() == 1


def test_strangers_get_404_and_non_staff_get_403_on_staff_routes(buyer, seller, shipped_order, stranger):
    order = shipped_order()
    dispute = (
        Api(buyer)
        .post(
            f"/orders/{order.number}/disputes",
            {"reason": "damaged", "kind": "refund_only", "description": "Broken."},
        )
        .json()
    )
    them = Api(stranger)
    assert them.get(f"/disputes/{dispute['id']}").status_code == 404
    assert them.post(f"/seller/disputes/{dispute['id']}/accept").status_code == 404
    assert (
        them.post(
            f"/orders/{order.number}/disputes",
            {"reason": "damaged", "kind": "refund_only", "description": "x"},
        ).status_code
        == 404
    )
    assert (
        Api(seller).get(f"/disputes/{dispute['id']}").status_code == 404
    )  # the seller's view is /seller/...
    assert them.get("/staff/disputes").status_code == 403
    assert Dispute.objects.get().state == "open"


def test_bad_input_is_refused_by_field(buyer, shipped_order):
    order = shipped_order()
    api = Api(buyer)
    bad = api.post(
        f"/orders/{order.number}/disputes", {"reason": "bored", "kind": "refund_only", "description": ""}
    )
    assert bad.status_code == 422
    too_much = api.post(
        f"/orders/{order.number}/disputes",
        {"reason": "damaged", "kind": "refund_only", "amount": "43.01", "description": "x"},
    )
    assert too_much.status_code == 422 and too_much.json()["errors"][0]["code"] == "amount_too_high"
    assert not Dispute.objects.exists()


def test_a_shipped_orders_cancel_refusal_points_at_opening_a_dispute(buyer, shipped_order):
    order = shipped_order()
    refused = Api(buyer).post(f"/orders/{order.number}/cancel", {"reason": "changed_mind"})
    assert refused.status_code == 409
    assert "Open a dispute" in refused.json()["next_step"]
    assert refused.json()["next_action"] == "open_dispute"


def test_photos_upload_as_multipart_and_come_back_to_both_parties(buyer, seller, shipped_order):
    order = shipped_order()
    dispute = (
        Api(buyer)
        .post(
            f"/orders/{order.number}/disputes",
            {"reason": "damaged", "kind": "refund_only", "description": "Broken."},
        )
        .json()
    )
    api = Api(buyer)
    sent = api.client.post(
        f"/api/disputes/{dispute['id']}/evidence",
        headers=api.auth,
        data={"file": SimpleUploadedFile("box.png", PNG, "image/png"), "note": "The box"},
    )
    assert sent.status_code == 201, sent.content
    [photo] = sent.json()["evidence"]
    assert photo["content_type"] == "image/png" and photo["note"] == "The box"
    fetched = Api(seller).client.get(
        f"/api/seller/disputes/{dispute['id']}/evidence/{photo['id']}", headers=Api(seller).auth
    )
    assert fetched.status_code == 200 and b"".join(fetched.streaming_content) == PNG
    not_image = api.client.post(
        f"/api/disputes/{dispute['id']}/evidence",
        headers=api.auth,
        data={"file": SimpleUploadedFile("x.png", b"MZ not an image", "image/png")},
    )
    assert not_image.status_code == 422 and not_image.json()["code"] == "evidence_not_an_image"


def test_staff_see_escalations_with_offers_and_messages_and_decide(buyer, seller, staff, shipped_order):
    order = shipped_order()
    opened = timezone.now() - timedelta(days=4)
    from souk.disputes.services import dispute_escalate, dispute_open, dispute_reject

    dispute = dispute_open(
        buyer=buyer,
        order_id=order.pk,
        reason="damaged",
        kind="refund_only",
        description="Broken.",
        now=opened,
    )
    dispute_reject(seller=seller, dispute_id=dispute.pk, note="It was fine.", now=opened + timedelta(hours=1))
    dispute_escalate(user=buyer, party="buyer", dispute_id=dispute.pk)
    queue = Api(staff).get("/staff/disputes").json()
    assert [d["id"] for d in queue] == [dispute.pk]
    assert queue[0]["seller_offer"]["kind"] == "" and queue[0]["messages"]
    decided = Api(staff).post(
        f"/staff/disputes/{dispute.pk}/decide",
        {"outcome": "partial_refund", "amount": "10.00", "note": "Half."},
        key="d-1",
    )
    assert decided.status_code == 200 and decided.json()["decision"]["decided_by"] == "staff"
    assert Refund.objects.get(order=order).amount_minor == 1000
