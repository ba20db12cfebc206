"""Catalog pages, as a buyer and a seller see them (no JavaScript needed)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from souk.catalog.models import Product, Store
from tests.factories import (
    AddressFactory,
    CategoryFactory,
    ProductFactory,
    ProductSpecFactory,
    ShippingOptionFactory,
    ShippingRateFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_product_list_shows_prices_with_babel_and_filters_by_search_and_category(client):
    lamps = CategoryFactory(name="Lamps", slug="lamps")
    ProductFactory(title="Desk lamp", price_minor=123456, category=lamps)
    ProductFactory(title="Chair")

    everything = client.get(reverse("catalog:product_list")).content.decode()
    searched = client.get(reverse("catalog:product_list"), {"q": "lamp"}).content.decode()
    by_category = client.get(reverse("catalog:product_list"), {"category": "lamps"}).content.decode()

    assert "Desk lamp" in everything and "Chair" in everything
    assert "$1,234.56" in everything
    assert "Desk lamp" in searched and "Chair" not in searched
    assert "Desk lamp" in by_category and "Chair" not in by_category
    assert 'label for="id_q"' in everything


def test_product_list_load_more_link_keeps_the_search_and_reaches_the_rest(client):
    ProductFactory.create_batch(30, title="Lamp")
    ProductFactory(title="Newest lamp")
    first = client.get(reverse("catalog:product_list"), {"q": "lamp"})
    next_url = first.context["next_url"]

    assert next_url.startswith("?q=lamp&cursor=")
    second = client.get(reverse("catalog:product_list") + next_url)
    assert len(first.context["page"].items) == 24
    assert len(second.context["page"].items) == 7
    assert second.context["next_url"] is None
    assert "Load more" in first.content.decode() and "Load more" not in second.content.decode()


def test_product_list_page_costs_the_same_queries_for_5_or_50_products(client):
    CategoryFactory()
    ProductFactory.create_batch(5)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("catalog:product_list"))
    ProductFactory.create_batch(45, store=StoreFactory())
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("catalog:product_list"))

    assert len(response.context["page"].items) == 24
    assert len(few.captured_queries) == len(many.captured_queries) <= 2


def test_a_forged_cursor_shows_an_error_not_a_crash(client):
    response = client.get(reverse("catalog:product_list"), {"cursor": "not-a-cursor"})

    assert response.status_code == 400
    assert "not valid" in response.content.decode()


@pytest.fixture
def lamp():
    store = StoreFactory(name="Lamp <House>", slug="lamp-house", handling_days=2)
    product = ProductFactory(store=store, title="Desk lamp", price_minor=1250, stock=3,
                             length_mm=300, width_mm=150, height_mm=120, weight_g=900)
    ProductSpecFactory(product=product, name="Material", value="<b>Steel</b>")
    option = ShippingOptionFactory(store=store, name="Standard", carrier="Souk Post")
    ShippingRateFactory(option=option, country="", cost_minor=299, min_days=10, max_days=20)
    ShippingRateFactory(option=option, country="DE", cost_minor=0, min_days=4, max_days=6)
    return product


def test_product_page_shows_price_stock_specs_dimensions_and_seller(client, lamp):
    html = client.get(reverse("catalog:product_detail", args=[lamp.pk])).content.decode()

    assert "Desk lamp" in html
    assert "$12.50" in html
    assert "Only 3 left" in html
    assert "&lt;b&gt;Steel&lt;/b&gt;" in html          # user text is escaped
    assert "300 × 150 × 120 mm" in html and "900 g" in html
    assert "Lamp &lt;House&gt;" in html
    assert reverse("catalog:store_detail", args=["lamp-house"]) in html
    assert "Rest of the world" in html and "$2.99" in html   # every rate while no country is known


def test_product_page_has_an_add_to_cart_form_for_the_orders_app(client, lamp):
    html = client.get(reverse("catalog:product_detail", args=[lamp.pk])).content.decode()

    assert f'action="{reverse("orders:cart_add")}"' in html
    assert f'name="product_id" value="{lamp.pk}"' in html
    assert 'name="quantity"' in html and 'for="id_quantity"' in html
    assert "csrfmiddlewaretoken" in html


def test_out_of_stock_product_says_so_and_offers_no_cart_form(client, lamp):
    Product.objects.filter(pk=lamp.pk).update(stock=0)

    html = client.get(reverse("catalog:product_detail", args=[lamp.pk])).content.decode()

    assert "Out of stock" in html
    assert reverse("orders:cart_add") not in html


def test_logged_in_buyer_sees_delivery_estimate_to_their_default_address_country(client, lamp):
    buyer = UserFactory()
    AddressFactory(user=buyer, country="DE", country_area="", city="Berlin", postal_code="10115")
    client.force_login(buyer)
    today = timezone.localdate()

    response = client.get(reverse("catalog:product_detail", args=[lamp.pk]))

    html = response.content.decode()
    assert "Shipping to Germany" in html
    assert "Free shipping" in html
    earliest, latest = today + dt.timedelta(days=4), today + dt.timedelta(days=2 + 6)
    assert f"{earliest:%b} {earliest.day} – {latest:%b} {latest.day}" in html


def test_country_picker_quotes_the_rest_of_world_rate(client, lamp):
    html = client.get(reverse("catalog:product_detail", args=[lamp.pk]), {"country": "JP"}).content.decode()

    assert "Shipping to Japan" in html
    assert "$2.99" in html


def test_store_that_does_not_ship_to_the_country_says_so(client, lamp):
    lamp.store.shipping_options.get().rates.filter(country="").delete()

    html = client.get(reverse("catalog:product_detail", args=[lamp.pk]), {"country": "JP"}).content.decode()

    assert "does not ship to Japan" in html


def test_unknown_country_in_the_picker_is_shown_inline(client, lamp):
    response = client.get(reverse("catalog:product_detail", args=[lamp.pk]), {"country": "ZZ"})

    assert response.status_code == 422
    html = response.content.decode()
    assert 'class="field field-error"' in html and 'aria-invalid="true"' in html


def test_withdrawn_product_page_is_404(client):
    assert client.get(reverse("catalog:product_detail", args=[ProductFactory(is_active=False).pk])).status_code == 404


def test_store_page_shows_store_info_and_only_its_products(client, lamp):
    ProductFactory(title="Someone else's chair")

    html = client.get(reverse("catalog:store_detail", args=["lamp-house"])).content.decode()

    assert "Lamp &lt;House&gt;" in html and "Desk lamp" in html
    assert "Someone else" not in html
    assert "2 days of payment" in html
    assert client.get(reverse("catalog:store_detail", args=["nope"])).status_code == 404


# --- seller pages -------------------------------------------------------------------------


def test_seller_pages_need_a_login(client):
    response = client.get(reverse("catalog:seller_products"))

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_a_user_without_a_store_is_sent_to_open_one(client):
    client.force_login(UserFactory())

    response = client.get(reverse("catalog:seller_products"))

    assert response["Location"] == reverse("catalog:seller_store_open")


def test_opening_a_store_from_the_page(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(reverse("catalog:seller_store_open"), {
        "name": "Lamp House", "currency": "EUR", "handling_days": "3", "ships_from": "DE", "description": ""})

    assert response["Location"] == reverse("catalog:seller_products")
    assert Store.objects.get(owner=user).slug == "lamp-house"


def test_opening_a_store_with_bad_input_shows_errors_inline_and_writes_nothing(client):
    client.force_login(UserFactory())

    response = client.post(reverse("catalog:seller_store_open"), {
        "name": "Lamp House", "currency": "EURO", "handling_days": "0", "ships_from": "DE"})

    assert response.status_code == 422
    html = response.content.decode()
    assert html.count('aria-invalid="true"') == 2
    assert "is not an ISO 4217 currency code" in html
    assert not Store.objects.exists()


def test_seller_lists_own_products_only_with_an_inline_stock_form(seller_client, store, rival_store):
    ProductFactory(store=store, title="Mine", stock=4)
    ProductFactory(store=rival_store, title="Theirs")

    html = seller_client.get(reverse("catalog:seller_products")).content.decode()

    assert "Mine" in html and "Theirs" not in html
    assert 'name="stock"' in html and "Stock of Mine" in html


def test_seller_sets_stock_from_the_list(seller_client, store):
    product = ProductFactory(store=store, stock=4)

    response = seller_client.post(reverse("catalog:seller_product_stock", args=[product.pk]), {"stock": "11"})

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.stock == 11


def test_negative_stock_from_the_list_is_shown_next_to_that_field(seller_client, store):
    product = ProductFactory(store=store, stock=4)

    response = seller_client.post(reverse("catalog:seller_product_stock", args=[product.pk]), {"stock": "-2"})

    assert response.status_code == 422
    assert f'id="err_stock_{product.pk}"' in response.content.decode()
    product.refresh_from_db()
    assert product.stock == 4


def test_another_sellers_product_pages_are_404(seller_client, rival_store):
    theirs = ProductFactory(store=rival_store, stock=4)

    assert seller_client.get(reverse("catalog:seller_product_edit", args=[theirs.pk])).status_code == 404
    assert seller_client.post(reverse("catalog:seller_product_stock", args=[theirs.pk]),
                              {"stock": "0"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.stock == 4


PRODUCT_FORM = {"title": "Desk lamp", "price": "12.50", "stock": "7", "category": "", "description": "",
                "specs": "Material: Steel\nColour: Black", "length_mm": "300", "width_mm": "", "height_mm": "",
                "weight_g": "900", "is_active": "on"}


def test_seller_adds_a_product_with_specs_from_the_page(seller_client, store):
    response = seller_client.post(reverse("catalog:seller_product_add"), PRODUCT_FORM)

    assert response.status_code == 302
    product = Product.objects.get(store=store)
    assert (product.price_minor, product.stock, product.length_mm, product.width_mm) == (1250, 7, 300, None)
    assert list(product.specs.values_list("name", "value")) == [("Material", "Steel"), ("Colour", "Black")]


@pytest.mark.parametrize("change, field", [
    ({"price": "-3"}, "price"),
    ({"price": "1.999"}, "price"),
    ({"stock": "-1"}, "stock"),
    ({"stock": "lots"}, "stock"),
    ({"weight_g": "0"}, "weight_g"),
    ({"specs": "no colon here"}, "specs"),
    ({"title": ""}, "title"),
])
def test_bad_product_form_shows_the_error_next_to_the_field_and_writes_nothing(seller_client, store, change, field):
    response = seller_client.post(reverse("catalog:seller_product_add"), {**PRODUCT_FORM, **change})

    assert response.status_code == 422
    assert field in response.context["errors"]
    assert f'id="err_{field}"' in response.content.decode()
    assert not Product.objects.exists()


def test_seller_edits_a_product_and_its_form_is_prefilled(seller_client, store):
    product = ProductFactory(store=store, title="Old title", price_minor=500)
    ProductSpecFactory(product=product, name="Size", value="M")

    page = seller_client.get(reverse("catalog:seller_product_edit", args=[product.pk]))
    assert page.context["form"]["specs"] == "Size: M" and page.context["form"]["price"] == "5.00"
    seller_client.post(reverse("catalog:seller_product_edit", args=[product.pk]), {**PRODUCT_FORM, "is_active": ""})

    product.refresh_from_db()
    assert (product.title, product.price_minor, product.is_active) == ("Desk lamp", 1250, False)
