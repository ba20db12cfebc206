"""An account holds a bounded number of live API tokens, and one client address can open only a few accounts
an hour (docs/api.md, Limits)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from souk.accounts.models import PersonalAccessToken, User
from souk.accounts.tokens import token_create
from tests.accounts.conftest import PASSWORD, ApiClient
from tests.factories import UserFactory
from tests.support import race

# --- API tokens ----------------------------------------------------------------------------------------


def test_sixty_token_requests_leave_at_most_twenty_live_tokens_and_say_to_revoke_one(alice, alice_api, anon_api):
    made = [alice_api.post("/tokens", {"name": f"script {i}"}) for i in range(30)]
    made += [anon_api.post("/auth/token", {"email": "alice@example.com", "password": PASSWORD}) for _ in range(30)]

    assert PersonalAccessToken.objects.filter(user=alice, revoked_at__isnull=True).count() == 20
    assert [a.status_code for a in made].count(201) == 19  # alice_api's own token is the twentieth
    refused = made[-1]
    assert refused.status_code == 409
    assert refused.json()["code"] == "too_many_tokens"
    assert "revoke" in refused.json()["message"].lower()


def test_revoking_a_token_makes_room_for_a_new_one(alice, alice_api):
    for _ in range(25):
        alice_api.post("/tokens", {"name": "filler"})
    oldest = PersonalAccessToken.objects.filter(user=alice).order_by("id").last()

    assert alice_api.delete(f"/tokens/{oldest.pk}").status_code == 204
    assert alice_api.post("/tokens", {"name": "new"}).status_code == 201
    assert alice_api.post("/tokens", {"name": "one more"}).status_code == 409


def test_the_token_cap_is_a_setting(alice, alice_api, settings):
    settings.SOUK = {**settings.SOUK, "API_TOKENS_PER_USER": 3}

    statuses = [alice_api.post("/tokens", {"name": f"t{i}"}).status_code for i in range(4)]

    assert statuses == [201, 201, 409, 409]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_tokens_asked_for_at_once_never_go_past_the_cap():
    user = UserFactory()
    _, raw = token_create(user=user, name="script")
    for i in range(17):
        token_create(user=user, name=f"old {i}")

    answers = race(*[lambda i=i: ApiClient(raw).post("/tokens", {"name": f"new {i}"}) for i in range(8)])

    assert sorted(a.status_code for a in answers) == [201, 201] + [409] * 6
    assert PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True).count() == 20


# --- registrations -------------------------------------------------------------------------------------


def _register(n: int, client_address: str):
    return Client(REMOTE_ADDR=client_address).post(
        "/api/auth/register", data={"email": f"new{n}@example.com", "password": "analytical engine 1843"},
        content_type="application/json")


def test_one_address_can_open_five_accounts_an_hour_then_is_told_to_wait(db):
    answers = [_register(i, "203.0.113.9") for i in range(8)]

    assert [a.status_code for a in answers] == [201] * 5 + [429] * 3
    refused = answers[-1]
    assert refused.json()["code"] == "too_many_attempts"
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert User.objects.count() == 5
    assert _register(99, "203.0.113.10").status_code == 201  # another address is not held up


def test_registrations_refused_for_bad_input_do_not_use_up_the_limit(alice):
    for _ in range(10):
        taken = Client(REMOTE_ADDR="203.0.113.11").post(
            "/api/auth/register", data={"email": "alice@example.com", "password": "analytical engine 1843"},
            content_type="application/json")
        assert taken.status_code == 422

    assert [_register(i, "203.0.113.11").status_code for i in range(5)] == [201] * 5


def test_the_register_page_from_a_busy_address_shows_why_and_answers_429(db):
    def register(n: int):
        return Client(REMOTE_ADDR="203.0.113.12").post(reverse("accounts:register"), {
            "email": f"page{n}@example.com", "password1": "analytical engine 1843",
            "password2": "analytical engine 1843"})

    statuses = [register(i).status_code for i in range(5)]
    refused = register(5)

    assert statuses == [302] * 5
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert "Too many accounts" in refused.content.decode()
    assert not User.objects.filter(email="page5@example.com").exists()
