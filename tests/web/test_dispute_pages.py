"""Dispute pages: the buyer opens and follows a dispute from the order page, the seller answers, staff
decide; every page is for its party only, every form's bad input comes back next to its field (422)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from souk.disputes.models import Dispute, Evidence
from souk.disputes.services import dispute_escalate, dispute_open, dispute_reject
from souk.fulfilment.services import order_confirm_receipt
from souk.payments.models import Refund
from tests.factories import UserFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff(db):
    client = Client()
    client.force_login(UserFactory(email="ops@example.com", is_staff=True))
    return client


@pytest.fixture
def stranger(db):
    client = Client()
    client.force_login(UserFactory(email="nosy@example.com"))
    return client


def photo(name="crack.png", content=PNG):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="image/png")


def open_damaged(world, order, **kw):
    return dispute_open(
        buyer=world.buyer,
        order_id=order.pk,
        reason="damaged",
        kind=kw.pop("kind", "refund_only"),
        amount_minor=kw.pop("amount_minor", 1000),
        description="The case is cracked.",
        **kw,
    )


def html(res) -> str:
    return res.content.decode()


# --- The order page and the open form ---------------------------------------------------------


def test_a_shipped_orders_page_offers_open_a_dispute_and_the_cancel_refusal_points_at_it(world, as_buyer):
    order = world.order(shipped=True)
    page = html(as_buyer.get(reverse("orders:order_detail", args=[order.number])))
    assert 'id="dispute-open"' in page and reverse("orders:dispute_open", args=[order.number]) in page
    assert 'href="#dispute"' in page  # the cancel refusal links the button
    # Not received cannot be reported yet: the page says from when.
    assert "you can report it as not received from" in page


def test_an_unshipped_order_has_no_dispute_panel(world, as_buyer):
    order = world.order(paid=True)
    page = html(as_buyer.get(reverse("orders:order_detail", args=[order.number])))
    assert 'id="dispute"' not in page
    assert as_buyer.get(reverse("orders:dispute_open", args=[order.number])).status_code == 302


def test_a_completed_order_whose_payment_was_released_shows_why_it_cannot_be_disputed(
    world, as_buyer, settings
):
    from souk.payments.services import escrow_release_due

    order = world.order(shipped=True)
    order_confirm_receipt(buyer=world.buyer, order_id=order.pk)
    escrow_release_due()
    page = html(as_buyer.get(reverse("orders:order_detail", args=[order.number])))
    assert 'id="dispute-why-not"' in page and "already released to the seller" in page
    assert 'id="dispute-open"' not in page


def test_the_buyer_opens_a_dispute_with_photos_and_lands_on_its_page(world, as_buyer):
    order = world.order(shipped=True)
    url = reverse("orders:dispute_open", args=[order.number])
    form = html(as_buyer.get(url))
    assert (
        'enctype="multipart/form-data"' in form
        and 'id="reason-not_received" name="reason" value="not_received" disabled' in form
    )
    res = as_buyer.post(
        url,
        {
            "reason": "damaged",
            "kind": "refund_only",
            "amount": "10.00",
            "description": "Cracked case.",
            "evidence": [photo(), photo("b.png")],
        },
    )
    dispute = Dispute.objects.get(order=order)
    assert res.status_code == 302 and res["Location"] == reverse("disputes:buyer_dispute", args=[dispute.pk])
    assert dispute.offers.get().amount_minor == 1000 and Evidence.objects.filter(dispute=dispute).count() == 2
    page = html(as_buyer.get(res["Location"]))
    assert 'id="cd-dispute-due"' in page and "Waiting for the seller until" in page
    assert (
        page.count(reverse("disputes:evidence", args=[dispute.evidence.first().pk])) == 2
    )  # link + thumbnail
    order_page = html(as_buyer.get(reverse("orders:order_detail", args=[order.number])))
    assert "Follow the dispute" in order_page and 'id="dispute-open"' not in order_page


@pytest.mark.parametrize(
    "data,field,text",
    [
        ({"kind": "refund_only", "description": "x"}, "reason", "reason is one of"),
        ({"reason": "damaged", "description": "x"}, "kind", "kind is one of"),
        ({"reason": "damaged", "kind": "refund_only"}, "description", "Tell us what happened."),
        (
            {"reason": "damaged", "kind": "refund_only", "description": "x", "amount": "1e1"},
            "amount",
            "digits",
        ),
        (
            {"reason": "damaged", "kind": "refund_only", "description": "x", "amount": "999.00"},
            "amount",
            "what the order still holds",
        ),
    ],
)
def test_the_open_forms_errors_sit_next_to_their_field_and_nothing_is_opened(
    world, as_buyer, data, field, text
):
    order = world.order(shipped=True)
    res = as_buyer.post(reverse("orders:dispute_open", args=[order.number]), data)
    page = html(res)
    assert res.status_code == 422
    assert f'id="{field}-error"' in page and text in page
    assert not Dispute.objects.filter(order=order).exists()


def test_a_file_that_is_not_a_photo_refuses_the_whole_form(world, as_buyer):
    order = world.order(shipped=True)
    res = as_buyer.post(
        reverse("orders:dispute_open", args=[order.number]),
        {
            "reason": "damaged",
            "kind": "refund_only",
            "description": "x",
            "evidence": [photo(), photo("evil.png", b"<script>alert(1)</script>")],
        },
    )
    assert res.status_code == 422 and 'id="evidence-error"' in html(res) and "evil.png" in html(res)
    assert not Dispute.objects.filter(order=order).exists()


def test_not_received_too_early_is_refused_with_the_policys_words(world, as_buyer):
    order = world.order(shipped=True)
    res = as_buyer.post(
        reverse("orders:dispute_open", args=[order.number]),
        {"reason": "not_received", "kind": "refund_only", "description": "Nothing came."},
    )
    assert res.status_code == 409 and "may still be on its way" in html(res)


# --- Who sees what -----------------------------------------------------------------------------


def test_each_dispute_page_is_for_its_party_and_404_for_everyone_else(
    world, as_buyer, as_seller, stranger, staff
):
    order = world.order(shipped=True)
    dispute = open_damaged(world, order)
    from souk.disputes.services import dispute_add_evidence

    evidence = dispute_add_evidence(user=world.buyer, party="buyer", dispute_id=dispute.pk, content=PNG)
    buyer_url = reverse("disputes:buyer_dispute", args=[dispute.pk])
    seller_url = reverse("disputes:seller_dispute", args=[dispute.pk])
    photo_url = reverse("disputes:evidence", args=[evidence.pk])
    assert as_buyer.get(buyer_url).status_code == 200 and as_seller.get(seller_url).status_code == 200
    assert as_buyer.get(seller_url).status_code == 404 and as_seller.get(buyer_url).status_code == 404
    for url in (buyer_url, seller_url, photo_url, reverse("orders:dispute_open", args=[order.number])):
        assert stranger.get(url).status_code == 404, url
    for name, act in [
        ("disputes:buyer_act", "withdraw"),
        ("disputes:seller_act", "accept"),
        ("disputes:staff_act", "decide"),
    ]:
        assert stranger.post(reverse(name, args=[dispute.pk, act])).status_code == 404, name
    assert stranger.get(reverse("disputes:staff_disputes")).status_code == 404
    assert as_seller.get(reverse("disputes:staff_disputes")).status_code == 404
    for client in (as_buyer, as_seller, staff):
        res = client.get(photo_url)
        assert res.status_code == 200 and res["Content-Type"] == "image/png"
        assert res["X-Content-Type-Options"] == "nosniff" and b"".join(res.streaming_content) == PNG
    dispute.refresh_from_db()
    assert dispute.state == "open"


def test_the_seller_dashboard_lists_open_disputes_with_time_left(world, as_seller):
    order = world.order(shipped=True)
    dispute = open_damaged(world, order)
    page = html(as_seller.get(reverse("web:seller_dashboard")))
    assert reverse("disputes:seller_dispute", args=[dispute.pk]) in page
    assert f'id="cd-dispute-{dispute.pk}"' in page and "You must act by" in page


# --- The seller answers; the buyer follows ---------------------------------------------------------


def test_the_seller_accepts_the_buyers_request_and_the_refund_tracker_appears(world, as_buyer, as_seller):
    order = world.order(shipped=True)
    dispute = open_damaged(world, order)
    res = as_seller.post(reverse("disputes:seller_act", args=[dispute.pk, "accept"]), follow=True)
    assert "the refund has started" in html(res)
    dispute.refresh_from_db()
    assert dispute.state == "closed" and Refund.objects.get(order=order).amount_minor == 1000
    page = html(as_buyer.get(reverse("disputes:buyer_dispute", args=[dispute.pk])))
    assert 'id="refunds"' in page and 'id="dispute-outcome"' in page and "$10.00" in page
    assert "Accepted the buyer's request" in page


@pytest.mark.parametrize(
    "act,data,field",
    [
        ("counter", {"kind": "refund_only", "amount": ""}, "counter-amount-error"),
        ("counter", {"kind": "refund_only", "amount": "500.00"}, "counter-amount-error"),
        ("counter", {"kind": "swap", "amount": "5.00"}, "counter-kind-error"),
        ("reject", {"note": ""}, "reject-note-error"),
        ("reject", {"note": "Fine when sent.", "evidence": "x"}, None),
        ("evidence", {}, "evidence-files-error"),
    ],
)
def test_the_sellers_answer_forms_show_their_errors_next_to_the_field(world, as_seller, act, data, field):
    order = world.order(shipped=True)
    dispute = open_damaged(world, order)
    if "evidence" in data:  # a text file posing as a photo
        data = {**data, "evidence": photo("notes.png", b"just text")}
        field = "reject-evidence-error"
    res = as_seller.post(reverse("disputes:seller_act", args=[dispute.pk, act]), data)
    assert res.status_code == 422, html(res)[:400]
    assert f'id="{field}"' in html(res)
    dispute.refresh_from_db()
    assert dispute.state == "open" and dispute.offers.count() == 1


def test_the_seller_counters_and_the_buyer_accepts_from_the_page(world, as_buyer, as_seller):
    order = world.order(shipped=True)
    dispute = open_damaged(world, order, amount_minor=2000)
    as_seller.post(
        reverse("disputes:seller_act", args=[dispute.pk, "counter"]),
        {"kind": "refund_only", "amount": "8.00", "note": "Half, it still works."},
    )
    page = html(as_buyer.get(reverse("disputes:buyer_dispute", args=[dispute.pk])))
    assert "The seller offers refund only (keep the item) of $8.00." in page
    assert re.search(r'id="offer-seller".*?\$8\.00', page, flags=re.S)
    as_buyer.post(reverse("disputes:buyer_act", args=[dispute.pk, "accept"]))
    assert Refund.objects.get(order=order).amount_minor == 800


def test_a_return_runs_through_the_buyers_tracking_form_and_the_sellers_receipt(world, as_buyer, as_seller):
    world.store.return_address = "Atlas Returns\n1 Harbour Road"
    world.store.save()
    order = world.order(shipped=True)
    dispute = open_damaged(world, order, kind="return_and_refund", amount_minor=2450)
    as_seller.post(reverse("disputes:seller_act", args=[dispute.pk, "accept"]))
    url = reverse("disputes:buyer_dispute", args=[dispute.pk])
    page = html(as_buyer.get(url))
    assert "Atlas Returns" in page and 'id="return-form"' in page
    res = as_buyer.post(
        reverse("disputes:buyer_act", args=[dispute.pk, "return"]), {"carrier": "", "tracking_number": "RR1"}
    )
    assert res.status_code == 422 and 'id="return-carrier-error"' in html(res)
    as_buyer.post(
        reverse("disputes:buyer_act", args=[dispute.pk, "return"]),
        {"carrier": "Souk Post", "tracking_number": "RR123456"},
    )
    seller_page = html(as_seller.get(reverse("disputes:seller_dispute", args=[dispute.pk])))
    assert "RR123456" in seller_page and "Confirm return received" in seller_page
    as_seller.post(reverse("disputes:seller_act", args=[dispute.pk, "confirm_return"]))
    assert Refund.objects.get(order=order).amount_minor == 2450


def test_escalating_too_early_shows_when_it_opens_and_a_refused_step_says_why(world, as_buyer):
    order = world.order(shipped=True)
    dispute = open_damaged(world, order)
    page = html(as_buyer.get(reverse("disputes:buyer_dispute", args=[dispute.pk])))
    assert 'id="escalate-why-not"' in page and "You can ask Souk to step in from" in page
    res = as_buyer.post(reverse("disputes:buyer_act", args=[dispute.pk, "escalate"]), follow=True)
    assert "You can ask Souk to step in from" in html(res)
    dispute.refresh_from_db()
    assert dispute.state == "open"


def test_the_store_settings_page_sets_the_return_address(world, as_seller):
    url = reverse("catalog:seller_store_settings")
    res = as_seller.post(url, {"return_address": "x" * 501})
    assert res.status_code == 422 and 'id="err_return_address"' in html(res)
    as_seller.post(url, {"return_address": "Atlas Returns\n1 Harbour Road"})
    world.store.refresh_from_db()
    assert world.store.return_address == "Atlas Returns\n1 Harbour Road"


# --- Staff ---------------------------------------------------------------------------------------


def escalated(world, order, settings):
    settings.SOUK = {**settings.SOUK, "DISPUTE_ESCALATE_AFTER_DAYS": 0}
    dispute = open_damaged(world, order)
    dispute_reject(seller=world.seller, dispute_id=dispute.pk, note="It left here intact.")
    return dispute_escalate(user=world.buyer, party="buyer", dispute_id=dispute.pk)


def test_staff_see_escalated_disputes_and_decide_a_partial_refund(world, staff, settings):
    order = world.order(shipped=True)
    dispute = escalated(world, order, settings)
    page = html(staff.get(reverse("disputes:staff_disputes")))
    assert f'id="dispute-{dispute.pk}"' in page and "It left here intact." in page and "$10.00" in page
    url = reverse("disputes:staff_act", args=[dispute.pk, "decide"])
    res = staff.post(url, {"outcome": "partial_refund", "amount": "", "note": "Photos show a crack."})
    assert res.status_code == 422 and f'id="amount-{dispute.pk}-error"' in html(res)
    res = staff.post(url, {"outcome": "partial_refund", "amount": "6.00", "note": ""})
    assert res.status_code == 422 and f'id="decide-note-{dispute.pk}-error"' in html(res)
    staff.post(url, {"outcome": "partial_refund", "amount": "6.00", "note": "Photos show a crack."})
    assert Refund.objects.get(order=order).amount_minor == 600
    assert f'id="dispute-{dispute.pk}"' not in html(staff.get(reverse("disputes:staff_disputes")))


def test_staff_ask_a_party_for_evidence_with_a_deadline(world, staff, as_seller, settings):
    order = world.order(shipped=True)
    dispute = escalated(world, order, settings)
    url = reverse("disputes:staff_act", args=[dispute.pk, "request_evidence"])
    res = staff.post(url, {"party": "nobody", "note": "x"})
    assert res.status_code == 422 and "party is buyer or seller" in html(res)
    staff.post(url, {"party": "seller", "note": "A photo of the packed parcel, please."})
    dispute.refresh_from_db()
    assert dispute.evidence_from == "seller" and dispute.due_party == "seller"
    page = html(as_seller.get(reverse("disputes:seller_dispute", args=[dispute.pk])))
    assert "A photo of the packed parcel, please." in page and 'id="cd-dispute-due"' in page


# --- CSRF ------------------------------------------------------------------------------------------


def test_every_dispute_form_carries_the_csrf_token_and_a_post_without_it_is_refused(
    world, as_buyer, as_seller, staff, settings
):
    order = world.order(shipped=True)
    dispute = open_damaged(world, order)
    other = world.order(shipped=True)
    escalated(world, other, settings)
    pages = [
        (as_buyer, reverse("orders:dispute_open", args=[world.order(shipped=True).number])),
        (as_buyer, reverse("disputes:buyer_dispute", args=[dispute.pk])),
        (as_seller, reverse("disputes:seller_dispute", args=[dispute.pk])),
        (as_seller, reverse("catalog:seller_store_settings")),
        (staff, reverse("disputes:staff_disputes")),
    ]
    seen = 0
    for client, url in pages:
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", html(client.get(url)), flags=re.S):
            assert 'name="csrfmiddlewaretoken"' in form, (url, form[:120])
            seen += 1
    assert seen >= 10
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.seller)
    assert strict.post(reverse("disputes:seller_act", args=[dispute.pk, "accept"])).status_code == 403
    dispute.refresh_from_db()
    assert dispute.state == "open"


def test_the_seller_rejects_with_reasons_and_a_photo_and_the_buyer_reads_both(world, as_buyer, as_seller):
    order = world.order(shipped=True)
    dispute = open_damaged(world, order)
    res = as_seller.post(
        reverse("disputes:seller_act", args=[dispute.pk, "reject"]),
        {"note": "It left here intact.", "evidence": [photo("packed.png")]},
    )
    assert res.status_code == 302
    dispute.refresh_from_db()
    assert dispute.state == "negotiating" and Evidence.objects.get(dispute=dispute).party == "seller"
    page = html(as_buyer.get(reverse("disputes:buyer_dispute", args=[dispute.pk])))
    assert (
        "Rejected the request" in page and "It left here intact." in page and "Photo from the seller" in page
    )


def test_the_sellers_order_page_links_the_dispute(world, as_seller):
    order = world.order(shipped=True)
    url = reverse("orders:seller_order_detail", args=[order.number])
    assert 'id="dispute"' not in html(as_seller.get(url))
    dispute = open_damaged(world, order)
    page = html(as_seller.get(url))
    assert "Answer the dispute" in page and reverse("disputes:seller_dispute", args=[dispute.pk]) in page


def test_opening_a_dispute_notification_goes_to_the_dispute_on_the_readers_side(world, as_seller):
    from souk.notifications.models import Notification

    order = world.order(shipped=True)
    dispute = open_damaged(world, order)
    note = Notification.objects.get(recipient=world.seller, kind="dispute_opened")
    res = as_seller.post(reverse("web:notification_open", args=[note.pk]))
    assert res["Location"] == reverse("disputes:seller_dispute", args=[dispute.pk])


def test_the_buyer_disputes_some_of_a_lines_quantity_and_a_wrong_quantity_is_said_next_to_the_lines(
    world, as_buyer
):
    order = world.order(quantity=3, shipped=True)
    line = order.lines.get()
    url = reverse("orders:dispute_open", args=[order.number])
    base = {
        "reason": "damaged",
        "kind": "refund_only",
        "description": "One of three is broken.",
        f"line_{line.pk}": "on",
    }
    res = as_buyer.post(url, {**base, f"qty_{line.pk}": "7"})
    assert (
        res.status_code == 422 and 'id="lines-error"' in html(res) and "Choose between 1 and 3" in html(res)
    )
    assert f'id="line-{line.pk}" name="line_{line.pk}" checked' in html(res)  # the choice is kept
    as_buyer.post(url, {**base, f"qty_{line.pk}": "1"})
    dispute = Dispute.objects.get(order=order)
    assert dispute.lines == [{"line_id": line.pk, "quantity": 1}]
    assert dispute.offers.get().amount_minor == 2450 + 100  # the item and its share of the $3.00 shipping
