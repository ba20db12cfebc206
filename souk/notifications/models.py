"""In-app notifications and the outbox of emails and signed webhooks.

`services.notify` writes all three in the caller's transaction (outbox pattern);
the worker delivers `EmailMessage` and `WebhookDelivery` rows later. Each pending
row carries its own clock (`next_attempt_at`), so a periodic sweep alone reaches
the right end state after any crash (docs/architecture.md, Timers and side effects).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Notification(models.Model):
    """One thing a user should know, shown in the app (bell + list)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=48)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        indexes = [
            # The list (newest first, keyset on id) and the unread badge.
            models.Index(fields=["recipient", "read_at", "-id"], name="notification_recipient_read"),
            models.Index(fields=["recipient", "-id"], name="notification_recipient_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"


class EmailMessage(models.Model):
    """An email waiting to be sent (or sent, or given up on). Delivered by the worker."""

    class State(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    kind = models.CharField(max_length=48, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(state="pending"), name="email_due"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to} ({self.state})"


class WebhookEndpoint(models.Model):
    """An operator's URL that receives signed JSON events of the kinds it subscribed to."""

    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=80, help_text="HMAC-SHA256 key of the Souk-Signature header")
    kinds = models.JSONField(default=list, help_text='event kinds, or ["*"] for all')
    description = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    def wants(self, kind: str) -> bool:
        return "*" in self.kinds or kind in self.kinds


class WebhookDelivery(models.Model):
    """One event for one endpoint. Redeliveries keep `event_id`, so receivers can drop duplicates."""

    class State(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField()
    kind = models.CharField(max_length=48)
    payload = models.JSONField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_event_once_per_endpoint"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(state="pending"), name="webhook_due"),
            models.Index(fields=["endpoint", "-id"], name="webhook_endpoint_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_id} → endpoint {self.endpoint_id} ({self.state})"
