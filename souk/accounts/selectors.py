"""Reads for the accounts app: each a single query (or two, for roles)."""

from __future__ import annotations

from django.db.models import QuerySet

from souk.accounts.models import Address, PersonalAccessToken, User
from souk.core.errors import NotFound


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
