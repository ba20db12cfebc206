"""Reads: customs rules and their impact, quality records, address problems, low stock, cancellation rate.

Every function runs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Value, When
from django.utils import timezone
from django_countries import countries

from souk.catalog.models import Category, Product
from souk.compliance.conf import setting
from souk.compliance.models import AddressProblem, CustomsRule, QualityFlag
from souk.compliance.policy import CustomsLine, RuleSnapshot, customs_violations
from souk.core.errors import NotFound, ValidationFailed
from souk.orders.models import Order, OrderLine
from souk.orders.status import Status

# Orders a customs rule or a quality flag can still stop: paid (or being verified) and not shipped.
UNSHIPPED_PAID = (Status.AWAITING_SHIPMENT, Status.AWAITING_CANCELLATION)


# --- Customs --------------------------------------------------------------------------------

def customs_rules_for(country: str) -> list[RuleSnapshot]:
    """The active rules of `country`: ONE query (served by `customs_rule_active_country`)."""
    rows = (CustomsRule.objects.filter(country=(country or "").upper(), active=True).order_by("id")
            .values_list("pk", "country", "kind", "category__slug", "category__name", "limit_minor", "currency",
                         "max_quantity", "note"))
    return [RuleSnapshot(id=pk, country=str(c), kind=kind, category_slug=slug or "", category_name=name or "",
                         limit_minor=limit, currency=currency, max_quantity=qty, note=note)
            for pk, c, kind, slug, name, limit, currency, qty, note in rows]


def rule_snapshot(rule: CustomsRule) -> RuleSnapshot:
    category = rule.category if rule.category_id else None
    return RuleSnapshot(id=rule.pk, country=str(rule.country), kind=rule.kind,
                        category_slug=category.slug if category else "", category_name=category.name if category else "",
                        limit_minor=rule.limit_minor, currency=rule.currency, max_quantity=rule.max_quantity,
                        note=rule.note)


def _category_tree() -> dict[int, tuple[int | None, str]]:
    """{id: (parent id, slug)} of every category: one query over a small table."""
    return {pk: (parent, slug) for pk, parent, slug in Category.objects.values_list("pk", "parent_id", "slug")}


def _ancestors(tree: dict[int, tuple[int | None, str]], category_id: int | None) -> tuple[str, ...]:
    out: list[str] = []
    seen: set[int] = set()
    parent = tree.get(category_id, (None, ""))[0] if category_id is not None else None
    while parent is not None and parent not in seen:
        seen.add(parent)
        out.append(tree[parent][1])
        parent = tree[parent][0]
    return tuple(out)


def descendants(category_id: int) -> set[int]:
    """The category and every category under it (one query)."""
    children: dict[int | None, list[int]] = {}
    for pk, (parent, _) in _category_tree().items():
        children.setdefault(parent, []).append(pk)
    found, todo = set(), [category_id]
    while todo:
        pk = todo.pop()
        if pk not in found:
            found.add(pk)
            todo.extend(children.get(pk, []))
    return found


def customs_lines_for(items: Sequence[Any], *, with_ancestors: bool) -> list[CustomsLine]:
    """CustomsLines for objects with `product_id` and `quantity` (checkout lines), in their order.

    One query for the products (+ one for the category tree when a category rule needs it).
    Unknown products are left out of the check (checkout reports them itself).
    """
    ids = [item.product_id for item in items if isinstance(item.product_id, int)]
    rows = {pk: row for pk, *row in Product.objects.filter(pk__in=ids).values_list(
        "pk", "store_id", "category_id", "category__slug", "price_minor", "currency")}
    tree = _category_tree() if with_ancestors else {}
    lines = []
    for item in items:
        row = rows.get(item.product_id)
        if row is None:
            lines.append(CustomsLine(product_id=item.product_id, category_slug="", quantity=0,
                                     unit_price_minor=0, currency=""))
            continue
        store_id, category_id, slug, price, currency = row
        lines.append(CustomsLine(product_id=item.product_id, category_slug=slug or "",
                                 quantity=item.quantity if isinstance(item.quantity, int) else 0,
                                 unit_price_minor=price, currency=currency, store_id=store_id,
                                 category_ancestors=_ancestors(tree, category_id)))
    return lines


def customs_rule_list(*, country: str | None = None, active: bool | None = None) -> list[CustomsRule]:
    qs = CustomsRule.objects.select_related("category").order_by("country", "id")
    if country:
        qs = qs.filter(country=country.upper())
    if active is not None:
        qs = qs.filter(active=active)
    return list(qs[:1000])


def _hit_filter(rule: CustomsRule) -> Q:
    """Which orders (paid, unshipped, to the rule's country) the rule hits: a Q over Order."""
    lines = OrderLine.objects.filter(order=OuterRef("pk"))
    if rule.kind == CustomsRule.Kind.PROHIBITED_CATEGORY:
        return Q(Exists(lines.filter(product__category_id__in=descendants(rule.category_id))))
    if rule.kind == CustomsRule.Kind.IDENTICAL_ITEM_LIMIT:
        return Q(Exists(lines.filter(quantity__gt=rule.max_quantity)))
    return Q(currency=rule.currency, subtotal_minor__gt=rule.limit_minor)


def customs_rule_hits(rule: CustomsRule):
    """The QuerySet of orders `rule` hits (not evaluated)."""
    return (Order.objects.filter(status__in=UNSHIPPED_PAID, shipping_address__country=str(rule.country))
            .filter(_hit_filter(rule)))


@dataclass(frozen=True)
class ImpactRow:
    id: int
    number: str
    status: str
    store_id: int
    store_name: str
    buyer_id: int
    title: str
    total_minor: int
    currency: str
    created_at: datetime


def customs_rule_impact(*, rule_id: int, limit: int = 500) -> tuple[CustomsRule, list[ImpactRow]]:
    """The rule and the paid, unshipped orders it hits: one set-based query (+ the rule, + categories)."""
    rule = CustomsRule.objects.select_related("category").filter(pk=rule_id).first()
    if rule is None:
        raise NotFound("Customs rule not found.", code="customs_rule_not_found")
    rows = (customs_rule_hits(rule).order_by("created_at", "pk")
            .values_list("pk", "number", "status", "store_id", "store__name", "buyer_id", "title", "total_minor",
                         "currency", "created_at")[:limit])
    return rule, [ImpactRow(*row) for row in rows]


# --- Quality ----------------------------------------------------------------------------------

def store_quality_record(*, store_id: int, recent: int = 20) -> dict[str, Any]:
    """A store's quality-control record: flags by kind, suspended listings, orders cancelled. 3 queries."""
    counts = QualityFlag.objects.filter(store_id=store_id).aggregate(
        total=Count("pk"), open=Count("pk", filter=Q(resolved_at__isnull=True)),
        counterfeit=Count("pk", filter=Q(kind="counterfeit")), damaged=Count("pk", filter=Q(kind="damaged")),
        inferior_quality=Count("pk", filter=Q(kind="inferior_quality")),
        products=Count("product_id", distinct=True))
    from souk.cancellations.models import Cancellation

    cancelled = Cancellation.objects.filter(store_id=store_id, reason="quality_control_failure").count()
    flags = list(QualityFlag.objects.filter(store_id=store_id).order_by("-created_at", "-id")
                 .values("pk", "product_id", "product__title", "product__is_active", "kind", "created_at",
                         "resolved_at", "orders_cancelled")[:recent])
    return {"store_id": store_id, "flags": counts["total"], "open_flags": counts["open"],
            "by_kind": {k: counts[k] for k in ("counterfeit", "damaged", "inferior_quality")},
            "products_flagged": counts["products"], "orders_cancelled": cancelled, "recent": flags}


# --- Address problems ---------------------------------------------------------------------------

def address_problem_latest(*, order_id: int) -> AddressProblem | None:
    """The order's open problem, else its most recent one (one query)."""
    open_first = Case(When(state=AddressProblem.State.OPEN, then=Value(0)), default=Value(1),
                      output_field=IntegerField())
    return AddressProblem.objects.filter(order_id=order_id).order_by(open_first, "-created_at", "-id").first()


# --- Stock ----------------------------------------------------------------------------------------

def low_stock_products(*, store_id: int, threshold: int | None = None, limit: int = 200) -> list[dict]:
    """The store's listed products with fewer units than the threshold, emptiest first: one query."""
    threshold = setting("LOW_STOCK_THRESHOLD") if threshold is None else threshold
    return list(Product.objects.filter(store_id=store_id, is_active=True, stock__lt=threshold)
                .order_by("stock", "id").values("pk", "title", "stock")[:limit])


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def out_of_stock_cancellation_preview(*, seller, order_id: int, now: datetime | None = None) -> dict[str, Any]:
    """What cancelling this order for `out_of_stock` (seller fault) does to the store's public cancellation rate.

    "Now" is the store's published metric (`souk.reputation.selectors.store_metrics`: seller-fault
    cancelled orders / paid orders placed in the last ORDERS_WINDOW_DAYS UTC days, from its daily
    stats). "After" adds this order to the seller-fault count when it is paid, placed inside that
    window, not already cancelled by the seller, and still cancellable. Constant queries.
    """
    from souk.cancellations.models import Cancellation
    from souk.cancellations.services import cancellation_options
    from souk.reputation.selectors import store_metrics

    now = now or timezone.now()
    order = Order.objects.select_related("store").filter(pk=order_id, store__owner=seller).first()
    if order is None:
        raise NotFound("Order not found.", code="order_not_found")
    metrics = store_metrics(store_id=order.store_id, now=now)
    decision = cancellation_options(order=order, actor_role="seller", now=now)
    in_window = order.paid_at is not None and order.created_at.astimezone(UTC).date() >= metrics.orders_from
    counts = (in_window and decision.allowed
              and not Cancellation.objects.filter(order_id=order.pk, fault="seller").exists())
    cancelled, orders = metrics.seller_fault_cancelled, metrics.orders_paid
    # A paid order in the window is among `orders` once the stats sweep has seen it; never divide by 0.
    after_orders = max(orders, 1) if counts else orders
    after_cancelled = cancelled + (1 if counts else 0)
    return {"order_number": order.number, "allowed": decision.allowed, "why_not": decision.why_not,
            "window_days": (metrics.as_of.astimezone(UTC).date() - metrics.orders_from).days,
            "orders": orders, "cancelled_now": cancelled, "rate_now": metrics.cancellation_rate_pct,
            "cancelled_after": after_cancelled, "rate_after": _percent(after_cancelled, after_orders),
            "source": "reputation.store_metrics"}


@dataclass(frozen=True)
class _Item:
    product_id: int
    quantity: int


CHECK_MAX_QUANTITY = 100_000


def customs_check(*, country: str, product_id: int, quantity: int) -> list:
    """Pre-checkout check of one product and quantity to `country`: the violations (3 queries at most)."""
    country = (country or "").strip().upper()
    if len(country) != 2 or country not in countries:
        raise ValidationFailed(f"{country!r} is not a known ISO 3166 country code.", code="invalid_country",
                               field="country")
    if isinstance(quantity, bool) or not 1 <= quantity <= CHECK_MAX_QUANTITY:
        raise ValidationFailed("quantity is a whole number from 1.", code="invalid_quantity", field="quantity")
    if not Product.objects.filter(pk=product_id, is_active=True).exists():
        raise NotFound("Product not found.", code="product_not_found")
    rules = customs_rules_for(country)
    if not rules:
        return []
    lines = customs_lines_for([_Item(product_id, quantity)],
                              with_ancestors=any(r.kind == "prohibited_category" for r in rules))
    return customs_violations(country=country, lines=lines, rules=rules)
