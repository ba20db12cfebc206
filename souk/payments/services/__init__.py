"""Payments use cases. One use case = one function; gateway calls happen between transactions."""

from souk.payments.services.escrow import escrow_release, escrow_release_due
from souk.payments.services.paying import GatewayUnavailable, PaymentDeclined, order_pay
from souk.payments.services.refunds import (
    RefundLine,
    refund_create,
    refund_process,
    refunds_due,
)

__all__ = ["GatewayUnavailable", "PaymentDeclined", "RefundLine", "escrow_release", "escrow_release_due",
           "order_pay", "refund_create", "refund_process", "refunds_due"]
