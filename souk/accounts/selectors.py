"""Reads for the accounts app: each a single query (or two, for roles)."""

from __future__ import annotations

from django.db.models import QuerySet

from souk.accounts.models import Address, PersonalAccessToken, User
from souk.core.errors import NotFound
from souk.core.sql import Part, quote


def user_roles(user: User) -> list[str]:
    """Everyone buys; a store owner also sells; staff run the platform. One query (the store)."""
    roles = ["buyer"]
    if user.is_seller:
        roles.append("seller")
    if user.is_staff:
        roles.append("staff")
    return roles


def address_list(*, user: User) -> QuerySet[Address]:
    """The book, default first then oldest first (the index on user_id serves it)."""
    return Address.objects.filter(user_id=user.pk).order_by("-is_default", "id")


def address_get(*, user: User, address_id: int) -> Address:
    address = Address.objects.filter(user_id=user.pk, pk=address_id).first()
    if address is None:
        raise NotFound("Address not found.", code="address_not_found")
    return address


def token_list(*, user: User) -> QuerySet[PersonalAccessToken]:
    return PersonalAccessToken.objects.filter(user_id=user.pk).order_by("-id")


# --- The address an order ships to (checkout) -------------------------------------------------

# The address columns frozen onto an order: exactly the keys of Address.snapshot().
SNAPSHOT_KEYS: tuple[str, ...] = tuple(Address(country="US").snapshot())


def address_snapshot(*, user_id: int, address_id: int) -> dict[str, str] | None:
    """The user's address `address_id` as an order freezes it (`Address.snapshot()`), or None
    when the user has no such address. One query."""
    address = Address.objects.filter(pk=address_id, user_id=user_id).first()
    return address.snapshot() if address is not None else None


def address_snapshot_part(name: str) -> Part:
    """`address_snapshot` as a part of one read statement (souk.core.sql): at most one row, the
    snapshot's keys as columns (later parts may read its `country`). Parameters:
    `address_snapshot_params`; result: `address_snapshot_from`."""
    columns = ", ".join(f"a.{quote(Address._meta.get_field(k).column)} AS {k}" for k in SNAPSHOT_KEYS)
    return Part(name, f"SELECT {columns} FROM {quote(Address._meta.db_table)} AS a "
                      f"WHERE a.id = %s AND a.user_id = %s", columns=SNAPSHOT_KEYS)


def address_snapshot_params(*, user_id: int, address_id: int) -> tuple[int, int]:
    return (address_id, user_id)


def address_snapshot_from(values: tuple) -> dict[str, str] | None:
    """The part's columns back as `address_snapshot` returns them."""
    return dict(zip(SNAPSHOT_KEYS, values, strict=True)) if values[0] is not None else None
