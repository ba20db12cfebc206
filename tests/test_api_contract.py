"""Schemathesis against the whole of /api/openapi.json, with every check: no server error, every answer
matches its documented status and schema, schema-breaking input is refused, and input the schema calls
valid is accepted ("positive data acceptance"), so a client generated from the schema is not refused for
rules the schema keeps to itself (docs/api.md, Conventions: the schema says what the validation says).

The caller is a buyer who is also a seller with a store, a product, a shipping option and an order, so
generated requests reach real objects as well as missing ones. (Accounts endpoints get a deeper run in
tests/accounts/.) Strings carry no NUL character: the middleware refuses NUL anywhere before the schema is
read (souk/core/middleware.py), which no JSON Schema can say for a header or a whole body.

"Accepted" is schemathesis' default: 2xx, 3xx, 401, 403, 404 (the id names nothing of yours), 409 (the
object's state says no) and 429. A 422 for schema-valid input fails, except on the operations whose
rules JSON Schema cannot state, each named with its rule in souk/api.py (UNSTATED_RULES).
"""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hsettings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from souk.accounts.tokens import token_create
from souk.api import UNSTATED_RULES
from souk.wsgi import application
from tests.factories import (
    AddressFactory,
    ProductFactory,
    ShippingOptionFactory,
    ShippingRateFactory,
    StoreFactory,
    UserFactory,
)

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
schema.config.generation.update(allow_x00=False)


def call_and_validate_all(case, headers: dict[str, str]):
    """Every check; positive data acceptance except where a rule cannot be stated (UNSTATED_RULES)."""
    exempt = case.operation.label in UNSTATED_RULES
    return case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance] if exempt else [])


@pytest.fixture
def auth_headers(db):
    from souk.checkout.services import CheckoutLine, checkout

    user = UserFactory()
    address = AddressFactory(user=user)
    store = StoreFactory(owner=user)
    product = ProductFactory(store=store, stock=1000)
    option = ShippingOptionFactory(store=store)
    ShippingRateFactory(option=option)
    checkout(buyer=user, address_id=address.pk, lines=[CheckoutLine(product.pk, 1)], shipping={store.pk: option.pk})
    _, raw = token_create(user=user, name="contract")
    return {"Authorization": f"Bearer {raw}"}


def test_every_exempt_operation_exists_and_states_its_rule_in_its_description():
    operations = {op.ok().label: op.ok() for op in schema.get_all_operations()}
    assert set(UNSTATED_RULES) <= set(operations)
    for label, rule in UNSTATED_RULES.items():
        assert rule in operations[label].definition.raw["description"], label


@pytest.mark.django_db(transaction=True)
@schema.exclude(path_regex="^/api/(auth|me|tokens|addresses)").parametrize()
@hsettings(max_examples=12, suppress_health_check=list(HealthCheck), deadline=None)
def test_api_answers_match_the_openapi_schema(case, auth_headers):
    call_and_validate_all(case, {**auth_headers, "Idempotency-Key": str(uuid.uuid4())})
