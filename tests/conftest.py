from __future__ import annotations

import pytest
from django.conf import settings

from tests.factories import (
    AddressFactory,
    ProductFactory,
    ShippingOptionFactory,
    ShippingRateFactory,
    UserFactory,
)


def pytest_collection_modifyitems(config, items):
    """`postgres`-marked tests (real races, row locks) run only in the PostgreSQL pass."""
    if settings.IS_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: runs in the PostgreSQL pass of `make test`")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def buyer(db):
    user = UserFactory(email="buyer@example.com", display_name="Buyer")
    AddressFactory(user=user)
    return user


@pytest.fixture
def other_buyer(db):
    user = UserFactory(email="other@example.com", display_name="Other buyer")
    AddressFactory(user=user)
    return user


@pytest.fixture
def product(db):
    """A product from a store that ships everywhere."""
    prod = ProductFactory()
    option = ShippingOptionFactory(store=prod.store)
    ShippingRateFactory(option=option)
    return prod
