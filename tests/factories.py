"""factory-boy factories for every model the tests build directly.

Orders are NOT built here: tests create them through `souk.checkout.services.checkout`,
so every order in a test went through the same rules as a real one.
"""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from souk.accounts.models import Address, User
from souk.catalog.models import Category, Product, ProductSpec, ShippingOption, ShippingRate, Store


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Sequence(lambda n: f"User {n}")
    phone = "+14155550100"
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class AddressFactory(DjangoModelFactory):
    class Meta:
        model = Address

    user = factory.SubFactory(UserFactory)
    name = "Ada Lovelace"
    country = "US"
    country_area = "CA"
    city = "Mountain View"
    street_address = "1600 Amphitheatre Pkwy"
    postal_code = "94043"
    phone = "+16502530000"
    is_default = True


class StoreFactory(DjangoModelFactory):
    class Meta:
        model = Store

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Store {n}")
    slug = factory.Sequence(lambda n: f"store-{n}")
    currency = "USD"
    handling_days = 5


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = "Electronics"
    slug = "electronics"


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    store = factory.SubFactory(StoreFactory)
    title = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    description = "A fine product."
    price_minor = 1999
    currency = factory.LazyAttribute(lambda o: o.store.currency)
    stock = 100
    length_mm = 100
    width_mm = 50
    height_mm = 20
    weight_g = 250


class ProductSpecFactory(DjangoModelFactory):
    class Meta:
        model = ProductSpec

    product = factory.SubFactory(ProductFactory)
    name = "Material"
    value = "Aluminium"


class ShippingOptionFactory(DjangoModelFactory):
    class Meta:
        model = ShippingOption

    store = factory.SubFactory(StoreFactory)
    name = "Standard Shipping"
    carrier = "Souk Post"
    protection_days = 60


class ShippingRateFactory(DjangoModelFactory):
    class Meta:
        model = ShippingRate

    option = factory.SubFactory(ShippingOptionFactory)
    country = ""
    cost_minor = 299
    min_days = 7
    max_days = 15


def _now():
    from django.utils import timezone

    return timezone.now()


class NotificationFactory(DjangoModelFactory):
    class Meta:
        model = "notifications.Notification"

    recipient = factory.SubFactory(UserFactory)
    kind = "order_cancelled"
    title = "Your order was cancelled"
    body = "The seller cancelled your order: out of stock."
    created_at = factory.LazyFunction(_now)


class WebhookEndpointFactory(DjangoModelFactory):
    """A webhook endpoint; endpoints are registered by staff, so its `created_by` is made staff."""

    class Meta:
        model = "notifications.WebhookEndpoint"
        skip_postgeneration_save = True

    url = "http://127.0.0.1:9/webhooks"
    secret = factory.Sequence(lambda n: f"whsec_test_{n}")
    kinds = factory.LazyFunction(lambda: ["*"])
    created_by = factory.SubFactory(UserFactory, is_staff=True)

    @factory.post_generation
    def _creator_is_staff(obj, create, extracted, **kwargs):  # noqa: N805
        if create and obj.created_by is not None and not obj.created_by.is_staff:
            obj.created_by.is_staff = True
            obj.created_by.save(update_fields=["is_staff"])


class ReviewFactory(DjangoModelFactory):
    """A review of `order` by its buyer (rows only: the rules live in reputation.services.review_create)."""

    class Meta:
        model = "reputation.Review"
        django_get_or_create = ("order",)

    order = None  # required: pass the order
    store = factory.LazyAttribute(lambda r: r.order.store)
    buyer = factory.LazyAttribute(lambda r: r.order.buyer)
    overall = 5
    item_as_described = 5
    communication = 5
    shipping_speed = 5
    text = "As described."
    created_at = factory.LazyFunction(_now)


def gadget_shop(**store_fields):
    """(store, gadget, cable, option): a USD store selling a $20.00 gadget and a $5.00 cable (50 of
    each), shipping $3.00 everywhere; `store_fields` set anything else on the store."""
    store = StoreFactory(currency="USD", **store_fields)
    gadget = ProductFactory(store=store, price_minor=2000, stock=50)
    cable = ProductFactory(store=store, price_minor=500, stock=50)
    option = ShippingOptionFactory(store=store)
    ShippingRateFactory(option=option, cost_minor=300)
    return store, gadget, cable, option
