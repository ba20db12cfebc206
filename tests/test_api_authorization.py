"""Every API endpoint that takes an object id, called with a second user's credentials, answers 404.

The table below must name every such endpoint: adding one without an entry
fails `test_every_object_endpoint_has_an_authorization_case`. Each case is
also called by the object's owner, which must NOT answer 404, so a case whose
ids are wrong cannot pass by accident.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import pytest
from django.test import Client

from souk.accounts.tokens import token_create
from souk.api import api
from souk.messaging.services import message_send
from tests.factories import (
    AddressFactory,
    NotificationFactory,
    ProductFactory,
    ReviewFactory,
    ShippingOptionFactory,
    ShippingRateFactory,
    StoreFactory,
    UserFactory,
)

# Endpoints with an id in the path that are public by design, and why.
PUBLIC_OR_SELF_SCOPED = {
    ("GET", "/api/products/{product_id}"): "public catalogue",
    ("GET", "/api/stores/{slug}"): "public store page",
    ("PUT", "/api/cart/items/{product_id}"): "acts on the caller's own cart; the id is a public product",
    ("DELETE", "/api/cart/items/{product_id}"): "acts on the caller's own cart; the id is a public product",
    ("POST", "/api/staff/orders/{number}/cancel"): "staff-only: any other user gets 403 before any lookup "
                                                   "(tests/cancellations/test_api.py)",
    ("GET", "/api/stores/{slug}/messages"): "the caller's own conversation with a public store",
    ("POST", "/api/stores/{slug}/messages"): "writes in the caller's own conversation with a public store",
    ("GET", "/api/stores/{slug}/metrics"): "public store page: seller metrics",
    ("GET", "/api/stores/{slug}/reviews"): "public store page: reviews",
    ("GET", "/api/staff/customs-rules/{rule_id}/impact"): "staff-only: any other user gets 403 "
                                                          "(tests/compliance/test_customs_api.py)",
    ("POST", "/api/staff/customs-rules/{rule_id}/cancel-orders"): "staff-only: any other user gets 403 "
                                                                  "(tests/compliance/test_customs_api.py)",
    ("POST", "/api/staff/products/{product_id}/quality-flag"): "staff-only: any other user gets 403 "
                                                               "(tests/compliance/test_customs_api.py)",
    ("DELETE", "/api/staff/webhooks/{endpoint_id}"): "staff-only: any other user gets 403 "
                                                      "(tests/test_api_staff_routes.py)",
    ("GET", "/api/staff/webhooks/{endpoint_id}/deliveries"): "staff-only: any other user gets 403 "
                                                             "(tests/test_api_staff_routes.py)",
    **{(m, f"/api/staff/disputes/{{dispute_id}}{tail}"): "staff-only: any other user gets 403 "
                                                           "(tests/test_api_staff_routes.py)"
       for m, tail in (("GET", ""), ("POST", "/decide"), ("POST", "/request-evidence"),
                       ("GET", "/evidence/{evidence_id}"))},
}


@dataclass
class World:
    owner: object          # a buyer with an address and an order
    seller: object         # the owner's order's store owner
    intruder: object       # another buyer who is also a seller with a store of their own
    order: object
    product: object
    option: object
    address: object
    token_id: int


def _address_body():
    return {"name": "Ada Lovelace", "country": "US", "country_area": "CA", "city": "Mountain View",
            "street_address": "1600 Amphitheatre Pkwy", "postal_code": "94043", "phone": "+16502530000"}


def _product_body():
    return {"title": "Lamp", "description": "", "price": "10.00", "stock": 5, "specs": []}


def _option_body():
    return {"name": "Standard", "carrier": "Post", "protection_days": 60,
            "rates": [{"country": "", "cost": "1.00", "min_days": 5, "max_days": 9}]}


# (method, path) -> (whose credentials are the owner's: "owner" | "seller", params, body)
CASES = {
    ("DELETE", "/api/tokens/{token_id}"): ("owner", lambda w: {"token_id": w.token_id}, None),
    ("GET", "/api/addresses/{address_id}"): ("owner", lambda w: {"address_id": w.address.pk}, None),
    ("PUT", "/api/addresses/{address_id}"): ("owner", lambda w: {"address_id": w.address.pk}, _address_body),
    ("DELETE", "/api/addresses/{address_id}"): ("owner", lambda w: {"address_id": w.address.pk}, None),
    ("POST", "/api/addresses/{address_id}/default"): ("owner", lambda w: {"address_id": w.address.pk}, None),
    ("PUT", "/api/seller/products/{product_id}"): ("seller", lambda w: {"product_id": w.product.pk},
                                                   _product_body),
    ("POST", "/api/seller/products/{product_id}/stock"): ("seller", lambda w: {"product_id": w.product.pk},
                                                          lambda: {"stock": 7}),
    ("PUT", "/api/seller/shipping-options/{option_id}"): ("seller", lambda w: {"option_id": w.option.pk},
                                                          _option_body),
    ("GET", "/api/orders/{number}"): ("owner", lambda w: {"number": w.order.number}, None),
    ("POST", "/api/orders/{number}/confirm-receipt"): ("owner", lambda w: {"number": w.order.number}, None),
    ("POST", "/api/orders/{number}/pay"): ("owner", lambda w: {"number": w.order.number},
                                           lambda: {"method": "card", "token": "tok_visa"}),
    ("GET", "/api/orders/{number}/refunds"): ("owner", lambda w: {"number": w.order.number}, None),
    ("GET", "/api/orders/{number}/payments"): ("owner", lambda w: {"number": w.order.number}, None),
    ("GET", "/api/seller/orders/{number}"): ("seller", lambda w: {"number": w.order.number}, None),
    ("POST", "/api/seller/orders/{number}/ship"): ("seller", lambda w: {"number": w.order.number},
                                                   lambda: {"carrier": "DHL", "tracking_number": "JD0146000062"}),
    ("GET", "/api/seller/orders/{number}/refunds"): ("seller", lambda w: {"number": w.order.number}, None),
    ("POST", "/api/seller/orders/{number}/refunds"): ("seller", lambda w: {"number": w.order.number},
                                                      lambda: {"amount": "1.00", "currency": "USD",
                                                               "reason": "goodwill"}),
    ("GET", "/api/orders/{number}/cancellation"): ("owner", lambda w: {"number": w.order.number}, None),
    ("POST", "/api/orders/{number}/cancel"): ("owner", lambda w: {"number": w.order.number},
                                              lambda: {"reason": "changed_mind"}),
    ("POST", "/api/orders/{number}/cancellation-request/withdraw"): ("owner", lambda w: {"number": w.order.number},
                                                                     None),
    ("GET", "/api/seller/orders/{number}/cancellation"): ("seller", lambda w: {"number": w.order.number}, None),
    ("POST", "/api/seller/orders/{number}/cancellation-request/approve"): (
        "seller", lambda w: {"number": w.order.number}, None),
    ("POST", "/api/seller/orders/{number}/cancellation-request/reject"): (
        "seller", lambda w: {"number": w.order.number}, lambda: {"reason": "buyer_agreed_to_keep"}),
    ("POST", "/api/seller/orders/{number}/cancel"): ("seller", lambda w: {"number": w.order.number},
                                                     lambda: {"reason": "out_of_stock"}),
    ("GET", "/api/orders/{number}/messages"): ("owner", lambda w: {"number": w.order.number}, None),
    ("POST", "/api/orders/{number}/messages"): ("seller", lambda w: {"number": w.order.number},
                                                lambda: {"body": "Shipping tomorrow"}),
    ("POST", "/api/orders/{number}/messages/read"): ("seller", lambda w: {"number": w.order.number}, None),
    ("GET", "/api/conversations/{conversation_id}"): ("seller", lambda w: {"conversation_id": message_send(
        sender=w.owner, order_id=w.order.pk, body="hello").conversation_id}, None),
    ("POST", "/api/conversations/{conversation_id}/messages"): ("owner", lambda w: {
        "conversation_id": message_send(sender=w.owner, order_id=w.order.pk, body="hi").conversation_id},
        lambda: {"body": "anyone?"}),
    ("POST", "/api/conversations/{conversation_id}/read"): ("seller", lambda w: {"conversation_id": message_send(
        sender=w.owner, order_id=w.order.pk, body="hello").conversation_id}, None),
    ("POST", "/api/notifications/{notification_id}/read"): ("owner", lambda w: {
        "notification_id": NotificationFactory(recipient=w.owner).pk}, None),
    ("POST", "/api/orders/{number}/review"): ("owner", lambda w: {"number": w.order.number},
                                              lambda: {"overall": 5, "item_as_described": 5, "communication": 5,
                                                       "shipping_speed": 5}),
    ("POST", "/api/seller/reviews/{review_id}/reply"): ("seller", lambda w: {
        "review_id": ReviewFactory(order=w.order).pk}, lambda: {"text": "Thank you!"}),
    ("POST", "/api/seller/orders/{number}/address-problem"): ("seller", lambda w: {"number": w.order.number},
                                                              lambda: {"reason": "incomplete", "note": ""}),
    ("GET", "/api/seller/orders/{number}/out-of-stock-preview"): ("seller", lambda w: {"number": w.order.number},
                                                                  None),
    ("GET", "/api/orders/{number}/address-problem"): ("owner", lambda w: {"number": w.order.number}, None),
    ("POST", "/api/orders/{number}/address-fix"): ("owner", lambda w: {"number": w.order.number}, _address_body),
    ("POST", "/api/orders/{number}/protection-extension"): ("owner", lambda w: {"number": w.order.number},
                                                            lambda: {"days": 5}),
}


def _dispute(w):
    """The owner's order paid, shipped and disputed (once per world): its dispute's id."""
    if getattr(w, "dispute_id", None) is None:
        from souk.disputes.services import dispute_open
        from souk.fulfilment.services import order_mark_shipped
        from souk.payments.services import order_pay

        order_pay(buyer=w.owner, order_id=w.order.pk, method="card", token="tok_visa", idempotency_key="authz-pay")
        order_mark_shipped(seller=w.seller, order_id=w.order.pk, carrier="DHL", tracking_number="JD01")
        w.dispute_id = dispute_open(buyer=w.owner, order_id=w.order.pk, reason="damaged", kind="refund_only",
                                    description="Broken.").pk
    return w.dispute_id


def _evidence(w):
    if getattr(w, "evidence_id", None) is None:
        from souk.disputes.services import dispute_add_evidence

        w.evidence_id = dispute_add_evidence(user=w.owner, party="buyer", dispute_id=_dispute(w),
                                             content=b"\x89PNG\r\n\x1a\n" + bytes(16)).pk
    return w.evidence_id


def _photo():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return ("multipart", {"file": SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n" + bytes(16), "image/png")})


def _dispute_cases() -> dict:
    one = lambda w: {"dispute_id": _dispute(w)}  # noqa: E731
    photo = lambda w: {"dispute_id": _dispute(w), "evidence_id": _evidence(w)}  # noqa: E731
    cases = {("GET", "/api/orders/{number}/disputes"): ("owner", lambda w: {"number": w.order.number}, None),
             ("POST", "/api/orders/{number}/disputes"): ("owner", lambda w: {"number": w.order.number},
                                                         lambda: {"reason": "damaged", "kind": "refund_only",
                                                                  "description": "Broken."})}
    for who, base, steps in (
            ("owner", "/api/disputes/{dispute_id}", {
                "accept": None, "counter": lambda: {"kind": "refund_only", "amount": "1.00"},
                "escalate": lambda: {}, "withdraw": None,
                "return-tracking": lambda: {"carrier": "DHL", "tracking_number": "R1"}, "return-arrived": None}),
            ("seller", "/api/seller/disputes/{dispute_id}", {
                "accept": None, "counter": lambda: {"kind": "refund_only", "amount": "1.00"},
                "reject": lambda: {"note": "No."}, "escalate": lambda: {}, "return-arrived": None,
                "confirm-return": None})):
        cases[("GET", base)] = (who, one, None)
        cases[("GET", base + "/evidence/{evidence_id}")] = (who, photo, None)
        cases[("POST", base + "/evidence")] = (who, one, _photo)
        for step, body in steps.items():
            cases[("POST", f"{base}/{step}")] = (who, one, body)
    return cases


CASES.update(_dispute_cases())


def object_endpoints() -> set[tuple[str, str]]:
    paths = api.get_openapi_schema()["paths"]
    return {(method.upper(), path) for path, methods in paths.items() if "{" in path for method in methods}


def test_every_object_endpoint_has_an_authorization_case():
    endpoints = object_endpoints()
    missing = endpoints - set(CASES) - set(PUBLIC_OR_SELF_SCOPED)
    assert not missing, f"add these endpoints to CASES (or PUBLIC_OR_SELF_SCOPED, with a reason): {missing}"
    stale = (set(CASES) | set(PUBLIC_OR_SELF_SCOPED)) - endpoints
    assert not stale, f"these entries name endpoints that no longer exist: {stale}"


def _token(user) -> str:
    return token_create(user=user, name="authz")[1]


@pytest.fixture
def world(db):
    from souk.checkout.services import CheckoutLine, checkout

    owner = UserFactory()
    address = AddressFactory(user=owner)
    store = StoreFactory()
    product = ProductFactory(store=store, stock=50)
    option = ShippingOptionFactory(store=store)
    ShippingRateFactory(option=option)
    intruder = UserFactory()
    AddressFactory(user=intruder)
    StoreFactory(owner=intruder)
    order = checkout(buyer=owner, address_id=address.pk, lines=[CheckoutLine(product.pk, 1)],
                     shipping={store.pk: option.pk})[0]
    token, _ = token_create(user=owner, name="owner's laptop")
    return World(owner=owner, seller=store.owner, intruder=intruder, order=order, product=product,
                 option=option, address=address, token_id=token.pk)


def _call(user, method: str, path: str, params: dict, body):
    url = path.format(**params)
    headers = {"Authorization": f"Bearer {_token(user)}", "Idempotency-Key": str(uuid.uuid4())}
    kwargs = {"headers": headers}
    if body is not None:
        data = body()
        if isinstance(data, tuple):  # ("multipart", fields): a file upload
            kwargs.update(data=data[1])
        else:
            kwargs.update(data=json.dumps(data), content_type="application/json")
    return getattr(Client(), method.lower())(url, **kwargs)


@pytest.mark.parametrize(("method", "path"), sorted(CASES), ids=[f"{m} {p}" for m, p in sorted(CASES)])
def test_another_users_object_answers_404_and_the_owners_does_not(world, method, path):
    whose, params, body = CASES[(method, path)]
    owner = world.owner if whose == "owner" else world.seller
    response = _call(world.intruder, method, path, params(world), body)
    assert response.status_code == 404, response.content
    assert response.json()["code"].endswith("not_found")
    response = _call(owner, method, path, params(world), body)
    assert response.status_code != 404, response.content
