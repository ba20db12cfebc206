"""Payments data.

The `Sandbox*` tables are not Souk's data: they are the sandbox gateway's own
storage, standing in for a remote payment processor's database so its state
survives restarts and is shared by every worker process.
"""

from __future__ import annotations

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
