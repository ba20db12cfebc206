"""Releasing a card authorisation of an order cancelled before its payment was captured."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from souk.orders import events
from souk.orders.status import Status
from souk.payments.gateways import GatewayError, get_gateway
from souk.payments.models import Payment


def void_authorisation(*, payment_id: int) -> str:
    """Void at the gateway (outside any transaction), then record it. Idempotent; a payment that
    was captured meanwhile is left alone (payments refunds a late capture of a cancelled order)."""
    payment = Payment.objects.select_related("order").filter(pk=payment_id).first()
    if payment is None or payment.status != Payment.State.AUTHORIZED or payment.order.status != Status.CANCELLED:
        return "nothing_to_do"
    try:
        result = get_gateway().void(payment_ref=payment.gateway_ref)
    except GatewayError as exc:
        return f"error:{exc.code}"
    with transaction.atomic():
        updated = Payment.objects.filter(pk=payment.pk, status=Payment.State.AUTHORIZED).update(
            status=Payment.State.VOIDED, updated_at=timezone.now())
        if updated:
            events.record(order_id=payment.order_id, kind="payment_voided", actor_role="system",
                          message="The payment authorisation was released.",
                          data={"payment_id": payment.pk, "gateway_status": str(result.status)})
    return "voided" if updated else "nothing_to_do"
