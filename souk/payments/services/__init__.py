"""Payments use cases. One use case = one function; gateway calls happen between transactions."""

from souk.payments.services.escrow import escrow_release, escrow_release_due
from souk.payments.services.paying import GatewayUnavailable, PaymentDeclined, PaymentInProgress, order_pay
from souk.payments.services.protection import protection_ended_due
from souk.payments.services.reconciling import payment_reconcile, payments_reconcile_due
from souk.payments.services.refunds import (
    RefundLine,
    refund_create,
    refund_process,
    refunds_due,
)
from souk.payments.services.verification import payment_verify, payments_review_due

__all__ = ["GatewayUnavailable", "PaymentDeclined", "PaymentInProgress", "RefundLine", "escrow_release",
           "escrow_release_due", "order_pay", "payment_reconcile", "payment_verify", "payments_reconcile_due",
           "payments_review_due", "protection_ended_due", "refund_create", "refund_process", "refunds_due"]
