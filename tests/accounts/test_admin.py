"""Staff can run accounts from the admin; the first superuser is made with an email."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from souk.accounts.models import PersonalAccessToken, User
from souk.accounts.tokens import token_create
from tests.factories import AddressFactory, UserFactory


@pytest.fixture
def staff_browser(db) -> Client:
    admin = User.objects.create_superuser("root@example.com", "admin password 1")
    client = Client()
    client.force_login(admin)
    return client


def test_createsuperuser_works_with_an_email(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "admin password 1")

    call_command("createsuperuser", interactive=False, email="Boss@Example.com", verbosity=0)

    boss = User.objects.get(email="boss@example.com")
    assert boss.is_superuser and boss.is_staff and boss.check_password("admin password 1")


@pytest.mark.parametrize("url", [
    "admin:accounts_user_changelist", "admin:accounts_address_changelist",
    "admin:accounts_personalaccesstoken_changelist", "admin:accounts_user_add",
])
def test_admin_lists_and_forms_open(staff_browser, url):
    AddressFactory()
    assert staff_browser.get(reverse(url)).status_code == 200


def test_admin_user_list_filters_by_verification_and_searches_by_phone(staff_browser):
    UserFactory(email="verified@example.com", email_verified_at="2026-01-01T00:00:00Z")
    UserFactory(email="unverified@example.com", phone="+442079460958")

    verified = staff_browser.get(reverse("admin:accounts_user_changelist") + "?verified=yes").content.decode()
    assert "verified@example.com" in verified and "unverified@example.com" not in verified
    found = staff_browser.get(reverse("admin:accounts_user_changelist") + "?q=2079460958").content.decode()
    assert "unverified@example.com" in found and "\">verified@example.com</a>" not in found


def test_admin_adds_a_user_by_email(staff_browser):
    response = staff_browser.post(reverse("admin:accounts_user_add"), {
        "email": "New.Staff@Example.com", "usable_password": "true",
        "password1": "a long admin secret", "password2": "a long admin secret"})

    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(email="new.staff@example.com").check_password("a long admin secret")


def test_admin_edits_a_user(staff_browser):
    user = UserFactory()
    page = staff_browser.get(reverse("admin:accounts_user_change", args=[user.pk]))
    assert page.status_code == 200


def test_admin_token_page_never_shows_a_secret_and_can_revoke(staff_browser):
    owner = UserFactory()
    token, raw = token_create(user=owner, name="ci")

    page = staff_browser.get(reverse("admin:accounts_personalaccesstoken_change", args=[token.pk])).content.decode()
    assert raw not in page
    assert staff_browser.get(reverse("admin:accounts_personalaccesstoken_add")).status_code == 403

    staff_browser.post(reverse("admin:accounts_personalaccesstoken_changelist"),
                       {"action": "revoke", "_selected_action": [token.pk]})
    assert PersonalAccessToken.objects.get(pk=token.pk).revoked_at is not None
