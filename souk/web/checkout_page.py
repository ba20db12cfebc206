"""What the checkout page shows when checkout refuses lines (customs rules, stock): each message next to its line."""

from __future__ import annotations

import re

from souk.core.errors import DomainError
from souk.orders.cart import cart_product_ids

LINE_FIELD = re.compile(r"^lines\[(\d+)\]")


def line_errors(*, buyer, exc: DomainError) -> dict[int, list[str]]:
    """{product id: [messages]} for the errors naming `lines[i]`.

    `checkout_cart` numbers the lines in cart order (by cart item id), which is not the page's order
    (grouped by store), so the index is mapped through the cart itself: one query, on the error path only.
    """
    indexed = [(int(m.group(1)), e.message) for e in exc.errors if (m := LINE_FIELD.match(e.field or ""))]
    if not indexed:
        return {}
    products = cart_product_ids(buyer=buyer)
    out: dict[int, list[str]] = {}
    for index, message in indexed:
        if index < len(products) and message not in out.get(products[index], []):
            out.setdefault(products[index], []).append(message)
    return out
