"""Payment gateways: the interface (`base`), the built-in sandbox, and `get_gateway()`."""

from __future__ import annotations

from functools import lru_cache

from django.utils.module_loading import import_string

from souk.payments.conf import setting
from souk.payments.gateways.base import (
    DeclineCode,
    GatewayDeclined,
    GatewayError,
    GatewayPayment,
    GatewayRefund,
    GatewayTimeout,
    GatewayTransientError,
    PaymentGateway,
    PaymentMethod,
    RefundStatus,
)

__all__ = ["DeclineCode", "GatewayDeclined", "GatewayError", "GatewayPayment", "GatewayRefund", "GatewayTimeout",
           "GatewayTransientError", "PaymentGateway", "PaymentMethod", "RefundStatus", "get_gateway"]


@lru_cache(maxsize=8)
def _gateway(path: str) -> PaymentGateway:
    return import_string(path)()


def get_gateway() -> PaymentGateway:
    """The gateway named by `SOUK["PAYMENT_GATEWAY"]` (default: the sandbox)."""
    return _gateway(setting("PAYMENT_GATEWAY"))
