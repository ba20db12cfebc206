from __future__ import annotations

import pytest
from django.test import Client

from souk.accounts.tokens import token_create
from tests.factories import UserFactory

PASSWORD = "correct horse battery"

US_ADDRESS = {
    "label": "Home",
    "name": "Ada Lovelace",
    "country": "US",
    "country_area": "CA",
    "city": "Mountain View",
    "street_address": "1600 Amphitheatre Pkwy",
    "postal_code": "94043",
    "phone": "(650) 253-0000",
}


class ApiClient:
    """A JSON client that sends a personal access token, like a script would."""

    def __init__(self, raw_token: str | None = None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw_token}"} if raw_token else {}

    def _send(self, method: str, path: str, body=None):
        kwargs = {"headers": self.headers}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        return getattr(self.client, method)(f"/api{path}", **kwargs)

    def get(self, path):
        return self._send("get", path)

    def post(self, path, body=None):
        return self._send("post", path, {} if body is None else body)

    def put(self, path, body):
        return self._send("put", path, body)

    def patch(self, path, body):
        return self._send("patch", path, body)

    def delete(self, path):
        return self._send("delete", path)


def api_for(user) -> ApiClient:
    _, raw = token_create(user=user, name="tests")
    return ApiClient(raw)


@pytest.fixture
def alice(db):
    return UserFactory(email="alice@example.com", display_name="Alice")


@pytest.fixture
def mallory(db):
    return UserFactory(email="mallory@example.com", display_name="Mallory")


@pytest.fixture
def alice_api(alice) -> ApiClient:
    return api_for(alice)


@pytest.fixture
def mallory_api(mallory) -> ApiClient:
    return api_for(mallory)


@pytest.fixture
def anon_api(db) -> ApiClient:
    return ApiClient()
