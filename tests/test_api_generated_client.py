"""A typed Python client generated from /api/openapi.json (openapi-python-client) drives a whole purchase
and cancellation against a live server: the schema is precise enough for a generator, and what the
generated code sends is what the API accepts (docs/api.md, Generating a client).

The buyer signs up through the client; the seller (a store with a product and a shipping option, made
by the factories as the other API journeys do) answers through a second generated client.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import time
import uuid

import pytest
from django.test import Client as DjangoClient

from tests.factories import ProductFactory, ShippingOptionFactory, ShippingRateFactory, UserFactory
from tests.support import run_worker_once

PACKAGE = "souk_api_client"
GENERATOR = [sys.executable, "-m", "openapi_python_client"]


@pytest.fixture(scope="module")
def sdk(tmp_path_factory):
    """The client package, generated into a temporary folder from the schema this tree serves, imported."""
    root = tmp_path_factory.mktemp("generated")
    schema = root / "openapi.json"
    schema.write_text(json.dumps(DjangoClient().get("/api/openapi.json").json()))
    config = root / "config.json"
    config.write_text(json.dumps({"package_name_override": PACKAGE, "post_hooks": []}))
    done = subprocess.run([*GENERATOR, "generate", "--path", str(schema), "--output-path",
                           str(root / PACKAGE), "--meta", "none", "--config", str(config)],
                          capture_output=True, text=True, timeout=300, cwd=root)
    # A warning means the generator skipped part of the schema: that part of the schema is wrong.
    assert done.returncode == 0 and "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _api(sdk, tag: str, operation: str):
    """The generated module of one operation: `api/<tag>/<operationId>.py`."""
    return importlib.import_module(f"{sdk.__name__}.api.{tag}.{operation}")


def test_every_operation_has_its_own_id():
    ids = [op["operationId"] for methods in DjangoClient().get("/api/openapi.json").json()["paths"].values()
           for op in methods.values()]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def _ok(response, status: int):
    assert response.status_code == status, response.content
    return response.parsed


@pytest.fixture
def fast_refunds(settings):
    """Sandbox refunds settle as soon as they are polled."""
    settings.SOUK = {**settings.SOUK, "SANDBOX_REFUND_SETTLE_SECONDS": 0, "REFUND_POLL_SECONDS": 1,
                     "REFUND_RETRY_BASE_SECONDS": 1}


def test_a_generated_client_buys_cancels_and_sees_the_refund(sdk, live_server, fast_refunds):
    models = importlib.import_module(f"{sdk.__name__}.models")
    seller = UserFactory(email="seller@example.com")
    product = ProductFactory(store__owner=seller, price_minor=2500, stock=5, title="Brass lamp")
    option = ShippingOptionFactory(store=product.store)
    ShippingRateFactory(option=option, cost_minor=250)
    anonymous = sdk.Client(base_url=live_server.url, raise_on_unexpected_status=True)

    # The buyer signs up and takes a token, through the client.
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    password = "brass lamp on a winter evening"
    user = _ok(_api(sdk, "auth", "accounts_register").sync_detailed(
        client=anonymous, body=models.RegisterIn(email=email, password=password, display_name="Ada",
                                                 phone="+14155550100")), 201)
    assert user.email == email and user.roles == ["buyer"]

    def token_for(login: str, secret: str):
        created = _ok(_api(sdk, "auth", "accounts_token_obtain").sync_detailed(
            client=anonymous, body=models.TokenObtainIn(email=login, password=secret, name="journey")), 201)
        return sdk.AuthenticatedClient(base_url=live_server.url, token=created.token,
                                       raise_on_unexpected_status=True)

    buyer = token_for(email, password)

    # An address, the product in the cart, checkout.
    address = _ok(_api(sdk, "addresses", "accounts_address_create").sync_detailed(
        client=buyer, body=models.AddressIn(name="Ada Lovelace", country="US", country_area="CA",
                                            city="Mountain View", street_address="1600 Amphitheatre Pkwy",
                                            postal_code="94043", phone="+16502530000")), 201)
    _ok(_api(sdk, "orders", "orders_add_to_cart").sync_detailed(
        client=buyer, body=models.CartAddIn(product_id=product.pk, quantity=2)), 201)
    shipping = models.CheckoutInShipping.from_dict({str(product.store_id): option.pk})
    placed = _ok(_api(sdk, "orders", "checkout_post_checkout").sync_detailed(
        client=buyer, body=models.CheckoutIn(address_id=address.id, shipping=shipping)), 201)
    [order] = placed.orders
    assert order.total.amount == "52.50" and order.total.currency == "USD"

    # Paying: the Idempotency-Key header is a typed argument of the generated function.
    pay = _api(sdk, "payments", "payments_pay_order")
    payment = _ok(pay.sync_detailed(order.number, client=buyer, idempotency_key=str(uuid.uuid4()),
                                    body=models.PayIn(method=models.PayInMethod.CARD, token="tok_visa")), 201)
    assert payment.status == models.PaymentOutStatus.CAPTURED

    # The buyer asks to cancel with a reason the API lists; the seller approves.
    reasons = _ok(_api(sdk, "cancellations", "cancellations_list_reasons").sync_detailed(
        client=anonymous, actor=models.CancellationsListReasonsActor.BUYER), 200)
    assert "found_better_price" in [r.code for r in reasons]
    asked = _ok(_api(sdk, "cancellations", "cancellations_buyer_cancel").sync_detailed(
        order.number, client=buyer, body=models.CancelIn(reason=models.CancelInReason.FOUND_BETTER_PRICE)), 200)
    assert asked.outcome == models.CancelOutOutcome.REQUEST_SELLER
    answered = _ok(_api(sdk, "cancellations", "cancellations_seller_approve").sync_detailed(
        order.number, client=token_for(seller.email, "correct horse battery")), 200)
    assert answered.order_status == models.CancelOutOrderStatus.CANCELLED

    # The refund is visible to the buyer at once, and settles when the worker has sent it.
    refunds = _api(sdk, "payments", "payments_list_refunds")
    [refund] = _ok(refunds.sync_detailed(order.number, client=buyer), 200)
    assert (refund.amount, refund.currency) == ("52.50", "USD")
    for _ in range(8):  # the worker sends it, then polls the gateway each REFUND_POLL_SECONDS (1 s here)
        run_worker_once()
        [refund] = _ok(refunds.sync_detailed(order.number, client=buyer), 200)
        if refund.state != models.RefundOutState.PENDING:
            break
        time.sleep(1)
    assert refund.state == models.RefundOutState.SUCCEEDED and refund.arn
