"""Registration, API tokens, profile, email verification and password reset through the JSON API."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from souk.accounts.models import Address, PersonalAccessToken, User
from souk.accounts.services import email_verification_token
from souk.accounts.tokens import hash_token
from tests.accounts.conftest import PASSWORD, US_ADDRESS, ApiClient, api_for
from tests.factories import StoreFactory, UserFactory

# --- registration ------------------------------------------------------------------------------


def test_register_creates_a_buyer_with_a_lower_cased_email_and_mails_a_verification_link(
        anon_api, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = anon_api.post("/auth/register", {"email": "  Ada@Example.COM ", "password": "analytical engine 1843",
                                                    "display_name": "Ada", "phone": "+1 650 253 0000"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "ada@example.com"
    assert body["phone"] == "+16502530000"
    assert body["roles"] == ["buyer"]
    assert body["email_verified"] is False
    user = User.objects.get(email="ada@example.com")
    assert user.check_password("analytical engine 1843")
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["ada@example.com"]
    assert "/accounts/verify-email/" in mailoutbox[0].body


@pytest.mark.parametrize(("payload", "field", "code"), [
    ({"email": "ALICE@example.com", "password": "analytical engine 1843"}, "email", "email_taken"),
    ({"email": "not-an-email", "password": "analytical engine 1843"}, "email", "invalid_email"),
    ({"email": "new@example.com", "password": "short"}, "password", "password_too_short"),
    ({"email": "new@example.com", "password": "password123"}, "password", "password_too_common"),
    ({"email": "new@example.com", "password": "83749182734"}, "password", "password_entirely_numeric"),
    ({"email": "new@example.com", "password": "analytical engine 1843", "phone": "555"}, "phone", "invalid_phone"),
])
def test_register_rejects_bad_input_naming_the_field_and_creates_nobody(alice, anon_api, mailoutbox, payload,
                                                                        field, code):
    before = User.objects.count()

    response = anon_api.post("/auth/register", payload)

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert (field, code) in {(e["field"], e["code"]) for e in errors}
    assert User.objects.count() == before
    assert mailoutbox == []


# --- tokens ------------------------------------------------------------------------------------


def test_password_login_returns_a_token_once_and_stores_only_its_hash(alice, anon_api):
    response = anon_api.post("/auth/token", {"email": "Alice@Example.com", "password": PASSWORD, "name": "cli"})

    assert response.status_code == 201
    raw = response.json()["token"]
    assert raw.startswith("souk_")
    stored = PersonalAccessToken.objects.get(user=alice)
    assert stored.name == "cli"
    assert stored.token_hash == hash_token(raw) and raw not in stored.token_hash
    assert raw.split("_")[1] == stored.prefix
    assert ApiClient(raw).get("/me").json()["email"] == "alice@example.com"
    assert "token" not in ApiClient(raw).get("/tokens").json()[0]


@pytest.mark.parametrize("credentials", [
    {"email": "alice@example.com", "password": "wrong password"},
    {"email": "nobody@example.com", "password": PASSWORD},
])
def test_wrong_credentials_answer_401_invalid_credentials(alice, anon_api, credentials):
    response = anon_api.post("/auth/token", credentials)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert PersonalAccessToken.objects.count() == 0


def test_inactive_user_cannot_obtain_a_token(alice, anon_api):
    User.objects.filter(pk=alice.pk).update(is_active=False)

    response = anon_api.post("/auth/token", {"email": "alice@example.com", "password": PASSWORD})

    assert response.status_code == 401


def test_revoked_token_stops_working_at_once(alice, alice_api):
    created = alice_api.post("/tokens", {"name": "deploy script"})
    assert created.status_code == 201
    second = ApiClient(created.json()["token"])
    assert second.get("/me").status_code == 200

    assert alice_api.delete(f"/tokens/{created.json()['id']}").status_code == 204

    response = second.get("/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    listed = {t["id"]: t for t in alice_api.get("/tokens").json()}
    assert listed[created.json()["id"]]["is_active"] is False


def test_token_needs_a_name(alice_api):
    response = alice_api.post("/tokens", {"name": "   "})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name"


def test_another_users_token_cannot_be_revoked_or_seen(alice, alice_api, mallory_api):
    alice_token = PersonalAccessToken.objects.get(user=alice)

    assert mallory_api.delete(f"/tokens/{alice_token.id}").status_code == 404
    alice_token.refresh_from_db()
    assert alice_token.revoked_at is None
    assert alice_token.id not in {t["id"] for t in mallory_api.get("/tokens").json()}


def test_garbage_bearer_token_answers_401(db):
    assert ApiClient("souk_deadbeef_nope").get("/me").status_code == 401
    assert ApiClient("not-even-ours").get("/me").status_code == 401


# --- profile -----------------------------------------------------------------------------------


def test_me_shows_roles_buyer_seller_staff(alice, alice_api):
    assert alice_api.get("/me").json()["roles"] == ["buyer"]

    StoreFactory(owner=alice)
    User.objects.filter(pk=alice.pk).update(is_staff=True)

    assert alice_api.get("/me").json()["roles"] == ["buyer", "seller", "staff"]


def test_patch_me_changes_contact_details_and_stores_the_phone_as_e164(alice, alice_api):
    response = alice_api.patch("/me", {"phone": "+44 20 7946 0958"})

    assert response.status_code == 200
    assert response.json()["phone"] == "+442079460958"
    assert response.json()["display_name"] == "Alice"  # omitted: unchanged
    alice.refresh_from_db()
    assert alice.phone == "+442079460958"


def test_patch_me_with_a_bad_phone_changes_nothing(alice, alice_api):
    response = alice_api.patch("/me", {"display_name": "Renamed", "phone": "12"})

    assert response.status_code == 422
    assert response.json()["errors"][0] == {"field": "phone", "code": "invalid_phone",
                                            "message": response.json()["errors"][0]["message"]}
    alice.refresh_from_db()
    assert (alice.display_name, alice.phone) == ("Alice", "+14155550100")


# --- email verification ------------------------------------------------------------------------


def test_verification_link_from_the_mail_verifies_the_email(alice, alice_api, anon_api, mailoutbox,
                                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert alice_api.post("/auth/verify-email/send").status_code == 202
    token = re.search(r"/accounts/verify-email/(\S+)", mailoutbox[0].body).group(1)

    response = anon_api.post("/auth/verify-email", {"token": token})

    assert response.status_code == 200
    assert alice_api.get("/me").json()["email_verified"] is True
    # A second click is harmless; asking for another link now says it is done.
    assert anon_api.post("/auth/verify-email", {"token": token}).status_code == 200
    resend = alice_api.post("/auth/verify-email/send")
    assert resend.status_code == 409 and resend.json()["code"] == "email_already_verified"


def test_expired_verification_link_is_refused(alice, anon_api, monkeypatch):
    token = email_verification_token(alice)
    later = timezone.now() + timedelta(days=3, minutes=1)
    monkeypatch.setattr("django.core.signing.time.time", lambda: later.timestamp())

    response = anon_api.post("/auth/verify-email", {"token": token})

    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "token_expired"
    alice.refresh_from_db()
    assert alice.email_verified_at is None


@pytest.mark.parametrize("mangle", [lambda t: t + "x", lambda t: "garbage", lambda t: t[:-3] + "AAA"])
def test_tampered_verification_link_is_refused(alice, anon_api, mangle):
    response = anon_api.post("/auth/verify-email", {"token": mangle(email_verification_token(alice))})

    assert response.status_code == 422
    assert response.json()["errors"][0] == {"field": "token", "code": "invalid_token",
                                            "message": "This verification link is not valid."}
    alice.refresh_from_db()
    assert alice.email_verified_at is None


def test_verification_link_for_an_old_email_does_not_verify_the_new_one(alice, anon_api):
    token = email_verification_token(alice)
    User.objects.filter(pk=alice.pk).update(email="alice.new@example.com")

    assert anon_api.post("/auth/verify-email", {"token": token}).status_code == 422
    alice.refresh_from_db()
    assert alice.email_verified_at is None


# --- password reset ----------------------------------------------------------------------------


def test_password_reset_answers_202_whether_or_not_the_email_exists(alice, anon_api, mailoutbox,
                                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        known = anon_api.post("/auth/password-reset", {"email": "ALICE@example.com"})
        unknown = anon_api.post("/auth/password-reset", {"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]
    assert re.search(r"/accounts/reset/[\w-]+/[\w-]+/", mailoutbox[0].body)


def _reset_link(user) -> tuple[str, str]:
    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)


def test_password_reset_confirm_sets_the_new_password_and_the_link_works_once(alice, anon_api):
    uid, token = _reset_link(alice)
    body = {"uid": uid, "token": token, "new_password": "a brand new secret 42"}

    assert anon_api.post("/auth/password-reset/confirm", body).status_code == 200
    alice.refresh_from_db()
    assert alice.check_password("a brand new secret 42")

    again = anon_api.post("/auth/password-reset/confirm", {**body, "new_password": "yet another one 43"})
    assert again.status_code == 422 and again.json()["errors"][0]["code"] == "invalid_token"
    alice.refresh_from_db()
    assert alice.check_password("a brand new secret 42")


def test_password_reset_confirm_with_a_weak_password_keeps_the_old_one(alice, anon_api):
    uid, token = _reset_link(alice)

    response = anon_api.post("/auth/password-reset/confirm", {"uid": uid, "token": token, "new_password": "123"})

    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"new_password"}
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_password_reset_confirm_with_a_forged_token_is_refused(alice, anon_api):
    uid, _ = _reset_link(alice)
    response = anon_api.post("/auth/password-reset/confirm",
                             {"uid": uid, "token": "abc-123", "new_password": "a brand new secret 42"})

    assert response.status_code == 422
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


# --- session authentication and CSRF -----------------------------------------------------------


def test_session_api_writes_need_the_csrf_token(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)

    assert browser.get("/api/me").status_code == 200  # reads need no token
    refused = browser.post("/api/addresses", US_ADDRESS, content_type="application/json")
    assert refused.status_code == 403
    assert Address.objects.count() == 0

    csrf = "k" * 32  # what a page's {% csrf_token %} would have set as the cookie
    browser.cookies["csrftoken"] = csrf
    allowed = browser.post("/api/addresses", US_ADDRESS, content_type="application/json",
                           headers={"X-CSRFToken": csrf})
    assert allowed.status_code == 201
    assert Address.objects.filter(user=alice).count() == 1


def test_bearer_token_writes_need_no_csrf_token(alice):
    api = api_for(alice)
    api.client = Client(enforce_csrf_checks=True)

    assert api.post("/addresses", US_ADDRESS).status_code == 201


def test_every_account_endpoint_needs_authentication(db):
    anon = ApiClient()
    user = UserFactory()
    for method, path in [("get", "/me"), ("get", "/tokens"), ("post", "/tokens"), ("get", "/addresses"),
                         ("post", "/auth/verify-email/send"), ("delete", "/tokens/1")]:
        response = getattr(anon, method)(path)
        assert response.status_code == 401, (method, path)
    assert not PersonalAccessToken.objects.filter(user=user).exists()


@pytest.mark.parametrize("body", [[], None, "text", 42])
def test_a_body_that_is_not_a_json_object_is_refused(alice, alice_api, body):
    response = alice_api.client.patch("/api/me", data=json.dumps(body),
                                      content_type="application/json", headers=alice_api.headers)

    assert response.status_code == 422
    alice.refresh_from_db()
    assert alice.display_name == "Alice"


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/auth/password-reset", {"email": "a\u0000@example.com"}, "email"),
    ("/auth/token", {"email": "a\u0000@example.com", "password": "x"}, "email"),
    ("/auth/register", {"email": "a@example.com", "password": "long enough \u0000 secret"}, "password"),
    ("/auth/verify-email", {"token": "a\u0000"}, "token"),
])
def test_nul_characters_are_refused_naming_the_field(db, path, body, field):
    response = ApiClient().post(path, body)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert User.objects.count() == 0


def test_nul_characters_in_an_address_or_profile_are_refused(alice, alice_api):
    address = alice_api.post("/addresses", {**US_ADDRESS, "name": "Ada\u0000"})
    assert address.status_code == 422 and address.json()["errors"][0]["field"] == "name"
    assert alice_api.post("/tokens", {"name": "ci\u0000"}).status_code == 422
    assert alice_api.patch("/me", {"display_name": "A\u0000"}).status_code == 422
    assert Address.objects.count() == 0


def test_a_long_but_valid_formatted_phone_is_accepted(alice_api):
    response = alice_api.post("/addresses", {**US_ADDRESS, "phone": "+1 (650) 253 - 0000    "})

    assert response.status_code == 201
    assert response.json()["phone"] == "+16502530000"
