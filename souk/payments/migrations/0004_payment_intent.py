"""Payments as intents (docs/money.md, "Paying"): the gateway key committed with the attempt,
a reconciliation deadline for attempts whose outcome is unknown, one open attempt per order.

Existing attempts get the gateway key the code used before (`payment-<id>-authorize`), so the
reconciliation sweep can ask the gateway about them; those still pending are due at once.
A database holding two open attempts for one order (possible only before this change) must
have them reconciled before the unique index can be built.
"""

from django.db import migrations, models
from django.db.models import Q
from django.utils import timezone

import souk.payments.models


def backfill(apps, schema_editor):
    Payment = apps.get_model("payments", "Payment")
    now = timezone.now()
    for payment in Payment.objects.filter(gateway_key="").only("pk", "status").iterator():
        Payment.objects.filter(pk=payment.pk).update(
            gateway_key=f"payment-{payment.pk}-authorize",
            reconcile_after=now if payment.status == "pending" else None)


class Migration(migrations.Migration):

    dependencies = [
        ("payments", "0003_payment_review"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="gateway_key",
            field=models.CharField(default="", max_length=120,
                                   help_text="the idempotency key of the gateway authorization, committed before it"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="payment",
            name="token_digest",
            field=models.CharField(blank=True, max_length=64,
                                   help_text="sha256 of the method and payment token: a retry reuses the attempt "
                                             "only with the same instrument"),
        ),
        migrations.AddField(
            model_name="payment",
            name="reconcile_after",
            field=models.DateTimeField(blank=True, null=True, help_text="pending: checked with the gateway from then on"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="payment",
            name="gateway_key",
            field=models.CharField(max_length=120, unique=True, default=souk.payments.models.new_gateway_key,
                                   help_text="the idempotency key of the gateway authorization, committed before it"),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.UniqueConstraint(condition=Q(status__in=["pending", "authorized"]), fields=("order",),
                                               name="payment_one_open_per_order"),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(condition=Q(status="pending"), fields=["reconcile_after"], name="payment_reconcile_due"),
        ),
    ]
