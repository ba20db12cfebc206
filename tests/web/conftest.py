from __future__ import annotations

import pytest
from django.test import Client

from tests.web.world import build_world


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def as_buyer(world):
    client = Client()
    client.force_login(world.buyer)
    return client


@pytest.fixture
def as_seller(world):
    client = Client()
    client.force_login(world.seller)
    return client
