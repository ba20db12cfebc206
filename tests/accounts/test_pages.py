"""The account pages, used the way a person would: plain form posts, errors next to the field."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from souk.accounts.addresses import address_create
from souk.accounts.models import Address, User
from souk.accounts.services import email_verification_token
from tests.accounts.conftest import PASSWORD, US_ADDRESS

GB_ADDRESS = {"name": "Alan Turing", "country": "GB", "city": "London", "street_address": "10 Downing Street",
              "postal_code": "SW1A 2AA", "phone": "+442079460958"}


@pytest.fixture
def browser(db) -> Client:
    return Client()


@pytest.fixture
def alice_browser(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def _field_html(html: str, name: str) -> str:
    """The wrapper <div> of one input."""
    match = re.search(rf'<div class="field[^"]*">(?:(?!<div class="field).)*?name="{name}".*?</div>', html, re.S)
    assert match, f"no field {name!r} in page"
    return match.group(0)


def _assert_inline_error(html: str, name: str, text: str) -> None:
    field = _field_html(html, name)
    assert "field-error" in field, field
    assert 'aria-invalid="true"' in field, field
    assert text in field, field


# --- register, login, logout -------------------------------------------------------------------


def test_registering_logs_the_new_user_in_and_mails_a_verification_link(browser, mailoutbox,
                                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(reverse("accounts:register"), {
            "email": "Grace@Example.com", "display_name": "Grace", "phone": "",
            "password1": "cobol compiler 1959", "password2": "cobol compiler 1959"}, follow=True)

    assert response.status_code == 200
    assert response.context["user"].email == "grace@example.com"
    assert "We sent a link to grace@example.com" in response.content.decode()
    assert mailoutbox[0].to == ["grace@example.com"]


def test_register_page_shows_errors_next_to_the_field_and_keeps_what_was_typed(alice, browser):
    response = browser.post(reverse("accounts:register"), {
        "email": "alice@example.com", "display_name": "Second Alice", "phone": "12",
        "password1": "cobol compiler 1959", "password2": "cobol compiler 1959"})

    assert response.status_code == 200
    html = response.content.decode()
    _assert_inline_error(html, "email", "An account with this email already exists")
    _assert_inline_error(html, "phone", "This phone number is not valid")
    assert 'value="Second Alice"' in html
    assert User.objects.count() == 1


def test_register_page_rejects_a_weak_password_and_mismatched_confirmation(browser):
    weak = browser.post(reverse("accounts:register"), {"email": "g@example.com", "password1": "1234",
                                                      "password2": "1234"})
    _assert_inline_error(weak.content.decode(), "password1", "too short")

    mismatch = browser.post(reverse("accounts:register"), {"email": "g@example.com",
                                                          "password1": "cobol compiler 1959",
                                                          "password2": "cobol compiler 1960"})
    _assert_inline_error(mismatch.content.decode(), "password2", "not the same")
    assert not User.objects.exists()


def test_login_with_email_in_any_case_then_logout_by_post(alice, browser):
    page = browser.get(reverse("accounts:login"))
    assert '<label for="id_username">Email</label>' in page.content.decode()

    response = browser.post(reverse("accounts:login"), {"username": "ALICE@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert browser.get(reverse("accounts:profile")).status_code == 200

    assert browser.get(reverse("accounts:logout")).status_code == 405  # a link cannot log you out
    browser.post(reverse("accounts:logout"))
    assert browser.get(reverse("accounts:profile")).status_code == 302


def test_login_with_a_wrong_password_says_so_and_stays_logged_out(alice, browser):
    response = browser.post(reverse("accounts:login"), {"username": "alice@example.com", "password": "nope"})

    assert response.status_code == 200
    assert "correct email" in response.content.decode()
    assert not response.context["user"].is_authenticated


def test_login_page_needs_the_csrf_token(alice):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("accounts:login"), {"username": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 403


# --- password reset ----------------------------------------------------------------------------


def test_password_reset_journey_from_mail_to_new_password(alice, browser, mailoutbox,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sent = browser.post(reverse("accounts:password_reset"), {"email": "alice@example.com"})
    assert sent.status_code == 302 and sent.url == reverse("accounts:password_reset_done")
    link = re.search(r"http://[^/]+(/accounts/reset/\S+)", mailoutbox[0].body).group(1)

    form_page = browser.get(link, follow=True)  # Django swaps the token for a session marker
    assert form_page.context["validlink"] is True
    done = browser.post(form_page.redirect_chain[-1][0], {"new_password1": "a brand new secret 42",
                                                          "new_password2": "a brand new secret 42"})

    assert done.status_code == 302 and done.url == reverse("accounts:password_reset_complete")
    alice.refresh_from_db()
    assert alice.check_password("a brand new secret 42")
    assert "not valid" in browser.get(link, follow=True).content.decode()  # used links die


def test_password_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(browser, mailoutbox,
                                                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sent = browser.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})

    assert sent.status_code == 302 and sent.url == reverse("accounts:password_reset_done")
    assert mailoutbox == []


def test_password_reset_page_with_a_weak_password_shows_the_error_inline(alice, browser):
    uid = urlsafe_base64_encode(force_bytes(alice.pk))
    page = browser.get(reverse("accounts:password_reset_confirm", args=[uid, default_token_generator.make_token(alice)]),
                       follow=True)

    response = browser.post(page.redirect_chain[-1][0], {"new_password1": "12345", "new_password2": "12345"})

    _assert_inline_error(response.content.decode(), "new_password2", "too short")
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


# --- email verification and profile ------------------------------------------------------------


def test_verification_link_page_verifies_the_email(alice, browser):
    response = browser.get(reverse("accounts:verify_email", args=[email_verification_token(alice)]))

    assert response.status_code == 200
    assert "alice@example.com</strong> is verified" in response.content.decode()
    alice.refresh_from_db()
    assert alice.email_verified_at is not None


def test_broken_verification_link_page_explains_and_changes_nothing(alice, browser):
    response = browser.get(reverse("accounts:verify_email", args=["not-a-token"]))

    assert response.status_code == 400
    assert "This verification link is not valid." in response.content.decode()
    alice.refresh_from_db()
    assert alice.email_verified_at is None


def test_profile_shows_verification_status_and_resends_the_link(alice, alice_browser, mailoutbox,
                                                                django_capture_on_commit_callbacks):
    page = alice_browser.get(reverse("accounts:profile")).content.decode()
    assert "Not verified" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_browser.post(reverse("accounts:verify_email_send"), follow=True)

    assert "We sent a new verification link to alice@example.com" in response.content.decode()
    assert mailoutbox[0].to == ["alice@example.com"]


def test_profile_saves_contact_details_and_shows_a_bad_phone_inline(alice, alice_browser):
    bad = alice_browser.post(reverse("accounts:profile"), {"display_name": "Alice L.", "phone": "000"})
    html = bad.content.decode()
    _assert_inline_error(html, "phone", "not valid")
    assert 'value="Alice L."' in html
    alice.refresh_from_db()
    assert alice.display_name == "Alice"

    good = alice_browser.post(reverse("accounts:profile"), {"display_name": "Alice L.", "phone": "+33 1 23 45 67 89"})
    assert good.status_code == 302
    alice.refresh_from_db()
    assert (alice.display_name, alice.phone) == ("Alice L.", "+33123456789")


def test_account_pages_need_a_login(browser):
    for name in ["accounts:profile", "accounts:addresses", "accounts:address_add"]:
        response = browser.get(reverse(name))
        assert response.status_code == 302 and reverse("accounts:login") in response.url, name


# --- address book ------------------------------------------------------------------------------


def test_address_book_lists_addresses_with_the_default_marked(alice, alice_browser):
    address_create(user=alice, data=US_ADDRESS)
    address_create(user=alice, data=GB_ADDRESS)

    html = alice_browser.get(reverse("accounts:addresses")).content.decode()

    default_card = html.split('class="card address address-default"')[1].split("</li>")[0]
    assert "Default" in default_card and "Ada Lovelace" in default_card
    assert "Alan Turing" not in default_card
    assert html.count("Make default") == 1


def test_address_book_page_uses_a_constant_number_of_queries(alice, alice_browser, django_assert_max_num_queries):
    address_create(user=alice, data=US_ADDRESS)
    with django_assert_max_num_queries(6) as few:
        alice_browser.get(reverse("accounts:addresses"))
    for _ in range(5):
        address_create(user=alice, data=GB_ADDRESS)
    with django_assert_max_num_queries(len(few.captured_queries)):
        alice_browser.get(reverse("accounts:addresses"))


def test_adding_an_address_on_the_page(alice, alice_browser):
    form = alice_browser.get(reverse("accounts:address_add")).content.decode()
    assert '<option value="JP">Japan</option>' in form

    response = alice_browser.post(reverse("accounts:address_add"), {**US_ADDRESS, "is_default": ""})

    assert response.status_code == 302
    address = Address.objects.get(user=alice)
    assert (address.city, address.phone, address.is_default) == ("MOUNTAIN VIEW", "+16502530000", True)


def test_add_address_page_shows_per_country_errors_inline_and_keeps_the_input(alice, alice_browser):
    response = alice_browser.post(reverse("accounts:address_add"),
                                  {**US_ADDRESS, "postal_code": "ABCDE", "street_address": "1 Infinite <Loop>"})

    assert response.status_code == 200
    html = response.content.decode()
    _assert_inline_error(html, "postal_code", "This postal code is not valid for United States of America")
    assert "ZIP code" in _field_html(html, "postal_code")  # labelled the way the country names it
    assert "1 Infinite &lt;Loop&gt;" in html  # what was typed, escaped
    assert 'value="ABCDE"' in html
    assert Address.objects.count() == 0


def test_editing_an_address_on_the_page(alice, alice_browser):
    address = address_create(user=alice, data=US_ADDRESS)
    page = alice_browser.get(reverse("accounts:address_edit", args=[address.id])).content.decode()
    assert 'value="Ada Lovelace"' in page

    response = alice_browser.post(reverse("accounts:address_edit", args=[address.id]),
                                  {**US_ADDRESS, "name": "Augusta Ada King"})

    assert response.status_code == 302
    address.refresh_from_db()
    assert address.name == "Augusta Ada King"


def test_setting_default_and_deleting_on_the_page(alice, alice_browser):
    first = address_create(user=alice, data=US_ADDRESS)
    second = address_create(user=alice, data=GB_ADDRESS)

    alice_browser.post(reverse("accounts:address_default", args=[second.id]))
    assert list(Address.objects.filter(user=alice, is_default=True).values_list("id", flat=True)) == [second.id]

    alice_browser.post(reverse("accounts:address_delete", args=[second.id]))
    first.refresh_from_db()
    assert first.is_default and not Address.objects.filter(pk=second.id).exists()
    assert alice_browser.get(reverse("accounts:address_delete", args=[first.id])).status_code == 405


@pytest.mark.parametrize(("name", "method"), [
    ("accounts:address_edit", "get"), ("accounts:address_edit", "post"),
    ("accounts:address_delete", "post"), ("accounts:address_default", "post"),
])
def test_another_users_address_pages_answer_404(alice, mallory, name, method):
    address = address_create(user=alice, data=US_ADDRESS)
    client = Client()
    client.force_login(mallory)

    response = getattr(client, method)(reverse(name, args=[address.id]), {**GB_ADDRESS} if method == "post" else None)

    assert response.status_code == 404
    address.refresh_from_db()
    assert address.name == "Ada Lovelace" and address.is_default


def test_address_form_shows_only_the_lines_the_chosen_country_uses(alice, alice_browser):
    response = alice_browser.post(reverse("accounts:address_add"),
                                  {"country": "JP", "name": "Yamada Taro", "street_address": "1-1 Chiyoda",
                                   "phone": "03-3210-1234"})

    html = response.content.decode()
    _assert_inline_error(html, "country_area", "Prefecture is required in Japan.")
    assert 'name="city"' not in html and 'name="sorting_code"' not in html
    assert 'value="Yamada Taro"' in html
    assert Address.objects.count() == 0
