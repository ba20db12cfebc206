"""Reads for the cart, checkout, My Orders and the seller's order pages.

Every function runs a fixed number of queries whatever the number of rows; lists
are keyset-paginated on (created_at, id), newest first, served by the indexes
`order_buyer_recent`, `order_buyer_status_recent` and `order_store_status_recent`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from souk.accounts.models import Address
from souk.catalog.models import Store
from souk.catalog.selectors import shipping_quotes_by_store
from souk.core.cursors import decode_cursor, encode_cursor
from souk.core.errors import NotFound, ValidationFailed
from souk.core.money import format_money
from souk.orders.models import CartItem, Order, OrderEvent, OrderLine
from souk.orders.status import STATUS_LABELS, Status

MAX_LIMIT = 100
LIST_FIELDS = ("pk", "number", "status", "store_id", "store__name", "title", "item_count", "total_minor",
               "currency", "created_at")


# --- Lists ---------------------------------------------------------------------------

@dataclass(frozen=True)
class OrderRow:
    id: int
    number: str
    status: str
    store_id: int
    store_name: str
    title: str
    item_count: int
    total_minor: int
    currency: str
    created_at: datetime

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[Status(self.status)]

    @property
    def display_number(self) -> str:
        return " ".join(self.number[i:i + 4] for i in range(0, len(self.number), 4))

    @property
    def total_display(self) -> str:
        return format_money(self.total_minor, self.currency)


@dataclass(frozen=True)
class OrderPage:
    items: list[OrderRow]
    next_cursor: str | None


def _status_or_error(status: str | None) -> str | None:
    if not status:
        return None
    try:
        return Status(status).value
    except ValueError:
        raise ValidationFailed(f"'{status}' is not an order status.", code="invalid_status", field="status") from None


def _limit_or_error(limit: int) -> int:
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(f"Limit must be between 1 and {MAX_LIMIT}.", code="invalid_limit", field="limit")
    return limit


def page_queryset(qs: QuerySet, *, cursor: str | None, limit: int) -> QuerySet:
    """The one query a list page runs: rows after `cursor`, newest first, one more than `limit`."""
    if cursor:
        created_at, pk = decode_cursor(cursor)
        # (created_at, id) < (cursor): the `created_at <=` bound is an index condition.
        qs = qs.filter(created_at__lte=created_at).exclude(created_at=created_at, pk__gte=pk)
    return qs.order_by("-created_at", "-pk").values_list(*LIST_FIELDS)[:limit + 1]


def _page(qs: QuerySet, *, cursor: str | None, limit: int) -> OrderPage:
    rows = [OrderRow(*row) for row in page_queryset(qs, cursor=cursor, limit=limit)]
    next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return OrderPage(items=rows[:limit], next_cursor=next_cursor)


def buyer_orders_queryset(*, buyer, status: str | None = None, query: str | None = None) -> QuerySet:
    qs = Order.objects.filter(buyer=buyer)
    status = _status_or_error(status)
    if status:
        qs = qs.filter(status=status)
    query = (query or "").strip()
    if query:
        digits = query.replace(" ", "")
        titled = Exists(OrderLine.objects.filter(order_id=OuterRef("pk"), title__icontains=query))
        qs = qs.filter(Q(number=digits) | titled) if digits.isdigit() else qs.filter(titled)
    return qs


def buyer_orders(*, buyer, status: str | None = None, query: str | None = None, cursor: str | None = None,
                 limit: int = 20) -> OrderPage:
    """My Orders: one query per page, newest first; `query` is an order number or words of a product title."""
    limit = _limit_or_error(limit)
    return _page(buyer_orders_queryset(buyer=buyer, status=status, query=query), cursor=cursor, limit=limit)


def store_orders_queryset(*, seller, status: str | None = None) -> QuerySet:
    # The store's id as a scalar subquery (not a join), so the planner walks `order_store_recent` /
    # `order_store_status_recent` in order and stops at the page: no sort of all the store's orders.
    qs = Order.objects.filter(store_id=Subquery(Store.objects.filter(owner=seller).order_by().values("pk")[:1]))
    status = _status_or_error(status)
    return qs.filter(status=status) if status else qs


def store_orders(*, seller, status: str | None = None, cursor: str | None = None, limit: int = 20) -> OrderPage:
    """The seller's orders (of the store they own), newest first, one query per page."""
    limit = _limit_or_error(limit)
    return _page(store_orders_queryset(seller=seller, status=status), cursor=cursor, limit=limit)


# --- One order -------------------------------------------------------------------------

def _detail(filters: dict[str, Any], *, order_id: int | None, number: str | None) -> Order:
    if order_id is None and number is None:
        raise TypeError("pass order_id or number")
    lookup = {"pk": order_id} if order_id is not None else {"number": str(number).replace(" ", "")}
    order = (Order.objects.filter(**filters, **lookup).select_related("store")
             .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("pk")),
                               Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "pk")))
             .first())
    if order is None:
        raise NotFound("Order not found.", code="order_not_found")
    return order


def order_for_buyer(*, buyer, order_id: int | None = None, number: str | None = None) -> Order:
    """The buyer's order with store, lines and timeline: three queries. Someone else's is NotFound."""
    return _detail({"buyer": buyer}, order_id=order_id, number=number)


def order_for_seller(*, seller, order_id: int | None = None, number: str | None = None) -> Order:
    """An order of the seller's store with lines and timeline. Another store's is NotFound."""
    return _detail({"store__owner": seller}, order_id=order_id, number=number)


def order_id_for(*, number: str, **visibility: Any) -> int:
    """The id of the order with that number visible with `visibility` (buyer=..., store__owner=...)."""
    pk = Order.objects.filter(number=str(number).replace(" ", ""), **visibility).values_list("pk", flat=True).first()
    if pk is None:
        raise NotFound("Order not found.", code="order_not_found")
    return pk


# --- Cart and checkout -------------------------------------------------------------------

@dataclass
class CartLine:
    product_id: int
    title: str
    unit_price_minor: int
    currency: str
    quantity: int
    stock: int
    available: bool

    @property
    def line_total_minor(self) -> int:
        return self.unit_price_minor * self.quantity

    @property
    def unit_price_display(self) -> str:
        return format_money(self.unit_price_minor, self.currency)

    @property
    def line_total_display(self) -> str:
        return format_money(self.line_total_minor, self.currency)


@dataclass
class ShippingChoice:
    id: int
    name: str
    carrier: str
    cost_minor: int
    currency: str
    min_days: int
    max_days: int
    earliest: date | None = None  # delivery window if paid today (catalog.Quote.delivery_window)
    latest: date | None = None

    @property
    def cost_display(self) -> str:
        return format_money(self.cost_minor, self.currency) if self.cost_minor else "Free shipping"


@dataclass
class CartStore:
    store_id: int
    store_name: str
    currency: str
    lines: list[CartLine] = field(default_factory=list)
    shipping_options: list[ShippingChoice] = field(default_factory=list)

    @property
    def subtotal_minor(self) -> int:
        return sum(line.line_total_minor for line in self.lines)

    @property
    def subtotal_display(self) -> str:
        return format_money(self.subtotal_minor, self.currency)


@dataclass
class Cart:
    stores: list[CartStore]

    @property
    def item_count(self) -> int:
        return sum(line.quantity for store in self.stores for line in store.lines)

    @property
    def is_empty(self) -> bool:
        return not self.stores


def cart_for_buyer(*, buyer) -> Cart:
    """The cart grouped by store (one query)."""
    stores: dict[int, CartStore] = {}
    rows = (CartItem.objects.filter(buyer=buyer).order_by("pk")
            .values_list("product_id", "product__title", "product__price_minor", "product__currency",
                         "quantity", "product__stock", "product__is_active", "product__store_id",
                         "product__store__name", "product__store__currency", "product__store__is_active"))
    for pid, title, price, currency, qty, stock, active, store_id, store_name, store_currency, store_active in rows:
        group = stores.setdefault(store_id, CartStore(store_id, store_name, store_currency))
        group.lines.append(CartLine(pid, title, price, currency, qty, stock, bool(active and store_active)))
    return Cart(stores=list(stores.values()))


def shipping_choices(*, store_ids: list[int], country: str) -> dict[int, list[ShippingChoice]]:
    """Every active option of those stores that ships to `country`, with its delivery window if paid
    today: the catalog's one rule (own rate, else rest of world) in one query."""
    today = timezone.localdate()
    out: dict[int, list[ShippingChoice]] = defaultdict(list)
    for store_id, quotes in shipping_quotes_by_store(store_ids=store_ids, country=country).items():
        for q in sorted(quotes, key=lambda q: q.option_id):
            earliest, latest = q.delivery_window(today)
            out[store_id].append(ShippingChoice(q.option_id, q.name, q.carrier, q.cost_minor, q.cost.currency.code,
                                                q.min_days, q.max_days, earliest, latest))
    return out


@dataclass
class CheckoutPreview:
    cart: Cart
    addresses: list[Address]
    address: Address | None


def checkout_preview(*, buyer, address_id: int | None = None) -> CheckoutPreview:
    """What the checkout page shows: the cart, the address book, and per store the ways it can ship there."""
    cart = cart_for_buyer(buyer=buyer)
    addresses = list(Address.objects.filter(user=buyer))
    address = next((a for a in addresses if a.pk == address_id), None) if address_id else None
    address = address or (addresses[0] if addresses else None)  # the default sorts first
    if address is not None and not cart.is_empty:
        choices = shipping_choices(store_ids=[s.store_id for s in cart.stores], country=address.country.code)
        for store in cart.stores:
            store.shipping_options = choices.get(store.store_id, [])
    return CheckoutPreview(cart=cart, addresses=addresses, address=address)


def estimated_delivery(order: Order) -> tuple[datetime, datetime]:
    """When the parcel should arrive: from shipment if shipped, else from now-ish (payment + handling)."""
    start = order.shipped_at or (order.paid_at or order.created_at) + timedelta(days=order.handling_days)
    return start + timedelta(days=order.delivery_min_days), start + timedelta(days=order.delivery_max_days)


def product_quantities(order_ids: list[int]) -> dict[int, int]:
    """Units bought per product across these orders' lines ({product id: units}; lines of deleted
    products left out): what goes back on sale when unpaid orders close. One aggregate query."""
    from django.db.models import Sum

    from souk.orders.models import OrderLine

    return dict(OrderLine.objects.filter(order_id__in=order_ids, product_id__isnull=False)
                .values("product_id").annotate(q=Sum("quantity")).values_list("product_id", "q"))


def store_orders_by_id(*, store_id: int, order_ids: list[int]) -> dict[int, Order]:
    """The store's orders among `order_ids` ({id: order}, number, status and dates only): one query."""
    rows = (Order.objects.filter(store_id=store_id, pk__in=order_ids)
            .only("pk", "number", "status", "currency", "created_at", "completed_at", "store_id"))
    return {order.pk: order for order in rows}


def frozen_order_ids(store_id: int) -> frozenset[int]:
    """The store's orders frozen now (`Order.frozen_at`: an open dispute holds their escrow), for
    the seller balance; one query on the partial index `order_store_frozen`."""
    return frozenset(Order.objects.filter(store_id=store_id, frozen_at__isnull=False).values_list("pk", flat=True))
