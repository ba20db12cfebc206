from __future__ import annotations

import pytest

# The orders tests' shops (a store, a product with a spec, a shipping option with a rate) and helpers.
from tests.orders.conftest import place, shop, store_a, store_b  # noqa: F401
from tests.orders.test_api import client_for


@pytest.fixture
def api(buyer):
    """The buyer, logged in, calling the API."""
    return client_for(buyer)
