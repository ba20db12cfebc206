"""Schemathesis against the accounts part of /api/openapi.json, with every check (tests/test_api_contract.py
says which; the same operations are exempt from positive data acceptance): every answer matches its
documented schema and status, malformed bodies are refused and schema-valid ones accepted."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hsettings

from souk.accounts.tokens import token_create
from tests.factories import AddressFactory, UserFactory
from tests.test_api_contract import call_and_validate_all, schema


@pytest.fixture
def auth_headers(db):
    user = UserFactory()
    AddressFactory(user=user)
    _, raw = token_create(user=user, name="contract")
    return {"Authorization": f"Bearer {raw}"}


@pytest.mark.django_db(transaction=True)
@schema.include(path_regex="^/api/(auth|me|tokens|addresses)").parametrize()
@hsettings(max_examples=25, suppress_health_check=list(HealthCheck), deadline=None)
def test_accounts_api_answers_match_the_openapi_schema(case, auth_headers):
    call_and_validate_all(case, auth_headers)
