"""What is left of each line of an order: the one count that cancellations and refunds share.

An order's lines are bought once; later, some units are cancelled (cancellations) or refunded
(payments). Both record what they took as `[{line_id, quantity}]` lists, and both ask here what
is left and whether a new request fits, so the rule and its errors are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from souk.core.errors import ErrorCollector
from souk.orders.models import OrderLine

__all__ = ["LineState", "check_lines", "goods_minor", "line_states"]


@dataclass(frozen=True)
class LineState:
    line_id: int
    product_id: int | None
    title: str
    unit_price_minor: int
    quantity: int        # bought
    remaining: int       # not taken yet (cancelled or refunded, as the caller counts)

    @property
    def taken(self) -> int:
        return self.quantity - self.remaining


def line_states(order_id: int, taken: Iterable[list[dict] | None] = ()) -> list[LineState]:
    """The order's lines (one query), each with what is left after the `taken` lists."""
    used: dict[int, int] = {}
    for items in taken:
        for item in items or []:
            used[item["line_id"]] = used.get(item["line_id"], 0) + item["quantity"]
    rows = (OrderLine.objects.filter(order_id=order_id).order_by("pk")
            .values_list("pk", "product_id", "title", "unit_price_minor", "quantity"))
    return [LineState(pk, product_id, title, price, qty, qty - used.get(pk, 0))
            for pk, product_id, title, price, qty in rows]


def check_lines(requested: list[dict] | None, states: list[LineState], *, done: str = "cancelled") -> list[dict]:
    """Validate [{line_id, quantity}] against what is left; [] when they cover everything left.

    Errors name the item: `lines[i].line_id` `line_not_found` (not this order's, or listed twice),
    `lines[i].quantity` `quantity_out_of_range` (not between 1 and what is left)."""
    if not requested:
        return []
    by_id = {s.line_id: s for s in states}
    errors = ErrorCollector()
    wanted: dict[int, int] = {}
    for i, item in enumerate(requested):
        line_id, quantity = item.get("line_id"), item.get("quantity")
        state = by_id.get(line_id) if isinstance(line_id, int) and not isinstance(line_id, bool) else None
        if state is None or line_id in wanted:
            errors.add(f"lines[{i}].line_id", "line_not_found", "This line is not part of the order.")
            continue
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= state.remaining:
            errors.add(f"lines[{i}].quantity", "quantity_out_of_range",
                       f"Choose between 1 and {state.remaining}." if state.remaining
                       else f"This line is already {done}.")
            continue
        wanted[line_id] = quantity
    errors.raise_if_any()
    if all(wanted.get(s.line_id, 0) == s.remaining for s in states):
        return []
    return [{"line_id": lid, "quantity": q} for lid, q in wanted.items()]


def goods_minor(states: list[LineState], lines: list[dict] | None = None) -> tuple[int, int]:
    """(goods already taken, goods of `lines`) in minor units: what the proration rule needs."""
    price = {s.line_id: s.unit_price_minor for s in states}
    before = sum(s.unit_price_minor * s.taken for s in states)
    return before, sum(price[i["line_id"]] * i["quantity"] for i in lines or [])
