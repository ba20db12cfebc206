from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import CategoryFactory, StoreFactory, UserFactory


@pytest.fixture
def seller(db):
    """A user who owns a USD store."""
    return StoreFactory(name="Gadget Bazaar", slug="gadget-bazaar", owner=UserFactory(email="seller@example.com")).owner


@pytest.fixture
def store(seller):
    return seller.store


@pytest.fixture
def seller_client(seller) -> Client:
    client = Client()
    client.force_login(seller)
    return client


@pytest.fixture
def rival_store(db):
    return StoreFactory(name="Rival Goods", slug="rival-goods", owner=UserFactory(email="rival@example.com"))


@pytest.fixture
def category(db):
    return CategoryFactory(name="Electronics", slug="electronics")
