"""The whole cancellation journey as two people click it: the buyer asks, the seller approves,
the refund reaches the buyer while the worker runs."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.web.world import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wait_for_text(page, selector: str, text: str, *, seconds: float = 30) -> None:
    """Reload until `selector` shows `text` (what a person does while waiting for their refund)."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        if text in (page.locator(selector).first.text_content() or ""):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{selector!r} never showed {text!r}: {page.locator(selector).first.text_content()!r}")
        time.sleep(0.5)
        page.reload()


def test_buyer_cancels_a_paid_order_the_seller_approves_and_the_refund_arrives(new_page, worker, shot):
    world = build_world()
    world.order(shipped=True)  # earlier orders, so My Orders and the dashboard look like real life
    world.order(paid=True)
    order = world.order(paid=True)

    buyer = new_page()
    buyer.goto("/accounts/login/")
    buyer.get_by_label("Email").fill(world.buyer.email)
    buyer.get_by_label("Password").fill(PASSWORD)
    shot(buyer, "01-log-in")
    buyer.get_by_role("button", name="Log in").click()

    buyer.get_by_role("link", name="My Orders").click()
    expect(buyer.get_by_role("heading", name="My Orders")).to_be_visible()
    expect(buyer.get_by_text("Awaiting shipment").first).to_be_visible()
    shot(buyer, "02-my-orders")

    buyer.get_by_role("link", name=f"Order {order.display_number}").click()
    expect(buyer.get_by_role("heading", name=f"Order {order.display_number}")).to_be_visible()
    expect(buyer.get_by_text("Colour: Sand")).to_be_visible()
    expect(buyer.locator("#cd-ship-by")).to_be_visible()
    expect(buyer.locator(".countdown-left").first).to_have_text(re.compile(r"\(4 d \d\d h left\)"))  # live
    shot(buyer, "03-order-details")

    cancel = buyer.get_by_role("link", name="Cancel Order")
    cancel.click()
    dialog = buyer.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("radio", name="I changed my mind")).to_be_focused()
    shot(buyer, "04-cancel-pop-up", full_page=False)
    buyer.keyboard.press("Escape")  # closing gives the focus back to the button
    expect(dialog).to_be_hidden()
    expect(cancel).to_be_focused()

    cancel.click()
    dialog.get_by_role("radio", name="Shipping takes too long").check()
    dialog.get_by_label("Anything the seller should know?").fill("Sorry, I need it <b>before</b> Friday.")
    dialog.get_by_role("button", name="Confirm Cancellation").click()
    expect(buyer.locator("#order-status")).to_have_text("Awaiting cancellation")
    expect(buyer.locator("#flash")).to_contain_text("sent to the seller")
    expect(buyer.locator("#cd-respond-by")).to_be_visible()
    shot(buyer, "05-awaiting-cancellation")

    seller = new_page()
    log_in(seller, world.seller.email, PASSWORD)
    expect(seller.locator(".site-header")).to_contain_text(re.compile(r"Notifications\s*\d"))
    seller.get_by_role("link", name=re.compile("^Notifications")).click()
    expect(seller.get_by_text(re.compile("cancel", re.I)).first).to_be_visible()
    shot(seller, "06-seller-notifications")
    seller.get_by_role("link", name="Seller dashboard").click()
    requests = seller.get_by_role("region", name=re.compile("Cancellation requests"))
    expect(requests).to_contain_text(order.display_number)
    shot(seller, "07-seller-dashboard")
    requests.get_by_role("link", name=f"Order {order.display_number}").click()
    expect(seller.get_by_text("Sorry, I need it <b>before</b> Friday.")).to_be_visible()  # a note is text, not HTML
    shot(seller, "08-seller-answers-request")
    seller.get_by_role("button", name="Approve cancellation").click()
    expect(seller.locator("#flash")).to_contain_text("Cancellation approved")
    expect(seller.locator("#order-status")).to_have_text("Cancelled")

    buyer.reload()
    expect(buyer.locator("#order-status")).to_have_text("Cancelled")
    wait_for_text(buyer, ".refund-state", "Refunded")
    expect(buyer.locator("#refunds")).to_contain_text("$27.50")
    expect(buyer.locator("#refunds")).to_contain_text("ARN")
    shot(buyer, "09-refund-succeeded")
