"""One rule for every staff route: 401 signed out, 403 `staff_only` for a signed-in non-staff user.

docs/api.md (Conventions): 403 not allowed (e.g. staff-only). The check comes before the request
is read: a buyer who sends an empty or wrong body learns nothing about what the route expects
(403, not 422), and a buyer who names an object learns nothing about whether it exists (403, not 404).

Every operation under /api/staff/ is found in the OpenAPI schema, so a new staff route is
covered without touching this file.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from souk.accounts.tokens import token_create
from souk.api import api
from tests.factories import UserFactory

# Path parameters: ids that may or may not exist; the answer must not depend on it.
PARAMS = {"number": "1234567890123456", "rule_id": 1, "product_id": 1, "endpoint_id": 1, "dispute_id": 1,
          "evidence_id": 1}


def staff_operations() -> list[tuple[str, str]]:
    paths = api.get_openapi_schema()["paths"]
    return sorted((method.upper(), path) for path, methods in paths.items()
                  if path.startswith("/api/staff/") for method in methods)


def _call(method: str, path: str, *, user=None, body=None):
    headers = {"Authorization": f"Bearer {token_create(user=user, name='t')[1]}"} if user else {}
    kwargs: dict = {"headers": headers}
    if method in ("POST", "PUT", "PATCH"):
        kwargs.update(data=json.dumps(body if body is not None else {}), content_type="application/json")
    return getattr(Client(), method.lower())(path.format(**PARAMS), **kwargs)


STAFF_OPS = staff_operations()
IDS = [f"{m} {p}" for m, p in STAFF_OPS]
STAFF_POSTS = [op for op in STAFF_OPS if op[0] == "POST"]


def test_the_staff_routes_are_found():
    ops = staff_operations()
    assert ("POST", "/api/staff/webhooks") in ops and ("POST", "/api/staff/orders/{number}/cancel") in ops
    assert len(ops) >= 10


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), STAFF_OPS, ids=IDS)
def test_a_buyer_gets_403_on_every_staff_route_even_with_an_empty_body(method, path):
    buyer = UserFactory()
    response = _call(method, path, user=buyer)
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "staff_only"
    # Nor does a well-formed body or a session login change the answer.
    well_formed = {"url": "https://x.example", "kinds": ["*"]}
    assert _call(method, path, user=buyer, body=well_formed).status_code == 403
    browser = Client()
    browser.force_login(buyer)
    by_session = getattr(browser, method.lower())(path.format(**PARAMS), content_type="application/json")
    assert (by_session.status_code, by_session.json()["code"]) == (403, "staff_only")


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), STAFF_OPS, ids=IDS)
def test_a_signed_out_caller_gets_401_on_every_staff_route(method, path):
    response = _call(method, path)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), STAFF_POSTS, ids=[f"{m} {p}" for m, p in STAFF_POSTS])
def test_staff_sending_an_empty_body_get_past_the_check(method, path):
    """The contrast that makes the 403 above meaningful: staff sending the same empty body are not refused."""
    response = _call(method, path, user=UserFactory(is_staff=True))
    assert response.status_code != 403, response.content


def test_exactly_the_staff_routes_declare_the_staff_security_in_the_openapi_schema():
    """Generated clients (and docs/api.md's "who" column) learn which routes need a staff account."""
    paths = api.get_openapi_schema()["paths"]
    declared = sorted((method.upper(), path) for path, methods in paths.items()
                      for method, op in methods.items()
                      if any("StaffTokenAuth" in requirement for requirement in op.get("security") or []))
    assert declared == STAFF_OPS
