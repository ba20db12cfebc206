"""Cancellation requests (a buyer asks, the seller answers before `respond_by`) and cancellations (the fact).

Partially cancelled lines: an OrderLine keeps the quantity bought; what was
cancelled lives in `Cancellation.lines` ([{line_id, quantity}]). The remaining
quantity of a line is its quantity less the sum over the order's cancellations
(`selectors.remaining_quantities`). A cancellation with `lines == []` is the
whole order (whatever was left).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from souk.cancellations.reasons import Fault


class CancellationRequest(models.Model):
    class State(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"
        WITHDRAWN = "withdrawn"
        AUTO_APPROVED = "auto_approved"

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="cancellation_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="+")
    reason = models.CharField(max_length=40)
    note = models.CharField(max_length=500, blank=True)
    lines = models.JSONField(default=list, blank=True, help_text="[{line_id, quantity}]; [] = the whole order")
    refund_minor = models.BigIntegerField(default=0, help_text="the refund the request implies")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    respond_by = models.DateTimeField()
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=40, blank=True)
    reject_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=Q(state="pending"),
                                    name="one_pending_cancellation_request_per_order"),
            models.CheckConstraint(condition=Q(state__in=["pending", "approved", "rejected", "withdrawn",
                                                          "auto_approved"]),
                                   name="cancellation_request_state_known"),
            models.CheckConstraint(condition=Q(refund_minor__gte=0), name="cancellation_request_refund_not_negative"),
        ]
        indexes = [
            # The respond-by sweep: pending requests by deadline.
            models.Index(fields=["respond_by"], condition=Q(state="pending"), name="cancelrequest_due"),
        ]

    def __str__(self) -> str:
        return f"cancellation request {self.pk} ({self.state})"


class Cancellation(models.Model):
    """An order (or some of its lines) was cancelled: who, why, whose fault, what was refunded."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="cancellations")
    store = models.ForeignKey("catalog.Store", on_delete=models.PROTECT, related_name="+",
                              help_text="denormalised from the order: the store's cancellation rate is one index scan")
    request = models.ForeignKey(CancellationRequest, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    lines = models.JSONField(default=list, blank=True, help_text="[{line_id, quantity}] cancelled")
    whole_order = models.BooleanField(default=True)
    actor_role = models.CharField(max_length=8)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    reason = models.CharField(max_length=40)
    fault = models.CharField(max_length=8, choices=[(f.value, f.value) for f in Fault])
    note = models.CharField(max_length=500, blank=True)
    refund = models.ForeignKey("payments.Refund", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    refund_minor = models.BigIntegerField(default=0)
    restocked = models.BooleanField(default=False)
    notified_at = models.DateTimeField(null=True, blank=True,
                                       help_text="when the other party was told; null = still to tell (outbox)")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["order", "id"]
        indexes = [
            models.Index(fields=["store", "fault", "created_at"], name="cancellation_store_fault"),
            # The notification sweep: cancellations a deadline batch made, not told yet.
            models.Index(fields=["id"], condition=Q(notified_at__isnull=True), name="cancellation_to_notify"),
        ]

    def __str__(self) -> str:
        return f"cancellation of order {self.order_id} ({self.reason})"
