"""The cart: what a buyer means to buy. Stock is only checked here, reserved at checkout."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction

from souk.catalog.models import Product
from souk.core.errors import NotFound, ValidationFailed
from souk.orders.models import CartItem


def _check_quantity(quantity: int, *, allow_zero: bool = False) -> None:
    max_q = settings.SOUK["LINE_MAX_QUANTITY"]
    low = 0 if allow_zero else 1
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not low <= quantity <= max_q:
        raise ValidationFailed(f"Quantity must be between {low} and {max_q}.", code="invalid_quantity",
                               field="quantity")


def _sellable(product_id: int) -> tuple[int, str]:
    row = (Product.objects.filter(pk=product_id, is_active=True, store__is_active=True)
           .values_list("stock", "title").first())
    if row is None:
        raise ValidationFailed("This product is not for sale.", code="product_unavailable", field="product_id")
    return row


def _check_stock(quantity: int, stock: int, title: str) -> None:
    if quantity > stock:
        raise ValidationFailed(
            f"Only {stock} of “{title}” left." if stock else f"“{title}” is sold out.",
            code="insufficient_stock", field="quantity")
    if quantity > settings.SOUK["LINE_MAX_QUANTITY"]:
        raise ValidationFailed(f"At most {settings.SOUK['LINE_MAX_QUANTITY']} of one product per order.",
                               code="invalid_quantity", field="quantity")


@transaction.atomic
def cart_add(*, buyer, product_id: int, quantity: int) -> CartItem:
    """Put `quantity` more of a product in the cart (on top of what is already there)."""
    _check_quantity(quantity)
    stock, title = _sellable(product_id)
    item = CartItem.objects.select_for_update().filter(buyer=buyer, product_id=product_id).first()
    if item is None:
        _check_stock(quantity, stock, title)
        try:
            with transaction.atomic():
                return CartItem.objects.create(buyer=buyer, product_id=product_id, quantity=quantity)
        except IntegrityError:  # the same buyer added it concurrently: add on top of that row
            item = CartItem.objects.select_for_update().get(buyer=buyer, product_id=product_id)
    total = item.quantity + quantity
    _check_stock(total, stock, title)
    item.quantity = total
    item.save(update_fields=["quantity"])
    return item


@transaction.atomic
def cart_update(*, buyer, product_id: int, quantity: int) -> CartItem | None:
    """Set the quantity of a product already in the cart; 0 removes it (returns None)."""
    _check_quantity(quantity, allow_zero=True)
    item = CartItem.objects.select_for_update().filter(buyer=buyer, product_id=product_id).first()
    if item is None:
        raise NotFound("This product is not in your cart.", code="cart_item_not_found", field="product_id")
    if quantity == 0:
        item.delete()
        return None
    stock, title = _sellable(product_id)
    _check_stock(quantity, stock, title)
    item.quantity = quantity
    item.save(update_fields=["quantity"])
    return item


@transaction.atomic
def cart_remove(*, buyer, product_id: int) -> None:
    deleted, _ = CartItem.objects.filter(buyer=buyer, product_id=product_id).delete()
    if not deleted:
        raise NotFound("This product is not in your cart.", code="cart_item_not_found", field="product_id")


# --- Checking the cart out (souk.checkout) ------------------------------------------------------

def cart_items_locked(*, buyer) -> list[tuple[int, int, int]]:
    """The buyer's cart as (item id, product id, quantity), oldest first, the rows locked until the
    transaction ends (call inside it). One query."""
    return list(CartItem.objects.select_for_update().filter(buyer=buyer).order_by("pk")
                .values_list("pk", "product_id", "quantity"))


def cart_items_remove(*, buyer, item_ids: list[int]) -> None:
    """Empty these items out of the buyer's cart (they were checked out). One query."""
    CartItem.objects.filter(buyer=buyer, pk__in=item_ids).delete()


def cart_product_ids(*, buyer) -> list[int]:
    """The products in the buyer's cart, oldest item first: the order checkout numbers the lines in."""
    return list(CartItem.objects.filter(buyer=buyer).order_by("pk").values_list("product_id", flat=True))
