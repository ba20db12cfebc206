"""The OpenAPI schema tells a generated client which operations take an `Idempotency-Key` header.

docs/api.md (Conventions, Idempotency) describes the header; /api/openapi.json must declare it on
exactly the operations that honour it, with its description and length limit, so a client
generated from the schema can send it (and does not send it where it means nothing).
"""

from __future__ import annotations

import inspect
import itertools

import pytest
from django.test import Client

from souk.accounts.tokens import token_create
from souk.api import api
from souk.checkout.services import CheckoutLine, checkout
from souk.payments.services import order_pay
from tests.factories import (
    AddressFactory,
    ProductFactory,
    ShippingOptionFactory,
    ShippingRateFactory,
    UserFactory,
)

HEADER = "Idempotency-Key"
_keys = itertools.count(1)


def _operations() -> list[tuple[str, str, object]]:
    """(method, path, Ninja operation) for every operation /api/openapi.json lists."""
    found = []
    for prefix, router in api._routers:  # the views behind the schema
        for path, path_view in router.path_operations.items():
            full = "/api/" + "/".join(part.strip("/") for part in (prefix, path) if part.strip("/"))
            found += [(method.upper(), full, op) for op in path_view.operations for method in op.methods]
    listed = {(m.upper(), p) for p, methods in api.get_openapi_schema()["paths"].items() for m in methods}
    assert {(m, p) for m, p, _ in found} == listed  # no operation escapes the check below
    return found


def _calls_idempotent(func, depth: int = 2) -> bool:
    """Does the view (or a helper of its own module it calls) call payments' `idempotent()`?"""
    names = func.__code__.co_names
    if "idempotent" in names:
        return True
    if depth == 0:
        return False
    helpers = (func.__globals__.get(n) for n in names)
    return any(inspect.isfunction(h) and h.__module__ == func.__module__ and _calls_idempotent(h, depth - 1)
               for h in helpers)


def honouring() -> set[tuple[str, str]]:
    return {(m, p) for m, p, op in _operations() if _calls_idempotent(op.view_func)}


def declaring() -> dict[tuple[str, str], dict]:
    paths = api.get_openapi_schema()["paths"]
    found = {}
    for path, methods in paths.items():
        for method, op in methods.items():
            for param in op.get("parameters", []):
                if param["in"] == "header" and param["name"].lower() == HEADER.lower():
                    found[(method.upper(), path)] = param
    return found


# Every dispute step but a photo upload (docs/disputes.md, API).
DISPUTE_POSTS = {
    ("POST", "/api/orders/{number}/disputes"),
    *(("POST", f"/api/disputes/{{dispute_id}}/{step}") for step in (
        "accept", "counter", "escalate", "withdraw", "return-tracking", "return-arrived")),
    *(("POST", f"/api/seller/disputes/{{dispute_id}}/{step}") for step in (
        "accept", "counter", "reject", "escalate", "return-arrived", "confirm-return")),
    ("POST", "/api/staff/disputes/{dispute_id}/decide"),
    ("POST", "/api/staff/disputes/{dispute_id}/request-evidence"),
}


def test_the_operations_honouring_the_key_are_the_money_and_cancellation_posts():
    assert honouring() == {
        ("POST", "/api/orders/{number}/pay"),
        ("POST", "/api/seller/orders/{number}/refunds"),
        ("POST", "/api/orders/{number}/cancel"),
        ("POST", "/api/orders/{number}/cancellation-request/withdraw"),
        ("POST", "/api/seller/orders/{number}/cancellation-request/approve"),
        ("POST", "/api/seller/orders/{number}/cancellation-request/reject"),
        ("POST", "/api/seller/orders/{number}/cancel"),
        ("POST", "/api/staff/orders/{number}/cancel"),
        *DISPUTE_POSTS,
    }


def test_every_operation_honouring_the_key_declares_it_and_no_other_does():
    assert set(declaring()) == honouring()


def test_the_declared_header_says_what_it_does_and_how_long_it_may_be():
    assert declaring()
    for (method, path), param in declaring().items():
        where = f"{method} {path}"
        assert param["schema"]["type"] == "string" and param["schema"]["maxLength"] == 100, where
        assert param["schema"]["minLength"] == 1, where
        assert "replay" in param["description"].lower() and "24 hours" in param["description"], where
        # Paying and refunding refuse a request without one (422 idempotency_key_required); the
        # cancellation POSTs take it when sent.
        assert param["required"] is path.endswith(("/pay", "/refunds")), where


# --- and the declaration is true: the same key replays the first answer -------------------------

@pytest.fixture
def world(db):
    buyer = UserFactory()
    address = AddressFactory(user=buyer)
    product = ProductFactory(price_minor=2000, stock=50)
    option = ShippingOptionFactory(store=product.store)
    ShippingRateFactory(option=option, cost_minor=300)

    def place(paid: bool):
        [order] = checkout(buyer=buyer, address_id=address.pk, lines=[CheckoutLine(product.pk, 1)],
                           shipping={product.store_id: option.pk})
        if paid:
            order_pay(buyer=buyer, order_id=order.pk, method="card", token="tok_visa",
                      idempotency_key=f"schema-{next(_keys)}")
        return order

    return {"buyer": buyer, "seller": product.store.owner, "staff": UserFactory(is_staff=True),
            "place": place}


# Each call is refused by a rule checked inside the idempotent block: a 4xx the client caused is stored
# and replayed like a success (souk/payments/idempotency.py).
CALLS = {
    ("POST", "/api/orders/{number}/pay"): ("buyer", False, {"method": "card", "token": "tok_expired_card"}),
    ("POST", "/api/seller/orders/{number}/refunds"): (
        "seller", True, {"amount": "999.00", "currency": "USD", "reason": "goodwill"}),
    ("POST", "/api/orders/{number}/cancel"): ("buyer", True, {"reason": "other", "note": " "}),
    ("POST", "/api/orders/{number}/cancellation-request/withdraw"): ("buyer", True, None),
    ("POST", "/api/seller/orders/{number}/cancellation-request/approve"): ("seller", True, None),
    ("POST", "/api/seller/orders/{number}/cancellation-request/reject"): (
        "seller", True, {"reason": "other"}),
    ("POST", "/api/seller/orders/{number}/cancel"): ("seller", True, {"reason": "changed_mind"}),
    ("POST", "/api/staff/orders/{number}/cancel"): ("staff", True, {"reason": "changed_mind"}),
    # Disputes: "dispute" = on a fresh dispute of a shipped order, "closed" = on a withdrawn one.
    ("POST", "/api/orders/{number}/disputes"): (
        "buyer", True, {"reason": "damaged", "kind": "refund_only", "description": "Broken."}),  # not shipped
    ("POST", "/api/disputes/{dispute_id}/accept"): ("buyer", "dispute", None),  # its own offer
    ("POST", "/api/disputes/{dispute_id}/counter"): ("buyer", "dispute", {"kind": "refund_only", "amount": "999.00"}),
    ("POST", "/api/disputes/{dispute_id}/escalate"): ("buyer", "dispute", {}),  # before day 3
    ("POST", "/api/disputes/{dispute_id}/withdraw"): ("buyer", "closed", None),
    ("POST", "/api/disputes/{dispute_id}/return-tracking"): (
        "buyer", "dispute", {"carrier": "DHL", "tracking_number": "R1"}),  # no return agreed
    ("POST", "/api/disputes/{dispute_id}/return-arrived"): ("buyer", "dispute", None),
    ("POST", "/api/seller/disputes/{dispute_id}/accept"): ("seller", "closed", None),
    ("POST", "/api/seller/disputes/{dispute_id}/counter"): (
        "seller", "dispute", {"kind": "refund_only", "amount": "999.00"}),
    ("POST", "/api/seller/disputes/{dispute_id}/reject"): ("seller", "closed", {"note": "No."}),
    ("POST", "/api/seller/disputes/{dispute_id}/escalate"): ("seller", "dispute", {}),
    ("POST", "/api/seller/disputes/{dispute_id}/return-arrived"): ("seller", "dispute", None),
    ("POST", "/api/seller/disputes/{dispute_id}/confirm-return"): ("seller", "dispute", None),
    ("POST", "/api/staff/disputes/{dispute_id}/decide"): ("staff", "dispute", {"outcome": "reject", "note": "No."}),
    ("POST", "/api/staff/disputes/{dispute_id}/request-evidence"): (
        "staff", "dispute", {"party": "buyer", "note": "Photos?"}),
}


def _disputed(world, order, closed: bool) -> int:
    from souk.disputes.services import dispute_open, dispute_withdraw
    from souk.fulfilment.services import order_mark_shipped

    order_mark_shipped(seller=world["seller"], order_id=order.pk, carrier="DHL", tracking_number="JD01")
    dispute = dispute_open(buyer=world["buyer"], order_id=order.pk, reason="damaged", kind="refund_only",
                           description="Broken.")
    if closed:
        dispute_withdraw(buyer=world["buyer"], dispute_id=dispute.pk)
    return dispute.pk


def test_every_declared_operation_has_a_replay_case():
    assert set(CALLS) == set(declaring())


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), sorted(CALLS), ids=[p for _, p in sorted(CALLS)])
def test_the_same_key_sent_twice_replays_the_first_answer(world, method, path):
    who, paid, body = CALLS[(method, path)]
    order = world["place"](paid is not False)
    dispute_id = _disputed(world, order, closed=paid == "closed") if paid in ("dispute", "closed") else None
    client = Client()
    headers = {"Authorization": f"Bearer {token_create(user=world[who], name='t')[1]}", HEADER: f"k-{path}"}
    url = path.format(number=order.number, dispute_id=dispute_id)
    first = client.post(url, data=body or {}, content_type="application/json", headers=headers)
    again = client.post(url, data=body or {}, content_type="application/json", headers=headers)
    assert 400 <= first.status_code < 500 and first.status_code != 403, first.content
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.headers.get("Idempotent-Replayed") == "true"
