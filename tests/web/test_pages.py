"""The pages as a browser without JavaScript sees them: forms post, errors sit next to their field,
other people's orders do not exist, and whatever people type is shown as text."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from souk.cancellations.services import order_cancel_by_buyer
from souk.messaging.services import message_send
from souk.orders.models import Order
from souk.payments.models import Refund
from tests.factories import UserFactory

EVIL = '<script>alert("x")</script><b>bold</b>'


def status_of(order) -> str:
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


# --- Buyer: cancel ---------------------------------------------------------------------------

def test_cancelling_a_paid_order_without_javascript_asks_the_seller(world, as_buyer):
    order = world.order(paid=True)
    page = as_buyer.get(reverse("orders:cancel", args=[order.number])).content.decode()
    assert "Why do you want to cancel?" in page and "I changed my mind" in page and "Confirm Cancellation" in page
    res = as_buyer.post(reverse("orders:cancel", args=[order.number]), {"reason": "changed_mind", "note": ""},
                        follow=True)
    html = res.content.decode()
    assert status_of(order) == "awaiting_cancellation"
    assert "Your cancellation request was sent to the seller" in html
    assert "Withdraw my request" in html and 'data-countdown' in html


def test_cancelling_without_a_reason_shows_the_error_next_to_the_reasons_and_changes_nothing(world, as_buyer):
    order = world.order(paid=True)
    res = as_buyer.post(reverse("orders:cancel", args=[order.number]), {"reason": "", "note": ""})
    html = res.content.decode()
    assert res.status_code == 422
    assert re.search(r'<fieldset class="field-error" aria-invalid="true" aria-describedby="reason-error">', html)
    assert 'id="reason-error"' in html
    assert status_of(order) == "awaiting_shipment"


def test_the_pop_up_opens_again_with_its_errors_when_htmx_posts_a_bad_note(world, as_buyer):
    order = world.order(paid=True)
    res = as_buyer.post(reverse("orders:cancel", args=[order.number]), {"reason": "other", "note": " "},
                        HTTP_HX_REQUEST="true")
    html = res.content.decode()
    assert res.status_code == 422
    assert '<dialog id="cancel-dialog"' in html and "data-open" in html
    assert 'id="note-error"' in html and "Please tell us why" in html
    assert status_of(order) == "awaiting_shipment"


def test_an_unpaid_order_is_cancelled_at_once_and_nothing_is_refunded(world, as_buyer):
    order = world.order()
    res = as_buyer.post(reverse("orders:cancel", args=[order.number]), {"reason": "ordered_by_mistake"},
                        follow=True)
    assert status_of(order) == "cancelled"
    assert "Your order is cancelled. Nothing was charged." in res.content.decode()
    assert not Refund.objects.filter(order=order).exists()


def test_a_shipped_order_shows_why_not_and_the_next_step_instead_of_the_button(world, as_buyer):
    order = world.order(shipped=True)
    html = as_buyer.get(reverse("orders:order_detail", args=[order.number])).content.decode()
    assert "Cancel Order</a>" not in html
    assert "already shipped" in html and "confirm receipt" in html
    res = as_buyer.post(reverse("orders:cancel", args=[order.number]), {"reason": "changed_mind"}, follow=True)
    assert "already shipped" in res.content.decode()
    assert status_of(order) == "awaiting_delivery"
    assert as_buyer.get(reverse("orders:cancel", args=[order.number])).status_code == 302


def test_withdrawing_a_request_sends_the_order_back_to_shipment(world, as_buyer):
    order = world.order(paid=True)
    order_cancel_by_buyer(buyer=world.buyer, order_id=order.pk, reason="changed_mind")
    res = as_buyer.post(reverse("orders:withdraw_request", args=[order.number]), follow=True)
    assert "Request withdrawn" in res.content.decode()
    assert status_of(order) == "awaiting_shipment"


# --- Buyer: pay, refund tracker -----------------------------------------------------------------

def test_a_declined_card_is_shown_on_the_order_page_and_a_good_one_pays(world, as_buyer):
    order = world.order()
    url = reverse("orders:pay", args=[order.number])
    res = as_buyer.post(url, {"method": "card", "token": "tok_insufficient_funds", "idempotency_key": "k1"})
    assert res.status_code == 422 and "insufficient funds" in res.content.decode()
    assert status_of(order) == "awaiting_payment"
    res = as_buyer.post(url, {"method": "card", "token": "tok_visa", "idempotency_key": "k2"}, follow=True)
    assert "Payment received" in res.content.decode()
    assert status_of(order) == "awaiting_shipment"


def test_the_refund_tracker_shows_amount_method_expected_date_and_delay(world, as_buyer, as_seller):
    order = world.order(paid=True)
    as_seller.post(reverse("orders:seller_cancel", args=[order.number]), {"reason": "out_of_stock", "note": "", "confirm": "yes"})
    refund = Refund.objects.get(order=order)
    Refund.objects.filter(pk=refund.pk).update(flagged_at=refund.created_at)
    html = as_buyer.get(reverse("orders:order_detail", args=[order.number])).content.decode()
    assert 'id="refunds"' in html and "$27.50" in html and "Card" in html
    assert "Expected by" in html and refund.expected_by.strftime("%-d %b %Y") in html
    assert "taking longer than it should" in html


# --- Seller ------------------------------------------------------------------------------------

def test_the_seller_rejects_a_request_because_it_shipped_and_must_give_tracking(world, as_seller):
    order = world.order(paid=True)
    order_cancel_by_buyer(buyer=world.buyer, order_id=order.pk, reason="changed_mind")
    url = reverse("orders:seller_answer", args=[order.number])
    res = as_seller.post(url, {"decision": "reject", "reason": "already_shipped"})
    html = res.content.decode()
    assert res.status_code == 422
    assert 'id="reject-carrier-error"' in html and 'id="reject-tracking-error"' in html
    assert status_of(order) == "awaiting_cancellation"
    res = as_seller.post(url, {"decision": "reject", "reason": "already_shipped", "carrier": "Souk Post",
                               "tracking_number": "SP123456789CN"}, follow=True)
    assert "Request rejected" in res.content.decode()
    assert status_of(order) == "awaiting_delivery"


def test_the_seller_approves_and_the_order_is_cancelled_with_a_refund(world, as_seller):
    order = world.order(paid=True)
    order_cancel_by_buyer(buyer=world.buyer, order_id=order.pk, reason="changed_mind")
    res = as_seller.post(reverse("orders:seller_answer", args=[order.number]), {"decision": "approve"}, follow=True)
    assert "Cancellation approved" in res.content.decode()
    assert status_of(order) == "cancelled"
    assert Refund.objects.get(order=order).amount_minor == 2750


def test_the_dashboard_lists_requests_with_time_left_orders_to_ship_and_unread_messages(world, as_seller):
    asked = world.order(paid=True)
    order_cancel_by_buyer(buyer=world.buyer, order_id=asked.pk, reason="shipping_too_long")
    to_ship = world.order(paid=True)
    message_send(sender=world.buyer, order_id=to_ship.pk, body="When will it ship?")
    html = as_seller.get(reverse("web:seller_dashboard")).content.decode()
    assert asked.display_number in html and "Shipping takes too long" in html
    assert to_ship.display_number in html and html.count("data-countdown") >= 2
    assert "When will it ship?" in html


def test_someone_without_a_store_is_sent_to_open_one(world):
    client = Client()
    client.force_login(world.buyer)
    res = client.get(reverse("web:seller_dashboard"))
    assert res.status_code == 302 and res["Location"] == reverse("catalog:seller_store_open")


# --- Staff -------------------------------------------------------------------------------------

def test_staff_cancel_an_order_for_quality_control_and_others_cannot_see_the_page(world, as_buyer):
    order = world.order(paid=True)
    assert as_buyer.get(reverse("web:staff_cancel")).status_code == 404
    staff = Client()
    staff.force_login(UserFactory(is_staff=True))
    res = staff.post(reverse("web:staff_cancel"), {"number": "1234", "reason": "risk"})
    assert res.status_code == 422 and "No order has this number." in res.content.decode()
    res = staff.post(reverse("web:staff_cancel"), {"number": order.number, "reason": "changed_mind"})
    assert res.status_code == 422 and 'id="reason-error"' in res.content.decode()
    res = staff.post(reverse("web:staff_cancel"), {"number": order.number, "reason": "quality_control_failure",
                                                   "note": "Batch failed inspection"}, follow=True)
    assert "cancelled" in res.content.decode()
    assert status_of(order) == "cancelled"


# --- Messages and notifications ------------------------------------------------------------------

def test_html_in_messages_notes_and_notifications_is_shown_as_text(world, as_buyer, as_seller):
    order = world.order(paid=True)
    as_buyer.post(reverse("orders:message_send", args=[order.number]), {"body": EVIL})
    order_cancel_by_buyer(buyer=world.buyer, order_id=order.pk, reason="other", note=EVIL)
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;"
    for client, url in [(as_buyer, reverse("orders:order_detail", args=[order.number])),
                        (as_seller, reverse("orders:seller_order_detail", args=[order.number])),
                        (as_seller, reverse("web:notifications"))]:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<b>bold</b>" not in html, url
        assert escaped in html or "&lt;script&gt;" in html, url


def test_an_empty_message_is_refused_next_to_the_field(world, as_buyer):
    order = world.order(paid=True)
    res = as_buyer.post(reverse("orders:message_send", args=[order.number]), {"body": "   "})
    assert res.status_code == 422
    assert 'id="msg-body-error"' in res.content.decode()


def test_the_header_counts_unread_messages_and_notifications_and_reading_clears_them(world, as_buyer, as_seller):
    order = world.order(paid=True)
    message_send(sender=world.buyer, order_id=order.pk, body="Hello?")
    html = as_seller.get(reverse("web:notifications")).content.decode()
    assert "(1 unread)" in html  # messages badge
    assert "Hello?" in html
    as_seller.get(reverse("orders:seller_order_detail", args=[order.number]))
    as_seller.post(reverse("web:notifications"))
    html = as_seller.get(reverse("web:notifications")).content.decode()
    assert "unread)" not in html


# --- Security ------------------------------------------------------------------------------------

def test_another_users_order_answers_404_on_every_page_and_action(world):
    order = world.order(paid=True)
    stranger = Client()
    stranger.force_login(UserFactory())
    n = order.number
    for url in [reverse("orders:order_detail", args=[n]), reverse("orders:cancel", args=[n]),
                reverse("orders:seller_order_detail", args=[n])]:
        assert stranger.get(url).status_code == 404, url
    for name, data in [("orders:pay", {"method": "card", "token": "tok_visa", "idempotency_key": "x"}),
                       ("orders:cancel", {"reason": "changed_mind"}), ("orders:withdraw_request", {}),
                       ("orders:message_send", {"body": "hi"}), ("orders:seller_answer", {"decision": "approve"}),
                       ("orders:seller_cancel", {"reason": "out_of_stock"}),
                       ("orders:seller_message_send", {"body": "hi"}), ("orders:confirm_receipt", {})]:
        assert stranger.post(reverse(name, args=[n]), data).status_code == 404, name
    assert status_of(order) == "awaiting_shipment"


def test_the_buyer_cannot_use_the_sellers_pages_of_their_own_order(world, as_buyer):
    order = world.order(paid=True)
    assert as_buyer.get(reverse("orders:seller_order_detail", args=[order.number])).status_code == 404
    res = as_buyer.post(reverse("orders:seller_cancel", args=[order.number]), {"reason": "out_of_stock"})
    assert res.status_code == 404
    assert status_of(order) == "awaiting_shipment"


@pytest.mark.parametrize("name,data", [
    ("orders:cancel", {"reason": "changed_mind"}),
    ("orders:pay", {"method": "card", "token": "tok_visa", "idempotency_key": "csrf"}),
    ("orders:message_send", {"body": "hi"}),
])
def test_a_post_without_the_csrf_token_is_refused(world, name, data):
    order = world.order(paid=name != "orders:pay")
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.buyer)
    assert client.post(reverse(name, args=[order.number]), data).status_code == 403
    assert status_of(order) in ("awaiting_shipment", "awaiting_payment")


def test_every_form_on_every_page_carries_the_csrf_token(world, as_buyer, as_seller):
    unpaid, paid, shipped = world.order(), world.order(paid=True), world.order(shipped=True)
    asked = world.order(paid=True)
    order_cancel_by_buyer(buyer=world.buyer, order_id=asked.pk, reason="changed_mind")
    done = world.order(shipped=True)
    from souk.fulfilment.services import order_confirm_receipt

    order_confirm_receipt(buyer=world.buyer, order_id=done.pk)
    staff = Client()
    staff.force_login(UserFactory(is_staff=True))
    pages = [(as_buyer, reverse("orders:order_detail", args=[o.number])) for o in (unpaid, paid, shipped, asked, done)]
    pages += [(as_buyer, reverse("orders:cancel", args=[paid.number])), (as_buyer, reverse("orders:my_orders")),
              (as_seller, reverse("web:seller_dashboard")), (as_seller, reverse("web:notifications")),
              (as_seller, reverse("orders:seller_order_detail", args=[asked.number])),
              (as_seller, reverse("orders:seller_order_detail", args=[paid.number])),
              (staff, reverse("web:staff_cancel"))]
    seen = 0
    for client, url in pages:
        html = client.get(url).content.decode()
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", html, flags=re.S):
            assert 'name="csrfmiddlewaretoken"' in form, (url, form[:120])
            seen += 1
    assert seen >= 15


def test_when_the_payment_service_does_not_answer_the_retry_reuses_the_same_key(world, as_buyer):
    order = world.order()
    url = reverse("orders:pay", args=[order.number])
    res = as_buyer.post(url, {"method": "card", "token": "tok_timeout", "idempotency_key": "same-key-1"})
    html = res.content.decode()
    assert res.status_code == 503 and "did not answer" in html
    assert 'name="idempotency_key" value="same-key-1"' in html
    assert status_of(order) == "awaiting_payment"


def test_paying_with_another_card_while_the_first_is_being_checked_says_so_and_charges_nothing(world, as_buyer):
    order = world.order()
    url = reverse("orders:pay", args=[order.number])
    assert as_buyer.post(url, {"method": "card", "token": "tok_timeout", "idempotency_key": "k1"}).status_code == 503
    res = as_buyer.post(url, {"method": "card", "token": "tok_mastercard", "idempotency_key": "k2"})
    html = res.content.decode()
    assert res.status_code == 409 and "still checking your previous payment" in html
    assert status_of(order) == "awaiting_payment"


def test_opening_a_notification_marks_it_read_and_goes_to_that_side_of_the_order(world, as_buyer, as_seller):
    from souk.notifications.models import Notification

    order = world.order(paid=True)
    order_cancel_by_buyer(buyer=world.buyer, order_id=order.pk, reason="changed_mind")
    note = Notification.objects.filter(recipient=world.seller, order=order).latest("pk")
    assert as_buyer.post(reverse("web:notification_open", args=[note.pk])).status_code == 404  # not theirs
    assert as_seller.get(reverse("web:notification_open", args=[note.pk])).status_code == 405  # a write: POST
    res = as_seller.post(reverse("web:notification_open", args=[note.pk]))
    assert res["Location"] == reverse("orders:seller_order_detail", args=[order.number])
    note.refresh_from_db()
    assert note.read_at is not None


def test_a_completed_order_can_be_reviewed_once_from_its_page(world, as_buyer):
    from souk.fulfilment.services import order_confirm_receipt

    order = world.order(shipped=True)
    url = reverse("orders:order_detail", args=[order.number])
    assert 'id="review"' not in as_buyer.get(url).content.decode()  # not before it is complete
    order_confirm_receipt(buyer=world.buyer, order_id=order.pk)
    html = as_buyer.get(url).content.decode()
    assert 'action="' + reverse("orders:review", args=[order.number]) + '"' in html
    res = as_buyer.post(reverse("orders:review", args=[order.number]),
                        {"overall": "9", "item_as_described": "5", "communication": "5", "shipping_speed": "4"})
    html = res.content.decode()
    assert res.status_code == 422 and 'id="rate-overall-error"' in html and 'aria-invalid="true"' in html
    res = as_buyer.post(reverse("orders:review", args=[order.number]),
                        {"overall": "5", "item_as_described": "5", "communication": "4", "shipping_speed": "4",
                         "text": "Great <em>sound</em>"}, follow=True)
    html = res.content.decode()
    assert "Thank you for your review." in html and "Great &lt;em&gt;sound&lt;/em&gt;" in html
    assert 'action="' + reverse("orders:review", args=[order.number]) + '"' not in html
    stranger = Client()
    stranger.force_login(UserFactory())
    assert stranger.post(reverse("orders:review", args=[order.number]), {"overall": "1"}).status_code == 404
