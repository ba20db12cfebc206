"""Stock honesty: tell sellers once when a product drops below the low-stock threshold."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from souk.catalog.models import Product
from souk.compliance.conf import setting
from souk.compliance.models import LowStockAlert
from souk.compliance.notify import tell


def low_stock_sweep(*, limit: int | None = None, now: datetime | None = None) -> int:
    """Alert sellers about listed products below the threshold, once per crossing; returns alerts raised.

    One transaction: alerts whose product is back at or above the threshold (or delisted) are
    cleared (one UPDATE), products below it without an open alert get one (one SELECT, one INSERT,
    `ignore_conflicts` against the partial unique index so two workers never alert twice), and each
    store's owner gets one notification listing its products.
    """
    now = now or timezone.now()
    limit = limit or setting("COMPLIANCE_TIMER_BATCH")
    threshold = setting("LOW_STOCK_THRESHOLD")
    with transaction.atomic():
        LowStockAlert.objects.filter(cleared_at__isnull=True).exclude(
            Exists(Product.objects.filter(pk=OuterRef("product_id"), is_active=True, stock__lt=threshold))
        ).update(cleared_at=now)
        open_alert = LowStockAlert.objects.filter(product_id=OuterRef("pk"), cleared_at__isnull=True)
        rows = list(Product.objects.filter(is_active=True, stock__lt=threshold).exclude(Exists(open_alert))
                    .order_by("pk").values_list("pk", "store_id", "title", "stock")[:limit])
        if not rows:
            return 0
        created = LowStockAlert.objects.bulk_create(
            [LowStockAlert(product_id=pk, store_id=store_id, stock=stock, threshold=threshold, created_at=now)
             for pk, store_id, _, stock in rows], ignore_conflicts=True)
        by_store: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
        for pk, store_id, title, stock in rows:
            by_store[store_id].append((pk, title, stock))
        from souk.catalog.models import Store

        owners = {s.pk: s.owner for s in Store.objects.filter(pk__in=by_store).select_related("owner")}
        for store_id, items in by_store.items():
            names = "; ".join(f"“{t}”: {s} left" if s else f"“{t}”: sold out" for _, t, s in items[:20])
            more = f" and {len(items) - 20} more" if len(items) > 20 else ""
            tell(kind="low_stock", recipients=[owners[store_id]],
                 title=f"{len(items)} product{'s' if len(items) != 1 else ''} running low",
                 body=f"Restock or update these listings (fewer than {threshold} units): {names}{more}.",
                 data={"products": [{"id": pk, "stock": s} for pk, _, s in items], "threshold": threshold})
    return len(created)
