"""A password reset is how someone takes their account back: it ends every API token and every session
the account had. And the reset form cannot be used to flood someone's inbox: one address gets at most a few
mails, whoever asks and however often, while the answer stays the same for addresses with and without an
account (docs/api.md, Limits)."""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from souk.accounts.models import PersonalAccessToken
from tests.accounts.conftest import PASSWORD, ApiClient, api_for

NEW_PASSWORD = "a brand new secret 42"


def _reset_link(user) -> tuple[str, str]:
    user.refresh_from_db()  # logging in changed last_login, which the link's token covers
    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)


def _logged_in_browser(email: str) -> Client:
    browser = Client()
    response = browser.post(reverse("accounts:login"), {"username": email, "password": PASSWORD})
    assert response.status_code == 302
    assert browser.get(reverse("accounts:profile")).status_code == 200
    return browser


def _reset_request(email: str, client_address: str):
    return Client(REMOTE_ADDR=client_address).post("/api/auth/password-reset", data={"email": email},
                                                   content_type="application/json")


# --- a reset ends every token and session ----------------------------------------------------------


def test_a_password_reset_through_the_api_ends_every_token_and_session(alice, alice_api, anon_api):
    script = api_for(alice)
    browser = _logged_in_browser("alice@example.com")
    assert alice_api.get("/me").status_code == script.get("/me").status_code == 200
    uid, token = _reset_link(alice)

    answer = anon_api.post("/auth/password-reset/confirm", {"uid": uid, "token": token, "new_password": NEW_PASSWORD})

    assert answer.status_code == 200
    assert alice_api.get("/me").status_code == 401
    assert script.get("/me").status_code == 401
    assert browser.get(reverse("accounts:profile")).status_code == 302  # logged out
    assert not PersonalAccessToken.objects.filter(user=alice, revoked_at__isnull=True).exists()
    # the new password works, and a token made after the reset does too
    fresh = anon_api.post("/auth/token", {"email": "alice@example.com", "password": NEW_PASSWORD})
    assert fresh.status_code == 201
    assert ApiClient(fresh.json()["token"]).get("/me").status_code == 200


def test_a_password_reset_on_the_page_ends_every_token_and_session(alice, alice_api):
    browser = _logged_in_browser("alice@example.com")
    resetter = Client()
    uid, token = _reset_link(alice)
    form_page = resetter.get(reverse("accounts:password_reset_confirm", args=[uid, token]), follow=True)

    done = resetter.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD,
                                                           "new_password2": NEW_PASSWORD})

    assert done.status_code == 302 and done.url == reverse("accounts:password_reset_complete")
    assert alice_api.get("/me").status_code == 401
    assert browser.get(reverse("accounts:profile")).status_code == 302
    assert not PersonalAccessToken.objects.filter(user=alice, revoked_at__isnull=True).exists()


def test_a_reset_of_one_account_leaves_other_accounts_tokens_alone(alice, mallory_api, anon_api):
    uid, token = _reset_link(alice)

    anon_api.post("/auth/password-reset/confirm", {"uid": uid, "token": token, "new_password": NEW_PASSWORD})

    assert mallory_api.get("/me").status_code == 200


# --- reset requests are throttled --------------------------------------------------------------------


def test_twenty_five_reset_requests_for_one_address_send_one_email(alice, mailoutbox,
                                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answers = [_reset_request("alice@example.com", f"198.51.100.{i + 1}") for i in range(25)]

    assert {a.status_code for a in answers} == {202}
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["alice@example.com"]


def test_an_address_gets_at_most_five_reset_emails_a_day_however_they_are_spaced(alice, mailoutbox, settings,
                                                                                django_capture_on_commit_callbacks):
    settings.SOUK = {**settings.SOUK, "PASSWORD_RESET_EMAIL_INTERVAL_SECONDS": 0}  # no spacing: only the day cap

    with django_capture_on_commit_callbacks(execute=True):
        answers = [_reset_request("ALICE@example.com", f"198.51.100.{i + 1}") for i in range(25)]

    assert {a.status_code for a in answers} == {202}
    assert len(mailoutbox) == 5


def test_reset_requests_answer_alike_for_addresses_with_and_without_an_account(alice, mailoutbox,
                                                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        known = [_reset_request("alice@example.com", "203.0.113.10") for _ in range(25)]
        unknown = [_reset_request("nobody@example.com", "203.0.113.20") for _ in range(25)]

    assert [(a.status_code, a.content) for a in known] == [(a.status_code, a.content) for a in unknown]
    assert [a.get("Retry-After") is not None for a in known] == [a.get("Retry-After") is not None for a in unknown]
    assert len(mailoutbox) == 1


def test_one_client_asking_for_many_resets_is_told_to_wait(db):
    answers = [_reset_request(f"someone{i}@example.com", "203.0.113.30") for i in range(25)]

    assert [a.status_code for a in answers[:20]] == [202] * 20
    last = answers[-1]
    assert last.status_code == 429
    assert last.json()["code"] == "too_many_attempts"
    assert 0 < int(last["Retry-After"]) <= 3600
    assert _reset_request("someone@example.com", "203.0.113.31").status_code == 202


def test_the_reset_page_answers_alike_for_addresses_with_and_without_an_account(alice, mailoutbox,
                                                                               django_capture_on_commit_callbacks):
    def ask(email: str, client_address: str):
        page = Client(REMOTE_ADDR=client_address).post(reverse("accounts:password_reset"), {"email": email})
        return page.status_code, page.get("Location"), page.get("Retry-After") is not None

    with django_capture_on_commit_callbacks(execute=True):
        known = [ask("alice@example.com", "203.0.113.40") for _ in range(25)]
        unknown = [ask("nobody@example.com", "203.0.113.50") for _ in range(25)]

    assert known == unknown
    assert known[0] == (302, reverse("accounts:password_reset_done"), False)
    assert known[-1][0] == 429 and known[-1][2]
    assert len(mailoutbox) == 1
