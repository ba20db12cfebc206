"""Disputes after shipment (docs/disputes.md): the dispute and its one current deadline, the offers
both sides made, the evidence, and the decision that closed it (kept apart from the money moved).

Every deadline is the dispute's `due_at` column, read with its `state` (who owes what is
`due_party`); a sweep per state finishes what is due (souk/disputes/services/timers.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Reason(models.TextChoices):
    NOT_RECEIVED = "not_received", "I did not receive the parcel"
    NOT_AS_DESCRIBED = "not_as_described", "The item is not as described"
    DAMAGED = "damaged", "The item arrived damaged"
    WRONG_ITEM = "wrong_item", "I received the wrong item"
    MISSING_PARTS = "missing_parts", "Parts or items are missing"
    COUNTERFEIT = "counterfeit", "The item is counterfeit"


class Kind(models.TextChoices):
    REFUND_ONLY = "refund_only", "Refund only (keep the item)"
    RETURN_AND_REFUND = "return_and_refund", "Return the item and get a refund"


class State(models.TextChoices):
    OPEN = "open", "Waiting for the seller's answer"
    NEGOTIATING = "negotiating", "Buyer and seller are negotiating"
    ESCALATED = "escalated", "Souk is reviewing"
    AWAITING_RETURN = "awaiting_return", "Waiting for the buyer to send the item back"
    RETURN_SHIPPED = "return_shipped", "Return on its way to the seller"
    CLOSED = "closed", "Closed"


OPEN_STATES = (State.OPEN, State.NEGOTIATING, State.ESCALATED, State.AWAITING_RETURN, State.RETURN_SHIPPED)


class Outcome(models.TextChoices):
    REFUNDED = "refunded", "Refunded"
    REJECTED = "rejected", "Rejected: no refund"
    RETURN_NOT_SHIPPED = "return_not_shipped", "Closed: the return was not sent in time"
    WITHDRAWN = "withdrawn", "Withdrawn by the buyer"


class DecidedBy(models.TextChoices):
    BUYER_ACCEPTED = "buyer_accepted", "The buyer accepted the seller's offer"
    SELLER_ACCEPTED = "seller_accepted", "The seller accepted the buyer's request"
    SILENCE = "silence", "The seller did not answer in time"
    STAFF = "staff", "Souk decided"


class Dispute(models.Model):
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="disputes")
    store = models.ForeignKey(
        "catalog.Store",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="denormalised: the seller's list and the store's dispute rate",
    )
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    lines = models.JSONField(
        default=list, blank=True, help_text="[{line_id, quantity}]; [] = the whole order"
    )
    description = models.CharField(max_length=2000)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    # The current deadline: what it means depends on `state` (docs/disputes.md, Deadlines).
    due_at = models.DateTimeField(null=True, blank=True)
    due_party = models.CharField(max_length=8, blank=True, help_text="buyer or seller: who owes the action")
    reminded_at = models.DateTimeField(
        null=True, blank=True, help_text="reminder for the current due_at sent"
    )
    negotiate_until = models.DateTimeField(help_text="offers end then: the dispute goes to Souk")
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_by = models.CharField(max_length=8, blank=True, help_text="buyer, seller or system")
    evidence_from = models.CharField(max_length=8, blank=True, help_text="the party staff asked for evidence")
    evidence_note = models.CharField(max_length=500, blank=True)
    # The agreement (or staff's decision) while a return runs, and the return parcel.
    agreed_kind = models.CharField(max_length=20, choices=Kind.choices, blank=True)
    agreed_minor = models.BigIntegerField(null=True, blank=True)
    agreed_by = models.CharField(max_length=16, choices=DecidedBy.choices, blank=True)
    agreed_at = models.DateTimeField(null=True, blank=True)
    return_payer = models.CharField(max_length=8, blank=True, help_text="who pays return shipping")
    return_address = models.TextField(blank=True, max_length=500, help_text="the store's, when agreed")
    return_carrier = models.CharField(max_length=80, blank=True)
    return_tracking = models.CharField(max_length=80, blank=True)
    return_shipped_at = models.DateTimeField(null=True, blank=True)
    return_arrived_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=~Q(state="closed"), name="one_open_dispute_per_order"
            ),
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in State]), name="dispute_state_known"
            ),
            models.CheckConstraint(
                condition=Q(agreed_minor__isnull=True) | Q(agreed_minor__gte=0),
                name="dispute_agreed_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["due_at"], condition=~Q(state="closed"), name="dispute_due"),
            models.Index(fields=["buyer", "-opened_at"], name="dispute_buyer_recent"),
            models.Index(fields=["store", "-opened_at"], name="dispute_store_recent"),
            models.Index(
                fields=["escalated_at"], condition=Q(state="escalated"), name="dispute_escalated_age"
            ),
        ]

    def __str__(self) -> str:
        return f"dispute {self.pk} of order {self.order_id} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state != State.CLOSED


class Offer(models.Model):
    """What one side asked for or offered; the newest of each side is its current position."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="offers")
    party = models.CharField(max_length=8, help_text="buyer or seller")
    kind = models.CharField(max_length=20, choices=Kind.choices, blank=True, help_text="blank: a rejection")
    amount_minor = models.BigIntegerField(default=0)
    note = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["dispute", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gte=0), name="dispute_offer_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.party} offer {self.kind or 'reject'} {self.amount_minor}"


class Evidence(models.Model):
    """A photo one party gave (stored through Django's storage API, `default_storage`)."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="evidence")
    party = models.CharField(max_length=8)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.CharField(max_length=200, help_text="the name in default_storage")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["dispute", "id"]

    def __str__(self) -> str:
        return f"evidence {self.pk} ({self.party})"


class Decision(models.Model):
    """How the dispute ended: who decided, what, how much — apart from the money moved (the refund
    is payments' row, `refund_id`; the release of the rest is the ledger's)."""

    dispute = models.OneToOneField(Dispute, on_delete=models.CASCADE, related_name="decision")
    decided_by = models.CharField(max_length=16, blank=True, choices=DecidedBy.choices)
    decider = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices, blank=True)
    amount_minor = models.BigIntegerField(default=0)
    against_seller = models.BooleanField(default=False)
    note = models.CharField(max_length=1000, blank=True)
    refund = models.ForeignKey(
        "payments.Refund", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gte=0), name="dispute_decision_not_negative")
        ]

    def __str__(self) -> str:
        return f"decision of dispute {self.dispute_id}: {self.outcome}"
