"""Cancellation reads: the open request, remaining quantities, a store's seller-fault count."""

from __future__ import annotations

from datetime import datetime

from souk.cancellations.models import Cancellation, CancellationRequest
from souk.cancellations.reasons import Fault
from souk.cancellations.services.core import line_states


def open_request(*, order_id: int) -> CancellationRequest | None:
    """The pending request the seller must answer (none once the order moved on, e.g. shipped)."""
    return CancellationRequest.objects.filter(order_id=order_id, state=CancellationRequest.State.PENDING,
                                              order__status="awaiting_cancellation").first()


def remaining_quantities(*, order_id: int) -> dict[int, int]:
    """{line_id: quantity not cancelled} for every line of the order (2 queries)."""
    return {s.line_id: s.remaining for s in line_states(order_id)}


def seller_fault_cancellations(*, store_id: int, since: datetime) -> int:
    """Seller-fault cancellations of the store since `since`: one count over the (store, fault, created_at) index."""
    return Cancellation.objects.filter(store_id=store_id, fault=Fault.SELLER, created_at__gte=since).count()
