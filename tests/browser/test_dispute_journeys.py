"""Disputes as people click them (issue 11): a partial refund the seller accepts, a return and refund
through the return's tracking and the seller's receipt, the seller's silence accepting by itself, and
an escalation staff decide. The worker runs beside the live server: refunds land, deadlines pass."""

from __future__ import annotations

import re
import struct
import zlib

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.test_cancel_journey import wait_for_text
from tests.factories import UserFactory
from tests.web.world import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png(rgb=(200, 90, 40), w: int = 96, h: int = 72) -> bytes:
    """A small real PNG (a flat colour), so the thumbnails show something."""
    raw = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def photo(name: str, rgb=(200, 90, 40)) -> dict:
    return {"name": name, "mimeType": "image/png", "buffer": png(rgb)}


def open_dispute(page, order, *, reason: str, kind: str, amount: str, description: str, photos=()) -> None:
    """From My Orders to the order page's Open a dispute button, then the form."""
    page.get_by_role("link", name="My Orders", exact=True).click()
    page.get_by_role("link", name=f"Order {order.display_number}").click()
    page.get_by_role("link", name="Open a dispute", exact=True).click()
    expect(
        page.get_by_role("heading", name=f"Open a dispute on order {order.display_number}")
    ).to_be_visible()
    page.get_by_role("radio", name=reason).check()
    page.get_by_role("radio", name=kind).check()
    if amount:
        page.get_by_label(re.compile(r"^Refund amount")).fill(amount)
    page.get_by_label("Describe the problem").fill(description)
    if photos:
        page.get_by_label("Photos (optional)").set_input_files(list(photos))
    page.get_by_role("button", name="Open the dispute").click()
    expect(page.locator("#flash")).to_contain_text("Your dispute is open")


def seller_opens_the_dispute(page, world, order, *, logged_in: bool = False, shot=None) -> None:
    if not logged_in:
        log_in(page, world.seller.email, PASSWORD)
    page.get_by_role("link", name="Seller dashboard").click()
    disputes = page.get_by_role("region", name=re.compile("^Open disputes"))
    expect(disputes).to_contain_text("You must act by")
    if shot:
        shot(page, "48-seller-dashboard-open-disputes")
    disputes.get_by_role("link", name=f"Dispute on order {order.display_number}").click()
    expect(page.get_by_role("heading", name=f"Dispute on order {order.display_number}")).to_be_visible()


def test_a_partial_refund_the_seller_accepts_lands_on_the_buyers_dispute_page(new_page, worker, shot):
    world = build_world()
    order = world.order(shipped=True)  # $24.50 + $3.00 shipping held by Souk

    buyer = new_page()
    log_in(buyer, world.buyer.email, PASSWORD)
    buyer.get_by_role("link", name="My Orders", exact=True).click()
    buyer.get_by_role("link", name=f"Order {order.display_number}").click()
    # The cancel refusal points at the real button.
    expect(buyer.locator("#why-not")).to_contain_text("already shipped")
    buyer.locator("#why-not").get_by_role("link", name=re.compile("Open a dispute")).click()
    expect(buyer.locator("#dispute")).to_contain_text("Souk still holds $27.50")
    open_dispute(
        buyer,
        order,
        reason="The item arrived damaged",
        kind="Refund only (keep the item)",
        amount="10.00",
        description="The left earbud's case is cracked; it still plays.",
        photos=[photo("case.png"), photo("box.png", (60, 120, 200))],
    )
    expect(buyer.locator("#dispute-state")).to_have_text("Waiting for the seller's answer")
    expect(buyer.locator("#dispute-deadline")).to_contain_text("Waiting for the seller until")
    expect(buyer.locator(".countdown-left").first).to_have_text(re.compile(r"\(4 d \d\d h left\)"))  # live
    expect(buyer.locator("#offer-buyer")).to_contain_text("$10.00")
    expect(buyer.locator("#evidence img")).to_have_count(2)
    expect(buyer.locator("#escalate-why-not")).to_contain_text("You can ask Souk to step in from")
    shot(buyer, "40-buyer-dispute-page")

    seller = new_page()
    seller_opens_the_dispute(seller, world, order, shot=shot)
    expect(seller.locator("#accept-form")).to_contain_text(
        "The buyer asks for refund only (keep the item) of $10.00."
    )
    shot(seller, "41-seller-dispute-answer-form")
    seller.get_by_role("button", name="Accept the buyer's request").click()
    expect(seller.locator("#flash")).to_contain_text("the refund has started")

    buyer.reload()
    wait_for_text(buyer, ".refund-state", "Refunded")
    expect(buyer.locator("#dispute-state")).to_have_text("Closed")
    expect(buyer.locator("#dispute-outcome")).to_contain_text("Refunded: $10.00")
    expect(buyer.locator("#refunds")).to_contain_text("ARN")
    shot(buyer, "42-dispute-partial-refund-landed")


def test_a_return_and_refund_runs_through_the_tracking_and_the_sellers_receipt(new_page, worker, shot):
    world = build_world()
    order = world.order(shipped=True)

    seller = new_page()
    log_in(seller, world.seller.email, PASSWORD)
    seller.get_by_role("link", name="Seller dashboard").click()
    seller.get_by_role("link", name="Store settings").click()
    seller.get_by_label("Return address").fill(
        "Atlas Gadgets Returns\n12 Harbour Road\nShenzhen 518000, China"
    )
    seller.get_by_role("button", name="Save").click()
    expect(seller.locator("#flash")).to_contain_text("Store settings saved")

    buyer = new_page()
    log_in(buyer, world.buyer.email, PASSWORD)
    open_dispute(
        buyer,
        order,
        reason="I received the wrong item",
        kind="Return the item and get a refund",
        amount="",
        description="These are wired headphones, not the wireless earbuds I ordered.",
    )
    expect(buyer.locator("#offer-buyer")).to_contain_text("$27.50")  # blank: everything still held

    seller_opens_the_dispute(seller, world, order, logged_in=True)
    seller.get_by_role("button", name="Accept the buyer's request").click()
    expect(seller.locator("#flash")).to_contain_text("the return comes first")

    buyer.reload()
    expect(buyer.locator("#dispute-state")).to_have_text("Waiting for the buyer to send the item back")
    expect(buyer.locator("#return-address")).to_contain_text("12 Harbour Road")
    expect(buyer.locator("#return")).to_contain_text("the seller (the item was not as it should be)")
    expect(buyer.locator("#dispute-deadline")).to_contain_text("You must act by")
    buyer.get_by_role("button", name="Return sent").click()  # empty: said next to the fields
    form = buyer.locator("#return-form")
    if buyer.locator("#return-carrier-error").count() == 0:  # the browser's own check stopped the post
        expect(buyer.locator("#return-carrier")).to_have_js_property("validity.valid", False)
    form.get_by_label("Carrier").fill("Souk Post")
    form.get_by_label("Tracking number").fill("RR123456785CN")
    form.get_by_role("button", name="Return sent").click()
    expect(buyer.locator("#dispute-state")).to_have_text("Return on its way to the seller")
    expect(buyer.locator("#return-tracking")).to_contain_text("RR123456785CN")
    shot(buyer, "43-dispute-return-on-its-way")

    seller.reload()
    expect(seller.locator("#return-tracking")).to_contain_text("RR123456785CN")
    seller.get_by_role("button", name="Confirm return received").click()
    expect(seller.locator("#flash")).to_contain_text("Return received")

    buyer.reload()
    wait_for_text(buyer, ".refund-state", "Refunded")
    expect(buyer.locator("#dispute-outcome")).to_contain_text("Refunded: $27.50")


def test_the_sellers_silence_accepts_the_buyers_request_by_itself(new_page, worker, settings, shot):
    settings.SOUK = {**settings.SOUK, "DISPUTE_SELLER_RESPOND_DAYS": 4 / 86400}  # the seller has 4 seconds
    world = build_world()
    order = world.order(shipped=True)
    buyer = new_page()
    log_in(buyer, world.buyer.email, PASSWORD)
    open_dispute(
        buyer,
        order,
        reason="Parts or items are missing",
        kind="Refund only (keep the item)",
        amount="8.00",
        description="The charging cable is missing.",
    )
    expect(buyer.locator("#dispute-deadline")).to_contain_text("the buyer's request is accepted")
    # Nobody answers: the worker's dispute sweep accepts the request, the refund is made and lands.
    wait_for_text(buyer, "#dispute-state", "Closed", seconds=40)
    expect(buyer.locator("#dispute-outcome")).to_contain_text("The seller did not answer in time")
    wait_for_text(buyer, ".refund-state", "Refunded")
    expect(buyer.locator("#dispute-outcome")).to_contain_text("$8.00")
    expect(buyer.locator("#messages")).to_contain_text("is closed: Refunded. A refund of $8.00 has started")
    shot(buyer, "44-seller-silence-accepted")


def test_an_escalated_dispute_is_decided_by_staff_and_the_refund_lands(new_page, worker, settings, shot):
    settings.SOUK = {**settings.SOUK, "DISPUTE_ESCALATE_AFTER_DAYS": 0}
    world = build_world()
    order = world.order(shipped=True)
    UserFactory(email="ops@souk.example", is_staff=True)

    buyer = new_page()
    log_in(buyer, world.buyer.email, PASSWORD)
    open_dispute(
        buyer,
        order,
        reason="The item is not as described",
        kind="Refund only (keep the item)",
        amount="15.00",
        description="The listing says 30 hours of battery; it lasts 4.",
        photos=[photo("battery.png")],
    )

    seller = new_page()
    seller_opens_the_dispute(seller, world, order)
    reject = seller.locator("#reject-form")
    reject.get_by_role("button", name="Reject request").click()  # no reasons: refused next to the field
    if seller.locator("#reject-note-error").count() == 0:
        expect(seller.locator("#reject-note")).to_have_js_property("validity.valid", False)
    reject.get_by_label("Your reasons (the buyer and Souk read them)").fill(
        "Battery life depends on volume; at 50% it lasts 28 hours."
    )
    reject.get_by_label("Photos backing your answer (optional)").set_input_files(
        [photo("spec.png", (30, 160, 90))]
    )
    reject.get_by_role("button", name="Reject request").click()
    expect(seller.locator("#flash")).to_contain_text("Request rejected")

    buyer.reload()
    expect(buyer.locator("#offer-seller")).to_contain_text("Rejected the request")
    buyer.get_by_label("Tell Souk why (optional)").fill("4 hours at any volume.")
    buyer.get_by_role("button", name="Ask Souk to decide").click()
    expect(buyer.locator("#dispute-state")).to_have_text("Souk is reviewing")

    staff = new_page()
    log_in(staff, "ops@souk.example", PASSWORD)
    staff.get_by_role("link", name="Disputes").click()
    case = staff.get_by_role("region", name=f"Order {order.display_number} · Atlas Gadgets")
    expect(case).to_contain_text("escalated")
    expect(case.locator("#offer-buyer")).to_contain_text("$15.00")
    expect(case.locator("#offer-seller")).to_contain_text("at 50% it lasts 28 hours")
    expect(case.locator(".evidence img")).to_have_count(2)
    case.get_by_role("radio", name="Partial refund").check()
    case.get_by_role("button", name="Decide").click()  # no amount, no reasons: both said
    case = staff.get_by_role("region", name=f"Order {order.display_number} · Atlas Gadgets")
    expect(case.locator(".error").first).to_be_visible()
    shot(staff, "45-staff-escalations")
    case.get_by_role("radio", name="Partial refund").check()
    case.get_by_label(re.compile(r"^Amount")).fill("12.00")
    case.get_by_label("Reasons (both parties read them)").fill(
        "Battery well under the listing; partial refund."
    )
    case.get_by_role("button", name="Decide").click()
    expect(staff.locator("#flash")).to_contain_text("Decided")
    expect(staff.get_by_text("No escalated disputes.")).to_be_visible()

    buyer.reload()
    wait_for_text(buyer, ".refund-state", "Refunded")
    expect(buyer.locator("#dispute-outcome")).to_contain_text("Refunded: $12.00")
    expect(buyer.locator("#dispute-outcome")).to_contain_text("Souk decided")
    shot(buyer, "46-staff-decision-refund-landed")


def test_without_javascript_on_a_phone_the_buyer_opens_and_withdraws_a_dispute(new_page, shot):
    world = build_world()
    order = world.order(shipped=True)
    buyer = new_page(java_script_enabled=False, phone=True)
    log_in(buyer, world.buyer.email, PASSWORD)
    buyer.goto(f"/orders/{order.number}/")
    buyer.get_by_role("link", name="Open a dispute", exact=True).click()
    buyer.get_by_role("button", name="Open the dispute").click()  # nothing chosen: each field says so
    expect(buyer.locator("#reason-error")).to_be_visible()
    expect(buyer.locator("#description-error")).to_have_text("Tell us what happened.")
    buyer.get_by_role("radio", name="The item is counterfeit").check()
    buyer.get_by_role("radio", name="Refund only (keep the item)").check()
    buyer.get_by_label("Describe the problem").fill("The logo is misspelt.")
    buyer.get_by_role("button", name="Open the dispute").click()
    expect(buyer.locator("#dispute-state")).to_have_text("Waiting for the seller's answer")
    expect(buyer.locator("#cd-dispute-due")).to_be_visible()  # the deadline as a date, no script needed
    shot(buyer, "47-phone-dispute-page-without-javascript")
    buyer.get_by_role("button", name="Withdraw the dispute").click()
    expect(buyer.locator("#flash")).to_contain_text("Dispute withdrawn")
    expect(buyer.locator("#dispute-outcome")).to_contain_text("Withdrawn by the buyer")
