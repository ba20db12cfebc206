"""Stores, products with specs and dimensions, stock, and shipping options.

Prices are integer minor units in the store's currency (see souk.core.money).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from souk.core.money import minor_to_money


class Store(models.Model):
    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="store")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(blank=True)
    currency = models.CharField(max_length=3, default="USD")
    handling_days = models.PositiveSmallIntegerField(
        default=7, help_text="days the store has to ship a paid order (ship-by deadline)")
    ships_from = models.CharField(max_length=2, default="CN", help_text="ISO 3166-1 alpha-2")
    is_active = models.BooleanField(default=True)
    return_address = models.TextField(
        blank=True, max_length=500,
        help_text="where buyers send returns agreed in a dispute (docs/disputes.md); several lines")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(handling_days__gte=1) & Q(handling_days__lte=60),
                                   name="store_handling_days_1_60"),
        ]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="products")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220)
    description = models.TextField(blank=True)
    price_minor = models.BigIntegerField(help_text="price in minor units of the store's currency")
    currency = models.CharField(max_length=3)
    stock = models.IntegerField(default=0, help_text="units available to sell (reserved at checkout)")
    # Dimensions of the packed item: millimetres and grams, so no float rounding.
    length_mm = models.PositiveIntegerField(null=True, blank=True)
    width_mm = models.PositiveIntegerField(null=True, blank=True)
    height_mm = models.PositiveIntegerField(null=True, blank=True)
    weight_g = models.PositiveIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="product_stock_not_negative"),
            models.CheckConstraint(condition=Q(price_minor__gt=0), name="product_price_positive"),
            models.UniqueConstraint(fields=["store", "slug"], name="product_slug_unique_per_store"),
        ]
        indexes = [models.Index(fields=["store", "is_active", "id"], name="product_store_active")]

    def __str__(self) -> str:
        return self.title

    @property
    def price(self):
        return minor_to_money(self.price_minor, self.currency)


class ProductSpec(models.Model):
    """One name/value line of a product's specifications ("Material": "Aluminium")."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="specs")
    name = models.CharField(max_length=80)
    value = models.CharField(max_length=240)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["product", "position", "id"]

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"


class ShippingOption(models.Model):
    """A way a store ships ("AliExpress Standard Shipping"), with its buyer-protection days."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="shipping_options")
    name = models.CharField(max_length=120)
    carrier = models.CharField(max_length=80, blank=True)
    protection_days = models.PositiveSmallIntegerField(
        default=60, help_text="buyer protection: days after shipment before escrow is released")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["store", "id"]

    def __str__(self) -> str:
        return self.name


class ShippingRate(models.Model):
    """Cost and delivery-days range of an option to one country, or to everywhere else (country = '')."""

    option = models.ForeignKey(ShippingOption, on_delete=models.CASCADE, related_name="rates")
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2; blank = rest of world")
    cost_minor = models.BigIntegerField(default=0)
    min_days = models.PositiveSmallIntegerField()
    max_days = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["option", "country"]
        constraints = [
            models.UniqueConstraint(fields=["option", "country"], name="one_rate_per_option_country"),
            models.CheckConstraint(condition=Q(cost_minor__gte=0), name="rate_cost_not_negative"),
            models.CheckConstraint(condition=Q(min_days__lte=models.F("max_days")), name="rate_days_range"),
        ]

    def __str__(self) -> str:
        return f"{self.option} → {self.country or 'world'}"
