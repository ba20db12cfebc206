"""Conversations between a buyer and a store: one per order, and one per (buyer, store) before buying.

Unread counts are kept per participant (`Participant.unread_count`, bumped in
the same statement batch as each message), so the header badge on every page is
one indexed SUM, never a scan of messages.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

BODY_MAX = 2000


class Conversation(models.Model):
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    store = models.ForeignKey("catalog.Store", on_delete=models.CASCADE, related_name="conversations")
    order = models.OneToOneField("orders.Order", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="conversation")
    last_message_id = models.BigIntegerField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        constraints = [
            # Before buying: one conversation per buyer and store (order conversations are one per order).
            models.UniqueConstraint(fields=["buyer", "store"], condition=Q(order__isnull=True),
                                    name="one_store_conversation_per_buyer"),
        ]

    def __str__(self) -> str:
        return f"order {self.order_id}" if self.order_id else f"buyer {self.buyer_id} ↔ store {self.store_id}"


class Participant(models.Model):
    """One side of a conversation (the buyer, or the store's owner) with their read state."""

    class Role(models.TextChoices):
        BUYER = "buyer"
        SELLER = "seller"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=6, choices=Role.choices)
    unread_count = models.PositiveIntegerField(default=0)
    last_read_message_id = models.BigIntegerField(null=True, blank=True)
    last_message_id = models.BigIntegerField(default=0, help_text="copy of the conversation's, for the list")

    class Meta:
        ordering = ["conversation", "id"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="one_participant_per_user"),
        ]
        indexes = [
            # "My conversations", most recently active first (keyset on last_message_id, id).
            models.Index(fields=["user", "-last_message_id", "-id"], name="participant_user_recent"),
            # The unread badge: SUM(unread_count) over the few rows that have any.
            models.Index(fields=["user", "unread_count"], condition=Q(unread_count__gt=0),
                         name="participant_user_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.user_id} in {self.conversation_id}"


class Message(models.Model):
    class Kind(models.TextChoices):
        USER = "user"
        SYSTEM = "system"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", help_text="empty for system messages")
    kind = models.CharField(max_length=6, choices=Kind.choices, default=Kind.USER)
    body = models.TextField(help_text="plain text, stored as typed; escaped on display")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["conversation", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind="system") | Q(sender__isnull=False),
                                   name="user_message_has_sender"),
        ]
        indexes = [
            models.Index(fields=["conversation", "id"], name="message_conversation_id"),
            # The per-user rate limit counts a sender's recent messages.
            models.Index(fields=["sender", "created_at"], name="message_sender_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} message {self.pk} in {self.conversation_id}"
