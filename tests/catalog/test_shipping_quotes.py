"""Shipping quotes: the one place cost and delivery days to a country are resolved."""

from __future__ import annotations

import datetime as dt

import pytest
from moneyed import Money

from souk.catalog.selectors import shipping_quote, shipping_quotes, shipping_quotes_by_store
from souk.core.errors import ValidationFailed
from tests.factories import ShippingOptionFactory, ShippingRateFactory, StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return StoreFactory(currency="EUR", handling_days=3)


def test_country_specific_rate_beats_rest_of_world(shop):
    option = ShippingOptionFactory(store=shop, name="Standard")
    ShippingRateFactory(option=option, country="", cost_minor=500, min_days=10, max_days=20)
    ShippingRateFactory(option=option, country="DE", cost_minor=199, min_days=3, max_days=6)

    (quote,) = shipping_quotes(store_id=shop.id, country="DE")

    assert quote.country == "DE"
    assert quote.cost == Money("1.99", "EUR")
    assert (quote.min_days, quote.max_days) == (3, 6)


def test_rest_of_world_rate_applies_when_the_country_has_none(shop):
    option = ShippingOptionFactory(store=shop)
    ShippingRateFactory(option=option, country="", cost_minor=500, min_days=10, max_days=20)
    ShippingRateFactory(option=option, country="DE", cost_minor=199, min_days=3, max_days=6)

    (quote,) = shipping_quotes(store_id=shop.id, country="fr")

    assert quote.country == ""
    assert quote.cost == Money("5.00", "EUR")


def test_option_with_neither_country_nor_world_rate_is_left_out(shop):
    domestic = ShippingOptionFactory(store=shop, name="Domestic only")
    ShippingRateFactory(option=domestic, country="DE", cost_minor=0, min_days=1, max_days=2)
    worldwide = ShippingOptionFactory(store=shop, name="Worldwide")
    ShippingRateFactory(option=worldwide, country="", cost_minor=900, min_days=7, max_days=14)

    assert [q.name for q in shipping_quotes(store_id=shop.id, country="US")] == ["Worldwide"]
    assert [q.name for q in shipping_quotes(store_id=shop.id, country="DE")] == ["Domestic only", "Worldwide"]


def test_inactive_options_and_other_stores_options_are_never_quoted(shop):
    ShippingRateFactory(option=ShippingOptionFactory(store=shop, is_active=False), country="")
    ShippingRateFactory(option=ShippingOptionFactory(store=StoreFactory()), country="")

    assert shipping_quotes(store_id=shop.id, country="US") == []


def test_quotes_are_cheapest_first_and_carry_protection_and_handling(shop):
    express = ShippingOptionFactory(store=shop, name="Express", protection_days=30)
    ShippingRateFactory(option=express, cost_minor=2500, min_days=2, max_days=4)
    economy = ShippingOptionFactory(store=shop, name="Economy", protection_days=75)
    ShippingRateFactory(option=economy, cost_minor=0, min_days=15, max_days=40)

    quotes = shipping_quotes(store_id=shop.id, country="US")

    assert [(q.name, q.protection_days, q.handling_days, q.cost_minor) for q in quotes] == [
        ("Economy", 75, 3, 0), ("Express", 30, 3, 2500)]


def test_delivery_window_runs_from_fastest_transit_to_last_handling_day_plus_slowest_transit(shop):
    option = ShippingOptionFactory(store=shop)
    ShippingRateFactory(option=option, min_days=7, max_days=15)
    (quote,) = shipping_quotes(store_id=shop.id, country="US")

    earliest, latest = quote.delivery_window(dt.date(2026, 3, 1))

    assert earliest == dt.date(2026, 3, 8)        # shipped at once, 7 days in transit
    assert latest == dt.date(2026, 3, 19)         # shipped on day 3 of handling, 15 days in transit


def test_unknown_country_is_refused_naming_the_field(shop):
    with pytest.raises(ValidationFailed) as exc:
        shipping_quotes(store_id=shop.id, country="XX")
    assert exc.value.code == "unknown_country"
    assert exc.value.field == "country"


def test_quotes_for_several_stores_come_back_per_store_in_one_query(shop, django_assert_num_queries):
    other = StoreFactory(currency="USD")
    ShippingRateFactory(option=ShippingOptionFactory(store=shop), cost_minor=100)
    ShippingRateFactory(option=ShippingOptionFactory(store=other), cost_minor=300)
    nowhere = StoreFactory()

    with django_assert_num_queries(1):
        by_store = shipping_quotes_by_store(store_ids=[shop.id, other.id, nowhere.id], country="US")

    assert by_store[shop.id][0].cost == Money("1.00", "EUR")
    assert by_store[other.id][0].cost == Money("3.00", "USD")
    assert nowhere.id not in by_store


def test_single_option_quote_refuses_an_option_that_does_not_reach_the_country(shop):
    option = ShippingOptionFactory(store=shop)
    ShippingRateFactory(option=option, country="DE")

    assert shipping_quote(store_id=shop.id, option_id=option.id, country="DE").option_id == option.id
    with pytest.raises(ValidationFailed) as exc:
        shipping_quote(store_id=shop.id, option_id=option.id, country="US")
    assert exc.value.code == "shipping_unavailable"
