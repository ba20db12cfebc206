"""Guards at the API edge: NUL characters get a clear 422 (never a PostgreSQL 500); absurd ids are 404."""

import pytest


@pytest.mark.parametrize(("body", "field"), [
    ('{"email": "a\\u0000@example.com", "password": "x"}', "email"),
    ('{"nested": [{"deep": "x\\u0000y"}]}', "nested.0.deep"),
])
def test_a_nul_in_a_json_body_is_refused_naming_the_field(client, db, body, field):
    response = client.post("/api/auth/register", data=body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "null_characters_not_allowed"
    assert response.json()["errors"][0]["field"] == field


def test_a_nul_in_a_query_string_is_refused_naming_the_parameter(client, db):
    response = client.get("/api/products?q=lamp%00")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "q"


def test_ordinary_requests_pass(client, db):
    assert client.get("/api/products?q=lamp").status_code == 200


def test_an_id_beyond_64_bits_is_simply_not_found(client, db):
    from souk.accounts.tokens import token_create
    from tests.factories import UserFactory

    _, raw = token_create(user=UserFactory(), name="t")
    response = client.get(f"/api/addresses/{2**70}", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 404
