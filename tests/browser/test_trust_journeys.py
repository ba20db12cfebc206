"""Issue 6 as people click it: researching the seller and the delivery time on a product page, staff adding a
customs rule that the buyer's checkout then obeys, and an address the seller cannot use that the buyer fixes
in time (and the seller's out-of-stock cancellation preview, the staff quality-control flag)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from souk.fulfilment.services import order_confirm_receipt
from souk.reputation.services import review_create
from souk.reputation.stats import rebuild_stats
from tests.browser.conftest import log_in
from tests.factories import CategoryFactory, ProductFactory, UserFactory
from tests.web.world import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_buyer_reads_the_sellers_record_and_the_delivery_estimate_on_a_product_page(new_page, shot):
    world = build_world()
    for stars in (5, 4, 2):  # three completed, reviewed orders: 2 of 3 positive
        order = world.order(shipped=True)
        order_confirm_receipt(buyer=world.buyer, order_id=order.pk)
        review_create(buyer=world.buyer, order_id=order.pk, overall=stars, item_as_described=stars,
                      communication=5, shipping_speed=4, text="")
    world.order(paid=True)
    rebuild_stats()  # what the stats sweep does in the worker

    page = new_page()
    log_in(page, world.buyer.email, PASSWORD)
    page.get_by_role("link", name="Products").click()
    page.get_by_role("link", name="Wireless earbuds").first.click()
    expect(page.get_by_role("heading", name="Wireless earbuds")).to_be_visible()

    seller = page.get_by_role("complementary", name="Seller")
    expect(seller).to_contain_text("Atlas Gadgets")
    record = seller.locator("#seller-record")
    expect(record).to_contain_text("Positive feedback")
    expect(record).to_contain_text("66.7%")
    expect(record).to_contain_text("(3 ratings, last 6 months)")
    expect(record).to_contain_text("Cancellation rate")
    expect(record).to_contain_text("0.0%")
    expect(record).to_contain_text("Ships on time")

    # The estimate is for the buyer's own country (their default address: the United States).
    quotes = page.locator("#shipping-quotes")
    expect(quotes).to_contain_text("Shipping to United States")
    expect(quotes).to_contain_text("Standard Shipping")
    expect(quotes.locator("tbody td").nth(2)).to_have_text(re.compile(r"^\w{3} \d{1,2} – \w{3} \d{1,2}$"))
    expect(quotes).to_contain_text("60 days")
    expect(page.get_by_text("The seller ships within 5 days of payment.")).to_be_visible()
    shot(page, "20-product-seller-record-and-delivery-estimate")

    page.get_by_label("Deliver to").select_option("DE")
    page.get_by_role("button", name="Show delivery estimate").click()
    expect(page.locator("#shipping-quotes")).to_contain_text("Shipping to Germany")


def test_staff_add_a_customs_rule_and_the_buyers_checkout_is_refused_naming_the_rule_and_country(new_page, shot):
    world = build_world()
    batteries = CategoryFactory(slug="batteries", name="Batteries")
    cell = ProductFactory(store=world.store, title="Spare battery pack", category=batteries, stock=30,
                          price_minor=1290)
    from souk.checkout.services import CheckoutLine, checkout
    from souk.payments.services import order_pay

    [earlier] = checkout(buyer=world.buyer, address_id=world.buyer.addresses.first().pk,
                         lines=[CheckoutLine(cell.pk, 2)], shipping={world.store.pk: world.option.pk})
    order_pay(buyer=world.buyer, order_id=earlier.pk, method="card", token="tok_visa", idempotency_key="earlier")
    UserFactory(email="ops@souk.example", is_staff=True)

    staff = new_page()
    log_in(staff, "ops@souk.example", PASSWORD)
    staff.get_by_role("link", name="Customs rules").click()
    expect(staff.get_by_role("heading", name="Customs rules", exact=True)).to_be_visible()
    staff.get_by_role("button", name="Add rule").click()  # nothing chosen: each field says what it needs
    expect(staff.locator("#rule-country-error")).to_be_visible()
    expect(staff.get_by_label("Destination country")).to_have_attribute("aria-invalid", "true")
    expect(staff.locator("#rule-kind-error")).to_have_text("Choose the kind of rule.")
    staff.get_by_role("link", name="Customs rules").click()
    staff.get_by_label("Destination country").select_option("US")
    staff.get_by_role("radio", name="Prohibited category").check()
    staff.get_by_label(re.compile("^Prohibited category")).select_option("batteries")
    shot(staff, "21-staff-adds-a-customs-rule")
    staff.get_by_role("button", name="Add rule").click()
    expect(staff.locator("#flash")).to_contain_text("Rule added. 1 paid, unshipped order(s) break it.")
    impact = staff.get_by_role("region", name=re.compile("Orders hit by"))
    expect(impact).to_contain_text(earlier.number)
    expect(impact.get_by_role("checkbox", name=f"Cancel order {earlier.number}")).to_be_checked()
    shot(staff, "22-orders-the-rule-hits")
    impact.get_by_role("button", name="Cancel these orders").click()
    expect(staff.locator("#flash")).to_contain_text(f"Cancelled and refunded: {earlier.number}")

    buyer = new_page()
    log_in(buyer, world.buyer.email, PASSWORD)
    buyer.goto(f"/products/{world.product.pk}/")
    buyer.get_by_role("button", name="Add to cart").click()
    buyer.goto(f"/products/{cell.pk}/")
    buyer.get_by_role("button", name="Add to cart").click()
    expect(buyer.get_by_role("heading", name=re.compile("cart", re.I))).to_be_visible()
    buyer.get_by_role("link", name="Check out").click()
    buyer.get_by_role("button", name="Place order").click()
    expect(buyer.get_by_role("alert")).to_contain_text("see the note next to each of them")
    refused = buyer.locator(f"#line-{cell.pk}")
    expect(refused).to_have_class(re.compile("field-error"))
    expect(refused).to_contain_text("Batteries cannot be shipped to United States of America (customs rule).")
    expect(buyer.locator(f"#line-{world.product.pk}")).not_to_contain_text("customs")
    shot(buyer, "23-checkout-refused-by-a-customs-rule")
    buyer.goto("/orders/")
    expect(buyer.get_by_text("Spare battery pack").first).to_be_visible()  # only the cancelled earlier order
    expect(buyer.get_by_role("link", name=re.compile(r"^Order "))).to_have_count(1)


def test_the_seller_flags_an_address_the_buyer_fixes_it_and_the_seller_sees_it_fixed(new_page, shot):
    world = build_world()
    order = world.order(paid=True)

    seller = new_page()
    log_in(seller, world.seller.email, PASSWORD)
    seller.goto(f"/orders/seller/{order.number}/")
    seller.get_by_text("Report an address problem").click()
    seller.get_by_label("What is wrong").select_option("incomplete")
    seller.locator("#report-address").get_by_label("Note for the buyer").fill("There is no flat number; the courier cannot find you.")
    shot(seller, "24-seller-reports-an-address-problem")
    seller.get_by_role("button", name="Ask the buyer to fix the address").click()
    expect(seller.locator("#flash")).to_contain_text("The buyer has been asked to fix the address by")
    expect(seller.locator("#address-problem")).to_contain_text("The buyer has until")
    expect(seller.get_by_role("button", name="Mark shipped")).to_have_count(0)

    buyer = new_page()
    log_in(buyer, world.buyer.email, PASSWORD)
    buyer.get_by_role("link", name="My Orders").click()
    buyer.get_by_role("link", name=f"Order {order.display_number}").click()
    banner = buyer.locator("#address-banner")
    expect(banner).to_contain_text("The seller cannot use your address: The address is incomplete.")
    expect(banner).to_contain_text("no flat number")
    expect(banner.locator(".countdown-left")).to_have_text(re.compile(r"\(\d d \d\d h left\)"))  # live countdown
    street = buyer.get_by_label("Street address")
    expect(street).to_have_value("1600 Amphitheatre Pkwy")
    shot(buyer, "25-buyer-sees-the-address-problem")

    street.fill("1600 Amphitheatre Pkwy, Building 43, Room 2")
    buyer.get_by_label(re.compile("^ZIP code")).fill("9404")
    buyer.get_by_role("button", name="Save the corrected address").click()
    zip_code = buyer.get_by_label(re.compile("^ZIP code"))
    expect(zip_code).to_have_attribute("aria-invalid", "true")
    expect(buyer.locator(".field-error", has=zip_code)).to_contain_text(re.compile("ZIP code", re.I))
    expect(buyer.get_by_label("Street address")).to_have_value("1600 Amphitheatre Pkwy, Building 43, Room 2")
    shot(buyer, "26-address-fix-bad-zip-code")
    zip_code.fill("94043")
    buyer.get_by_role("button", name="Save the corrected address").click()
    expect(buyer.locator("#flash")).to_contain_text("Address fixed. The seller has been told")
    expect(buyer.locator("#address-fixed")).to_be_visible()
    expect(buyer.locator("address")).to_contain_text("Building 43, Room 2")
    shot(buyer, "27-buyer-fixed-the-address")

    seller.reload()
    expect(seller.locator("#address-fixed")).to_contain_text("The buyer fixed the shipping address")
    expect(seller.locator("address")).to_contain_text("Building 43, Room 2")
    expect(seller.get_by_role("button", name="Mark shipped")).to_be_visible()
    seller.get_by_role("link", name=re.compile(r"^Notifications")).click()
    expect(seller.get_by_text(f"Order {order.number}: the buyer fixed the address")).to_be_visible()
    shot(seller, "28-seller-told-the-address-is-fixed")


def test_the_seller_sees_low_stock_and_the_cancellation_rate_hit_before_cancelling_for_out_of_stock(
        new_page, shot):
    world = build_world()
    ProductFactory(store=world.store, title="Charging case", stock=2)
    ProductFactory(store=world.store, title="Silicone ear tips", stock=0)
    for _ in range(3):
        world.order(shipped=True)
    order = world.order(paid=True)
    rebuild_stats()

    seller = new_page()
    log_in(seller, world.seller.email, PASSWORD)
    seller.get_by_role("link", name="Seller dashboard").click()
    low = seller.get_by_role("region", name=re.compile("Low stock"))
    expect(low.locator("li").first).to_contain_text("Silicone ear tips: sold out")
    expect(low).to_contain_text("Charging case: 2 left")
    shot(seller, "29-seller-dashboard-low-stock")

    seller.goto(f"/orders/seller/{order.number}/")
    seller.get_by_label("Reason").select_option("out_of_stock")
    seller.get_by_role("button", name="Cancel order").click()
    expect(seller.get_by_role("heading", name="Cancel for out of stock?")).to_be_visible()
    expect(seller.locator("#rate-now")).to_have_text("0.0%")
    expect(seller.locator("#rate-after")).to_have_text("25.0%")
    shot(seller, "30-out-of-stock-cancellation-preview")
    seller.get_by_role("link", name="Keep the order").click()
    expect(seller.locator("#order-status")).to_have_text("Awaiting shipment")
    seller.get_by_label("Reason").select_option("out_of_stock")
    seller.get_by_role("button", name="Cancel order").click()
    seller.get_by_role("button", name="Confirm cancellation").click()
    expect(seller.locator("#order-status")).to_have_text("Cancelled")


def test_the_buyer_extends_protection_once_and_sees_the_new_end(new_page, shot):
    world = build_world()
    order = world.order(shipped=True)
    page = new_page()
    log_in(page, world.buyer.email, PASSWORD)
    page.goto(f"/orders/{order.number}/")
    days = page.get_by_label(re.compile("Extra days"))
    days.fill("45")
    page.get_by_role("button", name="Extend buyer protection").click()  # over the limit: the browser says so
    assert days.evaluate("el => el.validity.rangeOverflow")
    expect(page.locator("#protection-extended")).to_have_count(0)
    page.get_by_label(re.compile("Extra days")).fill("15")
    page.get_by_role("button", name="Extend buyer protection").click()
    expect(page.locator("#flash")).to_contain_text("Buyer protection extended to")
    expect(page.locator("#protection-extended")).to_contain_text("by 15 days")
    expect(page.get_by_role("button", name="Extend buyer protection")).to_have_count(0)
    shot(page, "31-protection-extended")


def test_staff_flag_a_counterfeit_product_and_its_listing_is_suspended(new_page, shot):
    world = build_world()
    order = world.order(paid=True)
    UserFactory(email="ops@souk.example", is_staff=True)
    staff = new_page()
    log_in(staff, "ops@souk.example", PASSWORD)
    staff.get_by_role("link", name="Quality control").click()
    staff.get_by_label("Product number").fill(str(world.product.pk))
    staff.get_by_role("radio", name="Counterfeit").check()
    staff.get_by_role("button", name="Suspend the listing").click()
    expect(staff.locator("#qc-evidence-error")).to_be_visible()  # evidence is required
    expect(staff.get_by_label("Evidence")).to_have_attribute("aria-invalid", "true")
    expect(staff.get_by_label("Product number")).to_have_value(str(world.product.pk))  # kept
    staff.get_by_role("link", name="Quality control").click()
    staff.get_by_label("Product number").fill(str(world.product.pk))
    staff.get_by_role("radio", name="Counterfeit").check()
    staff.get_by_label("Evidence").fill("Test purchase: logo misprinted, serial numbers do not verify.")
    shot(staff, "32-staff-quality-control-flag")
    staff.get_by_role("button", name="Suspend the listing").click()
    expect(staff.locator("#flash")).to_contain_text("suspended; 1 unshipped order(s) cancelled and refunded")

    buyer = new_page()
    log_in(buyer, world.buyer.email, PASSWORD)
    buyer.goto(f"/orders/{order.number}/")
    expect(buyer.locator("#order-status")).to_have_text("Cancelled")


def test_the_new_pages_fit_a_phone(new_page):
    world = build_world()
    order = world.order(paid=True)
    from souk.compliance.services import address_problem_report

    address_problem_report(seller=world.seller, order_id=order.pk, reason="incomplete", note="No flat number.")
    ProductFactory(store=world.store, title="Charging case", stock=2)
    UserFactory(email="ops@souk.example", is_staff=True)
    for email, urls in ((world.buyer.email, [f"/orders/{order.number}/"]),
                        (world.seller.email, [f"/orders/seller/{order.number}/", "/seller/"]),
                        ("ops@souk.example", ["/staff/customs/", "/staff/quality/"])):
        page = new_page(phone=True)
        log_in(page, email, PASSWORD)
        for url in urls:
            page.goto(url)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{url} scrolls sideways on a phone ({width}px)"
