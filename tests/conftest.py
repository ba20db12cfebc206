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


@pytest.fixture(autouse=True)
def _no_counts_left_over(request, django_db_blocker):
    """The login, reset and registration counts live in the database cache (souk/accounts/throttle.py), a
    table of no model: a test in a transaction rolls them back, but a transactional test's flush leaves
    them. Empty it after each test that used the database, so no test starts half locked out."""
    yield
    if not {"db", "transactional_db"} & set(request.fixturenames) and not request.node.get_closest_marker("django_db"):
        return
    from django.core.cache import caches
    from django.core.cache.backends.db import DatabaseCache

    cache = caches["default"]
    if isinstance(cache, DatabaseCache):
        with django_db_blocker.unblock():
            cache.clear()


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
