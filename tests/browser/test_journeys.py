"""Shorter journeys, each as a person clicks it: paying, cancelling an unpaid order, a shipped order
that can no longer be cancelled, messages both ways, a refused address, and the cancel flow with
JavaScript switched off."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.web.world import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_order(page, order) -> None:
    page.get_by_role("link", name="My Orders").click()
    page.get_by_role("link", name=f"Order {order.display_number}").click()
    expect(page.get_by_role("heading", name=f"Order {order.display_number}")).to_be_visible()


def test_a_new_buyer_registers_is_logged_in_and_can_log_out(new_page, shot):
    page = new_page()
    page.goto("/")
    page.get_by_role("link", name="Register").click()
    page.get_by_label("Email").fill("layla@example.com")
    page.get_by_label("Display name").fill("Layla")
    page.get_by_label("Password", exact=True).fill("a long walk to the souk")
    page.get_by_label("Password again").fill("a long walk to the souk")
    shot(page, "00-register")
    page.get_by_role("button", name=re.compile("Create|Register", re.I)).click()
    expect(page.locator("#flash")).to_contain_text("Welcome to Souk!")
    page.get_by_role("link", name="My Orders").click()
    expect(page.get_by_text("No orders here")).to_be_visible()
    page.get_by_role("button", name=re.compile("Log out")).click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()


def test_a_declined_card_is_explained_and_another_card_pays_the_order(new_page, shot):
    world = build_world()
    order = world.order()
    page = new_page()
    log_in(page, world.buyer.email, PASSWORD)
    page.get_by_role("link", name="My Orders").click()
    page.get_by_role("link", name="Awaiting payment").click()
    expect(page.get_by_role("link", name=f"Order {order.display_number}")).to_be_visible()
    page.get_by_role("link", name=f"Order {order.display_number}").click()
    expect(page.locator("#cd-pay-by")).to_be_visible()
    page.get_by_label("Card").select_option("tok_insufficient_funds")
    page.get_by_role("button", name="Pay now").click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile("declined|funds", re.I))
    expect(page.get_by_label("Card")).to_have_attribute("aria-invalid", "true")
    shot(page, "10-payment-declined")
    page.get_by_label("Card").select_option("tok_visa")
    page.get_by_role("button", name="Pay now").click()
    expect(page.locator("#order-status")).to_have_text("Awaiting shipment")
    expect(page.locator("#flash")).to_contain_text("Payment received")


def test_an_unpaid_order_is_cancelled_at_once(new_page, shot):
    world = build_world()
    order = world.order()
    page = new_page()
    log_in(page, world.buyer.email, PASSWORD)
    open_order(page, order)
    page.get_by_role("link", name="Cancel Order").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("closes at once")
    dialog.get_by_role("radio", name="Other (please tell us why)").check()
    dialog.get_by_role("button", name="Confirm Cancellation").click()
    # The pop-up comes back with the error next to the note, and the focus on it.
    expect(dialog.locator("#note-error")).to_have_text("Please tell us why in the note.")
    expect(dialog.get_by_label("Anything the seller should know?")).to_be_focused()
    expect(page.locator("#order-status")).to_have_text("Awaiting payment")
    shot(page, "11a-cancel-pop-up-error", full_page=False)
    dialog.get_by_role("radio", name="I ordered by mistake").check()
    dialog.get_by_role("button", name="Confirm Cancellation").click()
    expect(page.locator("#order-status")).to_have_text("Cancelled")
    expect(page.locator("#flash")).to_contain_text("Your order is cancelled. Nothing was charged.")
    expect(page.get_by_role("link", name="Cancel Order")).to_have_count(0)
    shot(page, "11-unpaid-order-cancelled-at-once")


def test_a_shipped_order_says_why_it_cannot_be_cancelled_and_what_to_do(new_page, shot):
    world = build_world()
    order = world.order(shipped=True)
    page = new_page()
    log_in(page, world.buyer.email, PASSWORD)
    open_order(page, order)
    expect(page.locator("#order-status")).to_have_text("Awaiting delivery")
    why = page.locator("#why-not")
    expect(why).to_contain_text("already shipped")
    expect(why).to_contain_text("confirm receipt")
    expect(why.get_by_role("link", name=re.compile("Open a dispute"))).to_have_attribute("href", "#dispute")
    expect(page.get_by_role("link", name="Open a dispute", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Cancel Order")).to_have_count(0)
    expect(page.get_by_text(order.tracking_number, exact=True)).to_be_visible()  # also in the thread
    expect(page.locator("#cd-protection")).to_be_visible()
    shot(page, "12-shipped-order-cannot-be-cancelled")
    page.get_by_role("button", name="Confirm receipt").click()
    expect(page.locator("#order-status")).to_have_text("Completed")
    review = page.get_by_role("region", name="Your review")
    review.get_by_label("Shipping speed").select_option("4")
    review.get_by_label("Tell other buyers about it").fill("Clear sound, arrived in 9 days.")
    review.get_by_role("button", name="Post review").click()
    expect(page.locator("#flash")).to_contain_text("Thank you for your review.")
    expect(page.get_by_role("region", name="Your review")).to_contain_text("Clear sound, arrived in 9 days.")
    shot(page, "12a-completed-and-reviewed")


def test_buyer_and_seller_exchange_messages_on_the_order_page(new_page, shot):
    world = build_world()
    order = world.order(paid=True)
    buyer = new_page()
    log_in(buyer, world.buyer.email, PASSWORD)
    open_order(buyer, order)
    buyer.get_by_label("Write a message").fill("Is it <i>waterproof</i>?")
    buyer.get_by_role("button", name="Send").click()
    thread = buyer.locator("#messages .thread")
    expect(thread).to_contain_text("Is it <i>waterproof</i>?")  # shown as typed, not as HTML
    expect(buyer.locator("#messages i")).to_have_count(0)

    seller = new_page()
    log_in(seller, world.seller.email, PASSWORD)
    expect(seller).to_have_url(re.compile(r"/seller/$"))  # a seller lands on the seller dashboard
    expect(seller.get_by_role("link", name="Messages (1 unread)")).to_be_visible()  # the header's badge
    seller.get_by_role("link", name="Seller dashboard").click()
    unread = seller.get_by_role("region", name=re.compile("Unread messages"))
    expect(unread).to_contain_text("waterproof")
    unread.get_by_role("link", name="Amina").click()
    expect(seller.locator("#messages .thread")).to_contain_text("Is it <i>waterproof</i>?")
    seller.get_by_label("Write a message").fill("Yes: IPX4, rain and sweat are fine.")
    seller.get_by_role("button", name="Send").click()
    expect(seller.locator("#messages .thread")).to_contain_text("IPX4")
    shot(seller, "13-seller-replies")

    buyer.reload()
    expect(buyer.locator("#messages .thread")).to_contain_text("Yes: IPX4, rain and sweat are fine.")
    shot(buyer, "14-buyer-reads-the-reply")


def test_an_address_with_a_bad_postal_code_is_refused_with_the_field_highlighted(new_page, shot):
    world = build_world()
    page = new_page()
    log_in(page, world.buyer.email, PASSWORD)
    page.get_by_role("link", name="Addresses").click()
    page.get_by_role("link", name=re.compile("Add an address", re.I)).click()
    page.get_by_label("Country").select_option("DE")
    page.get_by_label("Recipient name").fill("Amina Haddad")
    page.get_by_label("Street address").fill("Unter den Linden 77")
    page.get_by_label("City").fill("Berlin")
    page.get_by_label("Postal code").fill("1O117")
    page.get_by_label("Phone", exact=True).fill("+49 30 2270 0")
    page.get_by_role("button", name="Save address").click()
    postal = page.get_by_label(re.compile("Postal code"))
    wrapper = page.locator(".field-error", has=postal)
    expect(wrapper).to_be_visible()
    expect(wrapper).to_contain_text(re.compile("postal code", re.I))
    expect(postal).to_have_value("1O117")
    expect(postal).to_have_attribute("aria-invalid", "true")
    shot(page, "15-address-bad-postal-code")


def test_the_cancel_flow_works_with_javascript_switched_off(new_page, shot):
    world = build_world()
    order = world.order(paid=True)
    page = new_page(java_script_enabled=False)
    log_in(page, world.buyer.email, PASSWORD)
    open_order(page, order)
    page.get_by_role("link", name="Cancel Order").click()  # without JavaScript the pop-up is a page
    expect(page).to_have_url(re.compile(r"/cancel/$"))
    page.get_by_role("button", name="Confirm Cancellation").click()  # no reason: the browser checks `required`
    expect(page).to_have_url(re.compile(r"/cancel/$"))
    page.get_by_role("radio", name="I found a better price elsewhere").check()
    shot(page, "16-no-javascript-cancel-page")
    page.get_by_role("button", name="Confirm Cancellation").click()
    expect(page.locator("#order-status")).to_have_text("Awaiting cancellation")
    expect(page.locator("#flash")).to_contain_text("sent to the seller")
    page.get_by_role("button", name="Withdraw my request").click()
    expect(page.locator("#order-status")).to_have_text("Awaiting shipment")


def test_the_order_page_fits_a_phone(new_page, shot):
    world = build_world()
    order = world.order(paid=True)
    page = new_page(phone=True)
    log_in(page, world.buyer.email, PASSWORD)
    for url in ("/orders/", "/notifications/", "/messages/", "/accounts/addresses/"):
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{url} scrolls sideways on a phone ({width}px)"
    page.goto("/orders/")
    shot(page, "17a-phone-my-orders")
    page.goto(f"/orders/{order.number}/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    page.get_by_role("link", name="Cancel Order").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    shot(page, "17-phone-cancel-pop-up", full_page=False)


def test_the_seller_rejects_a_request_because_the_parcel_already_left(new_page, shot):
    from souk.cancellations.services import order_cancel_by_buyer

    world = build_world()
    order = world.order(paid=True)
    order_cancel_by_buyer(buyer=world.buyer, order_id=order.pk, reason="changed_mind")
    seller = new_page()
    log_in(seller, world.seller.email, PASSWORD)
    seller.goto(f"/orders/seller/{order.number}/")
    seller.get_by_role("radio", name="The order has already shipped").check()
    seller.get_by_role("button", name="Reject request").click()
    expect(seller.locator("#reject-tracking-error")).to_be_visible()  # shipped: tracking is required
    expect(seller.get_by_label("Tracking number").first).to_have_attribute("aria-invalid", "true")
    seller.get_by_label("Carrier").first.fill("Souk Post")
    seller.get_by_label("Tracking number").first.fill("SP987654321CN")
    shot(seller, "18-seller-rejects-with-tracking")
    seller.get_by_role("button", name="Reject request").click()
    expect(seller.locator("#flash")).to_contain_text("Request rejected")
    expect(seller.locator("#order-status")).to_have_text("Awaiting delivery")

    buyer = new_page()
    log_in(buyer, world.buyer.email, PASSWORD)
    buyer.goto(f"/orders/{order.number}/")
    expect(buyer.locator("#order-status")).to_have_text("Awaiting delivery")
    expect(buyer.get_by_text("SP987654321CN", exact=True)).to_be_visible()


def test_staff_cancel_an_order_that_failed_quality_control(new_page, shot):
    from tests.factories import UserFactory

    world = build_world()
    order = world.order(paid=True)
    UserFactory(email="ops@souk.example", is_staff=True)
    staff = new_page()
    log_in(staff, "ops@souk.example", PASSWORD)
    staff.get_by_role("link", name="Staff").click()
    staff.get_by_label("Order number").fill(order.number)
    staff.get_by_role("radio", name="Failed quality control").check()
    staff.get_by_label("Note for the buyer and seller").fill("The batch failed inspection at the warehouse.")
    shot(staff, "19-staff-cancel")
    staff.get_by_role("button", name="Cancel the order").click()
    expect(staff.locator("#flash")).to_contain_text("cancelled; the buyer is refunded")
