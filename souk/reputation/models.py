"""Reviews of completed orders, and the per-store daily stats the seller metrics are read from.

`StoreDailyStats` holds one row per store and UTC day. A store page sums at most
~185 of them (6 months of ratings, 90 days of orders), so it costs the same with
ten orders as with ten million. Who writes which columns:

- rating columns: `review_create`, incrementally, in the review's own transaction;
- order columns (placed, paid, seller-fault cancelled, shipping, refunds): the
  `store_daily_stats` sweep (`souk.reputation.stats`), which follows the order
  timeline and recomputes the days an event touched.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from souk.reputation.policy import MAX_STARS, MIN_STARS, RATING_FIELDS, TEXT_MAX


def _stars(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(**{f"{name}__gte": MIN_STARS}) & Q(**{f"{name}__lte": MAX_STARS}),
                                  name=f"review_{name}_1_5")


class Review(models.Model):
    """A buyer's rating of one completed order; the seller may reply once."""

    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="review")
    store = models.ForeignKey("catalog.Store", on_delete=models.PROTECT, related_name="reviews")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews")
    overall = models.PositiveSmallIntegerField()
    item_as_described = models.PositiveSmallIntegerField()
    communication = models.PositiveSmallIntegerField()
    shipping_speed = models.PositiveSmallIntegerField()
    text = models.TextField(blank=True)
    created_at = models.DateTimeField()
    reply_text = models.TextField(blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            *[_stars(name) for name in RATING_FIELDS],
            models.CheckConstraint(condition=LessThanOrEqual(Length("text"), TEXT_MAX),
                                   name="review_text_max_length"),
            models.CheckConstraint(condition=Q(replied_at__isnull=True) | ~Q(reply_text=""),
                                   name="review_reply_has_text"),
        ]
        indexes = [
            # The store's reviews, newest first, keyset-paginated.
            models.Index(fields=["store", "-created_at", "-id"], name="review_store_recent"),
        ]

    def __str__(self) -> str:
        return f"review of order {self.order_id}: {self.overall}★"


class StoreDailyStats(models.Model):
    # No index of its own: the unique (store, day) index serves every read, so the planner has one choice.
    store = models.ForeignKey("catalog.Store", on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField(help_text="UTC day")
    # Ratings of reviews written that day (review_create).
    ratings_count = models.PositiveIntegerField(default=0, db_default=0)
    ratings_positive = models.PositiveIntegerField(default=0, db_default=0)
    ratings_neutral = models.PositiveIntegerField(default=0, db_default=0)
    ratings_negative = models.PositiveIntegerField(default=0, db_default=0)
    overall_sum = models.PositiveIntegerField(default=0, db_default=0)
    item_as_described_sum = models.PositiveIntegerField(default=0, db_default=0)
    communication_sum = models.PositiveIntegerField(default=0, db_default=0)
    shipping_speed_sum = models.PositiveIntegerField(default=0, db_default=0)
    # Orders placed that day (the sweep).
    orders_placed = models.PositiveIntegerField(default=0, db_default=0)
    orders_paid = models.PositiveIntegerField(default=0, db_default=0, help_text="of those placed that day, paid ever")
    seller_fault_cancelled = models.PositiveIntegerField(
        default=0, db_default=0, help_text="of those placed that day, orders with a seller-fault cancellation")
    # Of the orders placed that day, from their timelines (docs/disputes.md, Timeline; the sweep).
    disputed = models.PositiveIntegerField(default=0, db_default=0, help_text="orders with a dispute opened")
    disputes_escalated = models.PositiveIntegerField(default=0, db_default=0,
                                                     help_text="orders with a dispute escalated to Souk")
    disputes_against_seller = models.PositiveIntegerField(
        default=0, db_default=0, help_text="orders with a dispute closed against the seller (a refund)")
    # Orders whose ship-by fell that day (the sweep).
    shipments_due = models.PositiveIntegerField(default=0, db_default=0, help_text="shipped, or still unshipped at ship-by")
    shipped_on_time = models.PositiveIntegerField(default=0, db_default=0, help_text="shipped no later than ship-by")
    # Refunds settled that day (the sweep).
    refunds_settled = models.PositiveIntegerField(default=0, db_default=0)
    refund_seconds_sum = models.BigIntegerField(default=0, db_default=0)
    refund_histogram = models.JSONField(null=True, blank=True, default=dict,
                                        help_text="{bucket index: count}; buckets in reputation.policy; "
                                                  "NULL (as left by the set-based rebuild) = no refunds")

    class Meta:
        ordering = ["store", "day"]
        verbose_name_plural = "store daily stats"
        constraints = [models.UniqueConstraint(fields=["store", "day"], name="one_stats_row_per_store_day")]

    def __str__(self) -> str:
        return f"store {self.store_id} on {self.day}"


class RefundFact(models.Model):
    """A settled refund, filed under its store and settlement day (refunds carry no store)."""

    refund_id = models.BigIntegerField(primary_key=True)
    store = models.ForeignKey("catalog.Store", on_delete=models.CASCADE, related_name="+", db_index=False)
    settled_on = models.DateField()
    seconds = models.BigIntegerField(help_text="created → settled")

    class Meta:
        ordering = ["refund_id"]
        indexes = [models.Index(fields=["store", "settled_on"], name="refundfact_store_day")]

    def __str__(self) -> str:
        return f"refund {self.refund_id}: {self.seconds}s"


class RollupCursor(models.Model):
    """How far along the order timeline the stats sweep has read."""

    name = models.CharField(max_length=40, primary_key=True)
    last_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} at {self.last_id}"
