"""A body over Django's limits gets the API's JSON error shape, not Django's HTML 400 page
(docs/api.md, Conventions: Errors): 413 `request_too_large` over DATA_UPLOAD_MAX_MEMORY_SIZE,
400 `too_many_fields` over DATA_UPLOAD_MAX_NUMBER_FIELDS (form bodies)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from souk.accounts.tokens import token_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def assert_json_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content[:200]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code and body["message"]
    assert set(body) == {"code", "message"}


@pytest.mark.parametrize("size", [3 * MB, 20 * MB])
def test_a_json_body_of_several_megabytes_is_413_in_json(client, size):
    body = json.dumps({"email": "a@example.com", "password": "x" * size})
    response = client.post("/api/auth/register", data=body, content_type="application/json")
    assert_json_error(response, 413, "request_too_large")


def test_a_json_object_of_200_000_keys_is_413_in_json(client):
    body = json.dumps({f"key{i}": i for i in range(200_000)})
    response = client.post("/api/auth/token", data=body, content_type="application/json")
    assert_json_error(response, 413, "request_too_large")


def test_a_form_of_2_000_fields_is_400_in_json(client):
    body = "&".join(f"f{i}=x" for i in range(2_000))
    response = client.post("/api/auth/token", data=body, content_type="application/x-www-form-urlencoded")
    assert_json_error(response, 400, "too_many_fields")


def test_a_multipart_form_of_2_000_fields_is_400_in_json(client):
    response = client.post("/api/auth/token", data={f"f{i}": "x" for i in range(2_000)})
    assert_json_error(response, 400, "too_many_fields")


def test_a_multipart_upload_over_the_limit_is_413_in_json(client, tmp_path):
    upload = tmp_path / "big.bin"
    upload.write_bytes(b"\0" * (3 * MB))
    with upload.open("rb") as handle:
        response = client.post("/api/auth/token", data={"file": handle})
    assert_json_error(response, 413, "request_too_large")


def test_a_signed_in_caller_gets_the_same_json_answer(db):
    _, raw = token_create(user=UserFactory(), name="t")
    response = Client().post("/api/seller/products", data=json.dumps({"title": "x" * (3 * MB)}),
                             content_type="application/json", headers={"Authorization": f"Bearer {raw}"})
    assert_json_error(response, 413, "request_too_large")


def test_bodies_within_the_limits_are_served_as_before(client):
    body = json.dumps({"email": "nobody@example.com", "password": "x" * 1000})
    response = client.post("/api/auth/token", data=body, content_type="application/json")
    assert response.status_code in (401, 422) and response.json()["code"]


def test_pages_outside_the_api_keep_django_s_answer(client):
    body = "&".join(f"f{i}=x" for i in range(2_000))
    response = client.post("/accounts/login/", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and not response["Content-Type"].startswith("application/json")


def test_the_api_documents_413(client):
    schema = client.get("/api/openapi.json").json()
    responses = schema["paths"]["/api/auth/register"]["post"]["responses"]
    assert responses["413"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


@pytest.mark.parametrize("depth", [900, 100_000])
def test_a_json_body_nested_absurdly_deep_is_a_json_4xx_not_a_500(client, depth):
    for body, status in (("[" * depth + '"\\u0000"' + "]" * depth, 422), ("[" * depth + "]" * depth, None)):
        response = client.post("/api/auth/register", data=body, content_type="application/json")
        assert response.status_code < 500 and response.json()["code"], response.content[:200]
        assert status is None or response.status_code == status
