"""Orders, their lines (snapshots of what was bought), the cart, and the order timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from souk.core.money import minor_to_money
from souk.orders.event_kinds import EventKind
from souk.orders.status import STATUS_LABELS, Status

STATUS_CHOICES = [(s.value, STATUS_LABELS[s]) for s in Status]


class CartItem(models.Model):
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cart_items")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["buyer", "product"], name="one_cart_item_per_product"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cart_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × product {self.product_id}"


class Order(models.Model):
    """What one buyer bought from one store in one checkout.

    Everything the buyer agreed to is snapshotted here and on the lines: later
    edits to products, prices, addresses or shipping options never change it.
    """

    number = models.CharField(max_length=16, unique=True, help_text="human-friendly, 16 digits")
    checkout_id = models.UUIDField(db_index=True, help_text="orders split from one checkout share it")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    store = models.ForeignKey("catalog.Store", on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=24, choices=STATUS_CHOICES, default=Status.AWAITING_PAYMENT)
    currency = models.CharField(max_length=3)
    subtotal_minor = models.BigIntegerField()
    shipping_minor = models.BigIntegerField()
    total_minor = models.BigIntegerField()
    item_count = models.PositiveIntegerField(default=0, help_text="units across lines, for list pages")
    title = models.CharField(max_length=200, help_text="first line's title, for list pages")
    # Snapshots taken at checkout.
    shipping_address = models.JSONField()
    contact_email = models.EmailField()
    contact_phone = models.CharField(max_length=20)
    shipping_option_id = models.BigIntegerField(null=True)
    shipping_method = models.CharField(max_length=120)
    shipping_carrier = models.CharField(max_length=80, blank=True)
    delivery_min_days = models.PositiveSmallIntegerField()
    delivery_max_days = models.PositiveSmallIntegerField()
    protection_days = models.PositiveSmallIntegerField()
    handling_days = models.PositiveSmallIntegerField()
    # Deadlines: every deadline is a column (docs/architecture.md, Timers and side effects).
    pay_by = models.DateTimeField(null=True, blank=True)
    ship_by = models.DateTimeField(null=True, blank=True)
    protection_ends_at = models.DateTimeField(null=True, blank=True)
    # Fulfilment.
    tracking_carrier = models.CharField(max_length=80, blank=True)
    tracking_number = models.CharField(max_length=80, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    escrow_settled_at = models.DateTimeField(
        null=True, blank=True, help_text="when a completed order's escrow was released (or found empty)")
    frozen_at = models.DateTimeField(
        null=True, blank=True,
        help_text="set while a dispute is open: escrow release and the buyer-protection clock wait "
                  "(orders.services.order_freeze / order_unfreeze)")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total_minor=models.F("subtotal_minor") + models.F("shipping_minor")),
                                   name="order_total_is_subtotal_plus_shipping"),
            models.CheckConstraint(condition=Q(subtotal_minor__gt=0) & Q(shipping_minor__gte=0),
                                   name="order_amounts_valid"),
            models.CheckConstraint(condition=Q(status__in=[s.value for s in Status]), name="order_status_known"),
        ]
        indexes = [
            # My Orders (all, and per status tab), newest first, keyset-paginated.
            models.Index(fields=["buyer", "-created_at", "-id"], name="order_buyer_recent"),
            models.Index(fields=["buyer", "status", "-created_at", "-id"], name="order_buyer_status_recent"),
            # Seller dashboard: the store's orders, all and per status.
            models.Index(fields=["store", "-created_at", "-id"], name="order_store_recent"),
            models.Index(fields=["store", "status", "-created_at", "-id"], name="order_store_status_recent"),
            # Deadline sweeps: only the orders still waiting on that deadline are indexed.
            models.Index(fields=["pay_by"], condition=Q(status="awaiting_payment"), name="order_pay_by_due"),
            # The seller balance's "frozen by a dispute": only frozen orders are indexed.
            models.Index(fields=["store"], condition=Q(frozen_at__isnull=False), name="order_store_frozen"),
            models.Index(fields=["ship_by"], condition=Q(status="awaiting_shipment"), name="order_ship_by_due"),
            models.Index(fields=["protection_ends_at"], condition=Q(status="awaiting_delivery"),
                         name="order_protection_due"),
            models.Index(fields=["completed_at"], condition=Q(status="completed", escrow_settled_at__isnull=True),
                         name="order_escrow_unsettled"),
        ]

    def __str__(self) -> str:
        return f"Order {self.number}"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[Status(self.status)]

    @property
    def total(self):
        return minor_to_money(self.total_minor, self.currency)

    @property
    def display_number(self) -> str:
        n = self.number
        return " ".join(n[i:i + 4] for i in range(0, len(n), 4))


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalog.Product", null=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(max_length=200)
    specs = models.JSONField(default=list, help_text="[[name, value], ...] as shown when bought")
    unit_price_minor = models.BigIntegerField()
    quantity = models.PositiveIntegerField()
    line_total_minor = models.BigIntegerField()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(line_total_minor=models.F("unit_price_minor") * models.F("quantity")),
                name="line_total_is_price_times_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.title}"


class OrderEvent(models.Model):
    """One entry of an order's timeline: what happened, who did it, when, with what data."""

    class Actor(models.TextChoices):
        BUYER = "buyer"
        SELLER = "seller"
        STAFF = "staff"
        SYSTEM = "system"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=48, choices=EventKind.choices)  # souk/orders/event_kinds.py
    actor_role = models.CharField(max_length=8, choices=Actor.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    message = models.CharField(max_length=240, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["order", "id"], name="orderevent_order_id")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.kind}"
