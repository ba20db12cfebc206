"""NUL characters anywhere in an API request get a clear 422, never a 500 from PostgreSQL."""

import pytest


@pytest.mark.parametrize("body", [
    '{"email": "a\\u0000@example.com", "password": "x"}',
    '{"nested": [{"deep": "x\\u0000y"}]}',
])
def test_a_nul_in_a_json_body_is_refused(client, db, body):
    response = client.post("/api/auth/register", data=body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "null_characters_not_allowed"


def test_a_nul_in_a_query_string_is_refused(client, db):
    response = client.get("/api/products?q=lamp%00")
    assert response.status_code == 422


def test_ordinary_requests_pass(client, db):
    assert client.get("/api/products?q=lamp").status_code == 200
