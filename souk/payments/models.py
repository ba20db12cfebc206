"""Payments data.

The `Sandbox*` tables are not Souk's data: they are the sandbox gateway's own
storage, standing in for a remote payment processor's database so its state
survives restarts and is shared by every worker process.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q


class SandboxCharge(models.Model):
    ref = models.CharField(max_length=40, unique=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    method = models.CharField(max_length=16)
    token = models.CharField(max_length=64)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16)
    decline_code = models.CharField(max_length=32, blank=True)
    captured_minor = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.ref


class SandboxRefund(models.Model):
    class Outcome(models.TextChoices):
        SUCCEED = "succeed"
        FAIL = "fail"
        ACTION = "action"

    ref = models.CharField(max_length=40, unique=True)
    charge = models.ForeignKey(SandboxCharge, on_delete=models.PROTECT, related_name="refunds")
    idempotency_key = models.CharField(max_length=120, unique=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.SUCCEED)
    transient_failures_left = models.PositiveSmallIntegerField(default=0)
    settle_at = models.DateTimeField()
    arn = models.CharField(max_length=23, blank=True)
    failure_reason = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(amount_minor__gt=0), name="sandboxrefund_amount_positive")]

    def __str__(self) -> str:
        return self.ref


# --- Souk's own payment records ------------------------------------------------------------

def new_gateway_key() -> str:
    """A payment attempt's gateway idempotency key, chosen (and committed) before the gateway call."""
    return f"payment-{uuid.uuid4().hex}"


class Payment(models.Model):
    """One attempt to pay an order: an intent, like Stripe's PaymentIntent (docs/money.md, "Paying").

    The row and the key the gateway call will carry (`gateway_key`) are committed *before* the
    gateway is called. While the outcome is unknown the attempt is `pending` (open): every retry,
    whatever its client Idempotency-Key, reuses this attempt and its gateway key, so the gateway
    sees one request and can never make a second charge. An order has at most one open attempt
    (pending, or authorized for risk review); a new one starts only once the previous is known
    failed or voided. An attempt left pending past `reconcile_after` is checked with the gateway by
    the reconciliation sweep (`payments_reconcile_due`), which finishes it.
    """

    class State(models.TextChoices):
        PENDING = "pending"        # recorded, outcome at the gateway not known yet: "checking your payment"
        AUTHORIZED = "authorized"  # held for risk review (payment verification)
        CAPTURED = "captured"
        FAILED = "failed"
        VOIDED = "voided"

    OPEN_STATES = ("pending", "authorized")

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=16)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    idempotency_key = models.CharField(max_length=120, help_text="the client's key for this attempt")
    gateway_key = models.CharField(max_length=120, unique=True, default=new_gateway_key,
                                   help_text="the idempotency key of the gateway authorization, committed before it")
    token_digest = models.CharField(max_length=64, blank=True,
                                    help_text="sha256 of the method and payment token: a retry reuses the attempt "
                                              "only with the same instrument")
    gateway_ref = models.CharField(max_length=64, blank=True)
    decline_code = models.CharField(max_length=32, blank=True)
    failure_message = models.CharField(max_length=240, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="gateway round trips")
    reconcile_after = models.DateTimeField(null=True, blank=True,
                                           help_text="pending: checked with the gateway from then on")
    review_by = models.DateTimeField(null=True, blank=True,
                                     help_text="authorized, held for risk review: decided by then at the latest")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "idempotency_key"], name="payment_key_once_per_order"),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payment_amount_positive"),
            # One open attempt per order: a second charge can only start once the first is known over.
            models.UniqueConstraint(fields=["order"], condition=Q(status__in=["pending", "authorized"]),
                                    name="payment_one_open_per_order"),
        ]
        indexes = [
            # The worker's sweep: authorizations waiting for a risk decision.
            models.Index(fields=["review_by"], condition=Q(status="authorized"), name="payment_review_due"),
            # The reconciliation sweep: attempts whose outcome is still unknown.
            models.Index(fields=["reconcile_after"], condition=Q(status="pending"), name="payment_reconcile_due"),
        ]

    def __str__(self) -> str:
        return f"payment {self.pk} ({self.status})"

    @property
    def checking(self) -> bool:
        """True while Souk is confirming the outcome with the processor ("checking your payment")."""
        return self.status == self.State.PENDING


class Refund(models.Model):
    """Money going back to the buyer, visible until it is back (docs/money.md, Refund lifecycle)."""

    class State(models.TextChoices):
        PENDING = "pending"
        REQUIRES_ACTION = "requires_action"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELED = "canceled"

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=16)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    reason = models.CharField(max_length=64)
    lines = models.JSONField(default=list, blank=True, help_text="[{line_id, quantity}] for partial refunds")
    idempotency_key = models.CharField(max_length=120)
    requested_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    expected_by = models.DateField()
    gateway_ref = models.CharField(max_length=64, blank=True)
    arn = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=240, blank=True)
    flagged_at = models.DateTimeField(null=True, blank=True, help_text="needs staff: failing or late")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "idempotency_key"], name="refund_key_once_per_order"),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(condition=Q(state__in=["pending", "requires_action", "succeeded", "failed",
                                                          "canceled"]), name="refund_state_known"),
        ]
        indexes = [
            # The worker's sweep: due, unfinished refunds.
            models.Index(fields=["next_attempt_at"], condition=Q(state="pending"), name="refund_due"),
            # The sweep's late refunds not yet flagged (`refunds_flag_late`): the buyer is told once.
            models.Index(fields=["expected_by"], condition=Q(state__in=["pending", "requires_action"],
                                                             flagged_at__isnull=True), name="refund_late_unflagged"),
        ]

    def __str__(self) -> str:
        return f"refund {self.pk} ({self.state})"

    @property
    def delayed(self) -> bool:
        return self.flagged_at is not None and self.state not in ("succeeded", "canceled")


class RefundAttempt(models.Model):
    """One round trip to the gateway for a refund: what we asked, what came back."""

    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="history")
    number = models.PositiveSmallIntegerField()
    operation = models.CharField(max_length=16, help_text="refund (create) or status (poll)")
    outcome = models.CharField(max_length=24, blank=True, help_text="gateway status, or the error kind")
    error = models.CharField(max_length=240, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["refund", "number"]
        constraints = [models.UniqueConstraint(fields=["refund", "number"], name="refund_attempt_number_once")]

    def __str__(self) -> str:
        return f"refund {self.refund_id} attempt {self.number}: {self.outcome}"


class IdempotencyKey(models.Model):
    """A money-moving API request's key, its parameters' fingerprint and its stored response."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=120)
    scope = models.CharField(max_length=120, help_text="method and path the key was used on")
    fingerprint = models.CharField(max_length=64, help_text="sha256 of the canonical request parameters")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="null while in flight")
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")]

    def __str__(self) -> str:
        return self.key
