"""Issue 6 on the pages, as a browser without JavaScript sees them: fixing a flagged address, extending
buyer protection, low stock and the out-of-stock preview on the seller's side, the staff customs and
quality-control pages, and checkout refused by a customs rule. Bad input: the error next to its field,
nothing written. Someone else's order: 404."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from souk.catalog.models import Product
from souk.compliance.models import AddressProblem, CustomsRule, ProtectionExtension, QualityFlag
from souk.compliance.services import address_problem_report
from souk.notifications.models import Notification
from souk.orders.models import Order
from tests.factories import CategoryFactory, ProductFactory, UserFactory
from tests.web.world import build_world


def status_of(order) -> str:
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


def stranger(email: str = "someone@example.com", **extra) -> Client:
    client = Client()
    client.force_login(UserFactory(email=email, **extra))
    return client


@pytest.fixture
def as_staff(world):
    return stranger("ops@souk.example", is_staff=True)


def flagged(world, **report):
    order = world.order(paid=True)
    address_problem_report(seller=world.seller, order_id=order.pk, **({"reason": "incomplete",
                                                                       "note": "No flat number."} | report))
    return order


def fix_form(order, **changes) -> dict[str, str]:
    snapshot = {k: str(v or "") for k, v in order.shipping_address.items()}
    return snapshot | changes


# --- Address problems: the seller reports ----------------------------------------------------

def test_the_seller_reports_an_address_problem_and_sees_the_buyers_deadline(world, as_seller):
    order = world.order(paid=True)
    url = reverse("orders:seller_order_detail", args=[order.number])
    page = as_seller.get(url).content.decode()
    assert "Report an address problem" in page and '<label for="address-reason">' in page
    res = as_seller.post(reverse("orders:seller_address_problem", args=[order.number]),
                         {"reason": "undeliverable", "note": "The street does not exist."}, follow=True)
    html = res.content.decode()
    assert "The buyer has been asked to fix the address by" in html
    assert "The buyer has until" in html and 'id="cd-fix-by"' in html
    assert "Report an address problem" not in html  # one open problem at a time
    assert "Mark shipped</button>" not in html      # do not ship to an address under repair
    assert AddressProblem.objects.get(order=order).state == "open"


def test_reporting_other_without_a_note_is_refused_next_to_the_note_and_nothing_is_written(world, as_seller):
    order = world.order(paid=True)
    res = as_seller.post(reverse("orders:seller_address_problem", args=[order.number]),
                         {"reason": "other", "note": "  "})
    html = res.content.decode()
    assert res.status_code == 422
    assert re.search(r'<div class="field-error">\s*<label for="address-note">', html)
    assert 'aria-invalid="true" aria-describedby="address-note-error"' in html
    assert '<details class="card" id="report-address" open>' in html
    assert not AddressProblem.objects.exists()


def test_an_unpaid_order_offers_no_address_report_and_another_seller_gets_404(world, as_seller):
    unpaid = world.order()
    assert "Report an address problem" not in as_seller.get(
        reverse("orders:seller_order_detail", args=[unpaid.number])).content.decode()
    paid = world.order(paid=True)
    other = build_world(buyer_email="b2@example.com", seller_email="s2@example.com")
    client = Client()
    client.force_login(other.seller)
    res = client.post(reverse("orders:seller_address_problem", args=[paid.number]), {"reason": "incomplete"})
    assert res.status_code == 404
    assert not AddressProblem.objects.exists()


# --- Address problems: the buyer fixes -------------------------------------------------------

def test_the_buyer_sees_what_is_wrong_with_a_live_deadline_and_a_form_filled_with_the_address(world, as_buyer):
    order = flagged(world)
    html = as_buyer.get(reverse("orders:order_detail", args=[order.number])).content.decode()
    assert "Please fix your shipping address" in html
    assert "The seller cannot use your address:" in html and "The address is incomplete" in html
    assert "No flat number." in html
    assert 'id="cd-fix-by"' in html and "data-countdown" in html
    street = order.shipping_address["street_address"]
    assert f'id="fix-street_address" name="street_address" value="{street}"' in html
    assert "United States" in html and "cannot change" in html
    assert '<label for="fix-postal_code">ZIP code' in html  # labelled as the country names it


def test_a_bad_postal_code_is_shown_next_to_the_field_and_the_address_is_unchanged(world, as_buyer):
    order = flagged(world)
    res = as_buyer.post(reverse("orders:address_fix", args=[order.number]),
                        fix_form(order, postal_code="ABCDE", street_address="1600 Amphitheatre Pkwy, Apt 4"))
    html = res.content.decode()
    assert res.status_code == 422
    assert re.search(r'<div class="field-error">\s*<label for="fix-postal_code">', html)
    assert 'aria-invalid="true" aria-describedby="fix-postal_code-error"' in html
    assert 'value="1600 Amphitheatre Pkwy, Apt 4"' in html  # what they typed stays
    assert AddressProblem.objects.get(order=order).state == "open"
    order.refresh_from_db()
    assert order.shipping_address["street_address"] == "1600 Amphitheatre Pkwy"


def test_the_country_cannot_change(world, as_buyer):
    order = flagged(world)
    res = as_buyer.post(reverse("orders:address_fix", args=[order.number]),
                        fix_form(order, country="DE", postal_code="10117", city="Berlin", country_area=""))
    html = res.content.decode()
    assert res.status_code == 422
    assert 'id="fix-country-error"' in html and "country cannot change" in html
    assert AddressProblem.objects.get(order=order).state == "open"


def test_a_fixed_address_says_so_to_the_buyer_and_the_seller(world, as_buyer, as_seller):
    order = flagged(world)
    res = as_buyer.post(reverse("orders:address_fix", args=[order.number]),
                        fix_form(order, street_address="1600 Amphitheatre Pkwy, Building 43"), follow=True)
    html = res.content.decode()
    assert "Address fixed. The seller has been told" in html
    assert 'id="address-fixed"' in html and "Please fix your shipping address" not in html
    assert "1600 Amphitheatre Pkwy, Building 43" in html
    assert AddressProblem.objects.get(order=order).state == "fixed"
    assert Notification.objects.filter(recipient=world.seller, kind="address_fixed").exists()
    seller_html = as_seller.get(reverse("orders:seller_order_detail", args=[order.number])).content.decode()
    assert "The buyer fixed the shipping address" in seller_html and "Mark shipped</button>" in seller_html


def test_another_buyer_cannot_fix_the_address_404(world):
    order = flagged(world)
    res = stranger().post(reverse("orders:address_fix", args=[order.number]), fix_form(order))
    assert res.status_code == 404
    assert AddressProblem.objects.get(order=order).state == "open"


def test_user_text_in_the_report_note_is_shown_as_text(world, as_buyer):
    order = flagged(world, note='<script>alert(1)</script>')
    html = as_buyer.get(reverse("orders:order_detail", args=[order.number])).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- Buyer protection extension -----------------------------------------------------------------

def test_protection_is_extended_once_and_the_page_shows_the_new_end(world, as_buyer):
    order = world.order(shipped=True)
    url = reverse("orders:order_detail", args=[order.number])
    assert "Extend buyer protection</button>" in as_buyer.get(url).content.decode()
    res = as_buyer.post(reverse("orders:protection_extend", args=[order.number]), {"days": "10"}, follow=True)
    html = res.content.decode()
    ext = ProtectionExtension.objects.get(order=order)
    assert ext.days == 10
    assert "Buyer protection extended to" in html
    assert f"it now ends on {ext.new_ends_at:%-d %b %Y}" in html
    assert "Extend buyer protection</button>" not in html
    again = as_buyer.post(reverse("orders:protection_extend", args=[order.number]), {"days": "5"}, follow=True)
    assert "already extended" in again.content.decode()
    assert ProtectionExtension.objects.get(order=order).days == 10


@pytest.mark.parametrize("days", ["0", "31", "ten", ""])
def test_days_out_of_bounds_are_refused_next_to_the_field(world, as_buyer, days):
    order = world.order(shipped=True)
    before = Order.objects.get(pk=order.pk).protection_ends_at
    res = as_buyer.post(reverse("orders:protection_extend", args=[order.number]), {"days": days})
    html = res.content.decode()
    assert res.status_code == 422
    assert re.search(r'<div class="field-error">\s*<label for="protection-days">', html)
    assert 'id="protection-days-error"' in html and "between 1 and 30 days" in html
    assert not ProtectionExtension.objects.exists()
    assert Order.objects.get(pk=order.pk).protection_ends_at == before


def test_protection_is_not_offered_before_shipping_and_another_buyer_gets_404(world, as_buyer):
    paid = world.order(paid=True)
    assert "Extend buyer protection" not in as_buyer.get(
        reverse("orders:order_detail", args=[paid.number])).content.decode()
    shipped = world.order(shipped=True)
    assert stranger().post(reverse("orders:protection_extend", args=[shipped.number]),
                           {"days": "5"}).status_code == 404
    assert not ProtectionExtension.objects.exists()


# --- Seller: low stock and the out-of-stock preview ---------------------------------------------

def test_the_dashboard_lists_low_stock_products_emptiest_first_with_links_to_edit_stock(world, as_seller):
    ProductFactory(store=world.store, title="Charging case", stock=2)
    ProductFactory(store=world.store, title="Ear tips", stock=0)
    ProductFactory(store=world.store, title="Delisted cable", stock=1, is_active=False)
    html = as_seller.get(reverse("web:seller_dashboard")).content.decode()
    section = html[html.index('id="low-stock"'):html.index('id="ref-h"')]
    assert section.index("Ear tips") < section.index("Charging case")
    assert "sold out" in section and "2 left" in section
    assert "Wireless earbuds" not in section and "Delisted cable" not in section
    tips = Product.objects.get(title="Ear tips")
    assert reverse("catalog:seller_product_edit", args=[tips.pk]) in section


def test_cancelling_for_out_of_stock_shows_the_rate_hit_before_anything_changes(world, as_seller):
    order = world.order(paid=True)
    res = as_seller.post(reverse("orders:seller_cancel", args=[order.number]),
                         {"reason": "out_of_stock", "note": "Sold out"})
    html = res.content.decode()
    assert res.status_code == 200
    assert "Cancel for out of stock?" in html
    assert re.search(r'id="rate-now">[^<]*</strong>', html) and re.search(r'id="rate-after">100.0%</strong>', html)
    assert 'name="confirm" value="yes"' in html and 'name="note" value="Sold out"' in html
    assert status_of(order) == "awaiting_shipment"  # nothing happened yet
    res = as_seller.post(reverse("orders:seller_cancel", args=[order.number]),
                         {"reason": "out_of_stock", "note": "Sold out", "confirm": "yes"}, follow=True)
    assert "Order cancelled; the buyer is refunded in full." in res.content.decode()
    assert status_of(order) == "cancelled"


def test_another_seller_cannot_preview_an_out_of_stock_cancellation(world):
    order = world.order(paid=True)
    other = build_world(buyer_email="b2@example.com", seller_email="s2@example.com")
    client = Client()
    client.force_login(other.seller)
    assert client.post(reverse("orders:seller_cancel", args=[order.number]),
                       {"reason": "out_of_stock"}).status_code == 404


# --- Staff: customs rules -----------------------------------------------------------------------

def test_customs_and_quality_pages_are_404_for_everyone_but_staff(world, as_buyer, as_seller):
    for client in (as_buyer, as_seller):
        assert client.get(reverse("web:staff_customs")).status_code == 404
        assert client.post(reverse("web:staff_customs"), {"country": "US", "kind": "identical_item_limit",
                                                          "max_quantity": "1"}).status_code == 404
        assert client.get(reverse("web:staff_quality")).status_code == 404
        assert client.post(reverse("web:staff_quality"), {"product_id": world.product.pk, "kind": "damaged",
                                                          "evidence": "x"}).status_code == 404
    assert not CustomsRule.objects.exists() and not QualityFlag.objects.exists()
    assert Product.objects.get(pk=world.product.pk).is_active


def test_staff_see_their_pages_linked_from_the_header(as_staff):
    html = as_staff.get(reverse("web:staff_customs")).content.decode()
    assert f'href="{reverse("web:staff_customs")}"' in html and f'href="{reverse("web:staff_quality")}"' in html


@pytest.mark.parametrize(("data", "field"), [
    ({"country": "XX", "kind": "identical_item_limit", "max_quantity": "2"}, "country"),
    ({"country": "US", "kind": "prohibited_category", "category": ""}, "category"),
    ({"country": "US", "kind": "identical_item_limit", "max_quantity": "0"}, "quantity"),
    ({"country": "US", "kind": "declared_value_limit", "value_limit": "-5", "currency": "USD"}, "value"),
    ({"country": "US", "kind": ""}, "kind"),
])
def test_a_bad_customs_rule_is_refused_next_to_its_field_and_nothing_is_written(as_staff, data, field):
    res = as_staff.post(reverse("web:staff_customs"), data)
    html = res.content.decode()
    assert res.status_code == 422
    assert f'id="rule-{field}-error"' in html
    assert f'aria-describedby="rule-{field}-error"' in html
    assert not CustomsRule.objects.exists()


def test_a_new_rule_lists_the_orders_it_hits_and_staff_cancel_the_chosen_ones(world, as_staff):
    batteries = CategoryFactory(slug="batteries", name="Batteries")
    world.product.category = batteries
    world.product.save(update_fields=["category"])
    hit_a, hit_b = world.order(paid=True), world.order(paid=True)
    unpaid = world.order()
    res = as_staff.post(reverse("web:staff_customs"), {"country": "US", "kind": "prohibited_category",
                                                       "category": "batteries"}, follow=True)
    html = res.content.decode()
    rule = CustomsRule.objects.get()
    assert "Rule added. 2 paid, unshipped order(s) break it." in html
    assert "Orders hit by the rule" in html and "Batteries cannot be shipped to United States of America" in html
    assert f'value="{hit_a.pk}"' in html and f'value="{hit_b.pk}"' in html and f'value="{unpaid.pk}"' not in html
    res = as_staff.post(reverse("web:staff_customs_cancel", args=[rule.pk]), {"order_id": [str(hit_a.pk)]},
                        follow=True)
    assert f"Cancelled and refunded: {hit_a.number}" in res.content.decode()
    assert status_of(hit_a) == "cancelled" and status_of(hit_b) == "awaiting_shipment"
    assert hit_a.cancellations.get().reason == "customs_restriction"


def test_cancelling_with_no_order_chosen_says_so_next_to_the_list(world, as_staff):
    hit = world.order(paid=True, quantity=6)
    rule = CustomsRule.objects.create(country="US", kind="identical_item_limit", max_quantity=5,
                                      created_at="2026-01-01T00:00:00Z")
    res = as_staff.post(reverse("web:staff_customs_cancel", args=[rule.pk]), {})
    assert res.status_code == 422
    assert 'aria-describedby="order-id-error"' in res.content.decode()
    assert status_of(hit) == "awaiting_shipment"


# --- Staff: quality control ---------------------------------------------------------------------

def test_flagging_a_product_suspends_it_and_cancels_its_unshipped_orders(world, as_staff):
    paid, shipped = world.order(paid=True), world.order(shipped=True)
    res = as_staff.post(reverse("web:staff_quality"), {"product_id": str(world.product.pk), "kind": "counterfeit",
                                                       "evidence": "Logo misprinted; serials do not verify."},
                        follow=True)
    assert "suspended; 1 unshipped order(s) cancelled and refunded" in res.content.decode()
    assert not Product.objects.get(pk=world.product.pk).is_active
    assert status_of(paid) == "cancelled" and status_of(shipped) == "awaiting_delivery"
    assert QualityFlag.objects.get().kind == "counterfeit"


@pytest.mark.parametrize(("data", "field"), [
    ({"product_id": "abc", "kind": "damaged", "evidence": "Cracked"}, "product"),
    ({"product_id": "999999", "kind": "damaged", "evidence": "Cracked"}, "product"),
    ({"kind": "damaged", "evidence": ""}, "evidence"),
    ({"kind": "melted", "evidence": "Cracked"}, "kind"),
])
def test_a_bad_quality_flag_is_refused_next_to_its_field(world, as_staff, data, field):
    data = {"product_id": str(world.product.pk)} | data
    res = as_staff.post(reverse("web:staff_quality"), data)
    assert res.status_code == 422
    assert f'id="qc-{field}-error"' in res.content.decode()
    assert not QualityFlag.objects.exists()
    assert Product.objects.get(pk=world.product.pk).is_active


# --- Checkout refused by a customs rule ---------------------------------------------------------

def test_checkout_shows_the_customs_error_next_to_the_offending_line_and_places_nothing(world, as_buyer):
    other_store = build_world(buyer_email="b2@example.com", seller_email="s2@example.com")
    batteries = CategoryFactory(slug="batteries", name="Batteries")
    cell = ProductFactory(store=world.store, title="Spare battery", category=batteries, stock=10)
    CustomsRule.objects.create(country="US", kind="prohibited_category", category=batteries,
                               created_at="2026-01-01T00:00:00Z")
    # Cart order (by item id) differs from the page's order (grouped by store).
    as_buyer.post(reverse("orders:cart_add"), {"product_id": world.product.pk, "quantity": 1})
    as_buyer.post(reverse("orders:cart_add"), {"product_id": other_store.product.pk, "quantity": 1})
    as_buyer.post(reverse("orders:cart_add"), {"product_id": cell.pk, "quantity": 1})
    address = world.buyer.addresses.first()
    res = as_buyer.post(reverse("orders:checkout"), {"address_id": address.pk,
                                                      f"shipping_{world.store.pk}": world.option.pk,
                                                      f"shipping_{other_store.store.pk}": other_store.option.pk})
    html = res.content.decode()
    assert res.status_code == 422
    line = re.search(rf'<li id="line-{cell.pk}"[^>]*>(.*?)</li>', html, re.S)
    assert line and 'class="field-error line-refused"' in line.group(0)
    assert "Batteries cannot be shipped to United States of America (customs rule)." in line.group(1)
    ok = re.search(rf'<li id="line-{world.product.pk}"[^>]*>(.*?)</li>', html, re.S)
    assert ok and "customs" not in ok.group(0)
    assert 'role="alert"' in html
    assert not Order.objects.filter(buyer=world.buyer).exists()


def test_the_seller_dashboard_with_low_stock_runs_the_same_queries_as_orders_and_low_products_grow(
        world, as_seller, settings):
    from tests.web.test_query_counts import grow, queries

    settings.SOUK = {**settings.SOUK, "MESSAGE_RATE_LIMIT": 1000}
    ProductFactory(store=world.store, title="Charging case", stock=2)
    grow(world, 2)
    url = reverse("web:seller_dashboard")
    few = queries(as_seller, url)
    assert "Charging case" in as_seller.get(url).content.decode()
    for i in range(5):
        ProductFactory(store=world.store, title=f"Low {i}", stock=i)
    grow(world, 10)
    assert queries(as_seller, url) == few
    assert "Low 4" in as_seller.get(url).content.decode()


def test_the_order_pages_with_an_address_problem_run_the_same_queries_as_orders_grow(
        world, as_buyer, as_seller, settings):
    from tests.web.test_query_counts import grow, queries

    settings.SOUK = {**settings.SOUK, "MESSAGE_RATE_LIMIT": 1000}
    order = flagged(world)
    buyer_url = reverse("orders:order_detail", args=[order.number])
    seller_url = reverse("orders:seller_order_detail", args=[order.number])
    few_buyer, few_seller = queries(as_buyer, buyer_url), queries(as_seller, seller_url)
    for other in (world.order(paid=True) for _ in range(3)):
        address_problem_report(seller=world.seller, order_id=other.pk, reason="incomplete")
    grow(world, 5)
    assert queries(as_buyer, buyer_url) == few_buyer
    assert queries(as_seller, seller_url) == few_seller


def test_an_address_not_fixed_in_time_shows_both_sides_the_order_was_cancelled(world, as_buyer, as_seller):
    from datetime import timedelta

    from django.utils import timezone

    from souk.compliance.services import expire_address_problems

    order = flagged(world)
    expire_address_problems(now=timezone.now() + timedelta(hours=49))
    assert status_of(order) == "cancelled"
    buyer_html = as_buyer.get(reverse("orders:order_detail", args=[order.number])).content.decode()
    assert 'id="address-expired"' in buyer_html and "Save the corrected address" not in buyer_html
    res = as_buyer.post(reverse("orders:address_fix", args=[order.number]), fix_form(order), follow=True)
    assert "no address problem to fix" in res.content.decode()
    seller_html = as_seller.get(reverse("orders:seller_order_detail", args=[order.number])).content.decode()
    assert 'id="address-expired"' in seller_html and "Report an address problem" not in seller_html
