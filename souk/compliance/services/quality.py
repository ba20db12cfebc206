"""Quality control: staff flag a product; the listing is suspended and its unshipped orders cancelled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from souk.catalog.models import Product
from souk.compliance.models import QualityFlag
from souk.compliance.notify import tell
from souk.compliance.services.customs import BulkCancelResult, cancel_each, require_staff
from souk.core.errors import ErrorCollector, NotFound
from souk.orders.models import Order
from souk.orders.status import Status

EVIDENCE_MAX = 5000
# Orders a suspended listing must not reach: every order not yet shipped (unpaid ones too, so nobody
# pays for it later). Shipped orders go on: the buyer can open a dispute after delivery.
STOPPABLE = (Status.AWAITING_PAYMENT, Status.PAYMENT_VERIFICATION, Status.AWAITING_SHIPMENT,
             Status.AWAITING_CANCELLATION)


@dataclass(frozen=True)
class QualityResult:
    flag: QualityFlag
    cancelled: list[str]
    skipped: list[dict[str, str]]


def _clean(kind: str, evidence: str) -> str:
    errors = ErrorCollector()
    if kind not in QualityFlag.Kind.values:
        errors.add("kind", "invalid_kind", f"kind is one of: {', '.join(QualityFlag.Kind.values)}.")
    evidence = evidence.strip() if isinstance(evidence, str) else ""
    if not evidence:
        errors.add("evidence", "required", "Describe the evidence (what was inspected, what was found).")
    elif len(evidence) > EVIDENCE_MAX:
        errors.add("evidence", "too_long", f"Evidence notes must be at most {EVIDENCE_MAX} characters.")
    errors.raise_if_any()
    return evidence


def product_flag_quality(*, staff, product_id: int, kind: str, evidence: str,
                         now: datetime | None = None) -> QualityResult:
    """Flag a product counterfeit / damaged / inferior quality with evidence notes.

    In one transaction: the listing is suspended (`is_active = false`, one UPDATE), every order of it
    not yet shipped is cancelled whole with reason `quality_control_failure` (platform fault; paid
    orders refunded, buyers told, units not put back on sale), the flag is recorded on the store's
    record and the seller is told.
    """
    require_staff(staff)
    evidence = _clean(kind, evidence)
    now = now or timezone.now()
    with transaction.atomic():
        row = (Product.objects.select_for_update(of=("self",)).filter(pk=product_id)
               .values_list("store_id", "title", "store__owner_id").first())
        if row is None:
            raise NotFound("Product not found.", code="product_not_found")
        store_id, title, owner_id = row
        Product.objects.filter(pk=product_id).update(is_active=False, updated_at=now)
        order_ids = list(Order.objects.filter(status__in=STOPPABLE, lines__product_id=product_id)
                         .order_by("pk").values_list("pk", flat=True).distinct())
        label = QualityFlag.Kind(kind).label
        result = BulkCancelResult()
        cancel_each(staff=staff, order_ids=order_ids, reason="quality_control_failure",
                    note=f"{label}: “{title}” failed quality control."[:500], now=now, result=result)
        flag = QualityFlag.objects.create(product_id=product_id, store_id=store_id, kind=kind, evidence=evidence,
                                          flagged_by=staff, orders_cancelled=len(result.cancelled), created_at=now)
        from souk.accounts.models import User

        tell(kind="product_suspended", recipients=[User.objects.get(pk=owner_id)],
             title=f"“{title}” suspended: failed quality control",
             body=(f"Souk suspended your listing “{title}” ({label.lower()}). "
                   f"{len(result.cancelled)} unshipped order(s) were cancelled and refunded. "
                   "It counts on your store's quality record."),
             data={"product_id": product_id, "flag_id": flag.pk, "kind": kind}, actor=staff)
    return QualityResult(flag=flag, cancelled=result.cancelled, skipped=result.skipped)
