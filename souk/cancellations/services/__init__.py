"""Cancellation use cases. One use case = one function = one transaction
(docs/architecture.md, How a request flows)."""

from souk.cancellations.services.cancelling import (
    cancellation_options,
    order_cancel_by_seller,
    order_cancel_by_staff,
    order_cancel_by_system,
)
from souk.cancellations.services.core import CancellationRefused, CancelResult
from souk.cancellations.services.requests import (
    cancellation_request_approve,
    cancellation_request_reject,
    cancellation_request_withdraw,
    order_cancel_by_buyer,
)
from souk.cancellations.services.timers import (
    auto_approve_requests,
    cancel_unshipped_orders,
    expire_unpaid_orders,
)

__all__ = ["CancelResult", "CancellationRefused", "auto_approve_requests", "cancel_unshipped_orders",
           "cancellation_options", "cancellation_request_approve", "cancellation_request_reject",
           "cancellation_request_withdraw", "expire_unpaid_orders", "order_cancel_by_buyer",
           "order_cancel_by_seller", "order_cancel_by_staff", "order_cancel_by_system"]
