"""Where logging in takes you: a seller to their dashboard, a buyer back where they were going or to
My Orders.

Only a `next` on this site is followed: a link that would send a person elsewhere after they typed
their password lands them on their usual page instead.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.accounts.conftest import PASSWORD
from tests.factories import StoreFactory, UserFactory


@pytest.fixture
def shopper(db):
    return UserFactory(email="shopper@example.com")


@pytest.fixture
def shopkeeper(db):
    return StoreFactory(owner=UserFactory(email="shopkeeper@example.com")).owner


def log_in(email: str, next_url: str | None = None):
    client = Client()
    data = {"username": email, "password": PASSWORD}
    url = reverse("accounts:login")
    if next_url is not None:
        data["next"] = next_url
    return client, client.post(url, data)


def test_a_seller_who_logs_in_lands_on_the_seller_dashboard(shopkeeper):
    client, response = log_in(shopkeeper.email)
    assert response.status_code == 302
    assert response.url == reverse("web:seller_dashboard")
    assert client.get(response.url).status_code == 200


def test_a_buyer_who_logs_in_lands_on_my_orders(shopper):
    client, response = log_in(shopper.email)
    assert response.status_code == 302
    assert response.url == reverse("orders:my_orders")
    assert client.get(response.url).status_code == 200


def test_a_buyer_sent_to_log_in_from_a_page_goes_back_to_it(shopper):
    cart = reverse("orders:cart")
    assert Client().get(cart).url == f"{reverse('accounts:login')}?next={cart}"
    _, response = log_in(shopper.email, next_url=cart)
    assert response.url == cart


@pytest.mark.parametrize("unsafe", ["https://evil.example.com/phish", "//evil.example.com/",
                                    "javascript:alert(1)"])
def test_a_next_pointing_off_the_site_is_ignored(shopper, shopkeeper, unsafe):
    assert log_in(shopper.email, next_url=unsafe)[1].url == reverse("orders:my_orders")
    assert log_in(shopkeeper.email, next_url=unsafe)[1].url == reverse("web:seller_dashboard")


def test_someone_already_logged_in_who_opens_the_login_page_goes_to_their_page(shopkeeper):
    client = Client()
    client.force_login(shopkeeper)
    assert client.get(reverse("accounts:login")).url == reverse("web:seller_dashboard")
