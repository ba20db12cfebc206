"""Customs rules, quality flags, address problems, protection extensions and low-stock alerts.

Every deadline is a column (`AddressProblem.fix_by`; docs/architecture.md, Timers and side
effects); every "at most one" rule is a database constraint, so a race ends in an IntegrityError,
never in two rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_countries.fields import CountryField


class CustomsRule(models.Model):
    """A destination country's import rule, kept by staff; checkout refuses a line that breaks it."""

    class Kind(models.TextChoices):
        PROHIBITED_CATEGORY = "prohibited_category", "Prohibited category"
        DECLARED_VALUE_LIMIT = "declared_value_limit", "Declared value limit"
        IDENTICAL_ITEM_LIMIT = "identical_item_limit", "Identical item limit"

    country = CountryField()
    kind = models.CharField(max_length=24, choices=Kind.choices)
    category = models.ForeignKey("catalog.Category", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", help_text="prohibited_category: the category (and its children)")
    limit_minor = models.BigIntegerField(null=True, blank=True,
                                         help_text="declared_value_limit: most a parcel may declare, minor units")
    currency = models.CharField(max_length=3, blank=True, help_text="declared_value_limit: ISO 4217")
    max_quantity = models.PositiveIntegerField(null=True, blank=True,
                                               help_text="identical_item_limit: most units of one product")
    active = models.BooleanField(default=True)
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["country", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="prohibited_category", category__isnull=False)
                           | Q(kind="declared_value_limit", limit_minor__gt=0, currency__regex=r"^[A-Z]{3}$")
                           | Q(kind="identical_item_limit", max_quantity__gte=1)),
                name="customs_rule_kind_has_its_parameter"),
        ]
        indexes = [models.Index(fields=["country"], condition=Q(active=True), name="customs_rule_active_country")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.country})"


class QualityFlag(models.Model):
    """Staff found a product counterfeit, damaged or of inferior quality: the listing is suspended."""

    class Kind(models.TextChoices):
        COUNTERFEIT = "counterfeit", "Counterfeit"
        DAMAGED = "damaged", "Damaged"
        INFERIOR_QUALITY = "inferior_quality", "Inferior quality"

    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    store = models.ForeignKey("catalog.Store", on_delete=models.PROTECT, related_name="+",
                              help_text="denormalised from the product: the store's record is one index scan")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    evidence = models.TextField()
    flagged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    orders_cancelled = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["store", "-created_at"], name="qualityflag_store_recent")]

    def __str__(self) -> str:
        return f"{self.kind} flag on product {self.product_id}"


class AddressProblem(models.Model):
    """A seller or a carrier says an order's address cannot be used; the buyer may fix it until `fix_by`."""

    class Reason(models.TextChoices):
        INCOMPLETE = "incomplete", "The address is incomplete"
        UNDELIVERABLE = "undeliverable", "The carrier cannot deliver to this address"
        PHONE_UNREACHABLE = "phone_unreachable", "The phone number cannot be reached"
        OTHER = "other", "Other"

    class State(models.TextChoices):
        OPEN = "open"
        FIXED = "fixed"
        EXPIRED = "expired"

    class ReportedBy(models.TextChoices):
        SELLER = "seller"
        CARRIER = "carrier"

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="address_problems")
    reported_by = models.CharField(max_length=8, choices=ReportedBy.choices)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.CharField(max_length=500, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    fix_by = models.DateTimeField()
    fixed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=Q(state="open"),
                                    name="one_open_address_problem_per_order"),
            models.CheckConstraint(condition=Q(state__in=["open", "fixed", "expired"]),
                                   name="address_problem_state_known"),
        ]
        indexes = [
            # The address-fix sweep: open problems by deadline.
            models.Index(fields=["fix_by"], condition=Q(state="open"), name="addressproblem_due"),
        ]

    def __str__(self) -> str:
        return f"address problem {self.pk} on order {self.order_id} ({self.state})"


class ProtectionExtension(models.Model):
    """A buyer extended buyer protection on an order awaiting delivery: once per order (unique)."""

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="protection_extension")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="+")
    days = models.PositiveSmallIntegerField()
    previous_ends_at = models.DateTimeField()
    new_ends_at = models.DateTimeField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(days__gte=1), name="protection_extension_days_positive")]

    def __str__(self) -> str:
        return f"+{self.days} days on order {self.order_id}"


class LowStockAlert(models.Model):
    """The seller was told a product dropped below the low-stock threshold. One open alert per product:
    it is cleared when stock is back at or above the threshold, so the next drop alerts again."""

    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    store = models.ForeignKey("catalog.Store", on_delete=models.CASCADE, related_name="+")
    stock = models.IntegerField(help_text="units left when the alert was raised")
    threshold = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["product"], condition=Q(cleared_at__isnull=True),
                                    name="one_open_low_stock_alert_per_product"),
        ]

    def __str__(self) -> str:
        return f"low stock alert for product {self.product_id}"
