"""Addresses are judged by the rules of the country they go to; a bad one names the field and writes nothing."""

from __future__ import annotations

import pytest

from souk.accounts.addresses import address_clean, address_create
from souk.accounts.models import Address
from souk.core.errors import ValidationFailed
from tests.accounts.conftest import US_ADDRESS

VALID = {
    "US": US_ADDRESS,
    "GB": {"name": "Alan Turing", "country": "GB", "city": "London", "street_address": "10 Downing Street",
           "postal_code": "sw1a 2aa", "phone": "020 7946 0958"},
    "JP": {"name": "Yamada Taro", "country": "JP", "country_area": "Tokyo", "street_address": "1-1 Chiyoda",
           "postal_code": "100-0001", "phone": "03-3210-1234"},
    "DE": {"name": "Ada Muster", "country": "DE", "city": "Berlin", "street_address": "Unter den Linden 1",
           "postal_code": "10117", "phone": "030 1234567"},
    "CN": {"name": "Li Lei", "country": "CN", "country_area": "Beijing Shi", "city": "Dongcheng Qu",
           "street_address": "1 Chang'an Avenue", "postal_code": "100000", "phone": "138 0013 8000"},
}


@pytest.mark.parametrize(("data", "expected"), [
    (VALID["US"], {"country_area": "CA", "city": "MOUNTAIN VIEW", "postal_code": "94043", "phone": "+16502530000"}),
    (VALID["GB"], {"city": "LONDON", "postal_code": "SW1A 2AA", "phone": "+442079460958"}),
    (VALID["JP"], {"country_area": "東京都", "postal_code": "100-0001", "phone": "+81332101234"}),
    (VALID["DE"], {"city": "BERLIN", "postal_code": "10117", "phone": "+49301234567"}),
    (VALID["CN"], {"country_area": "北京市", "city": "东城区", "phone": "+8613800138000"}),
], ids=["US", "GB", "JP", "DE", "CN"])
def test_valid_address_is_stored_in_its_countrys_normalised_form(alice, data, expected):
    address = address_create(user=alice, data=data)

    address.refresh_from_db()
    for field, value in expected.items():
        assert getattr(address, field) == value, field


def _assert_rejected(user, data, field, code, message_part):
    before = Address.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        address_create(user=user, data=data)
    errors = {e.field: e for e in caught.value.errors}
    assert field in errors, caught.value.errors
    assert errors[field].code == code
    assert message_part in errors[field].message
    assert Address.objects.count() == before


@pytest.mark.parametrize(("country", "change", "field", "code", "message_part"), [
    ("US", {"postal_code": "9404"}, "postal_code", "invalid",
     "This postal code is not valid for United States of America (format like"),
    ("US", {"country_area": "Narnia"}, "country_area", "invalid", "not a known state in United States of America"),
    ("US", {"city": ""}, "city", "required", "City is required in United States of America."),
    ("GB", {"postal_code": "12345"}, "postal_code", "invalid", "not valid for United Kingdom"),
    ("GB", {"city": ""}, "city", "required", "Post town is required in United Kingdom."),
    ("JP", {"country_area": ""}, "country_area", "required", "Prefecture is required in Japan."),
    ("JP", {"postal_code": ""}, "postal_code", "required", "Postal code is required in Japan."),
    ("DE", {"postal_code": "1011"}, "postal_code", "invalid", "not valid for Germany (format like 26133)"),
    ("CN", {"country_area": "Atlantis"}, "country_area", "invalid", "not a known province in China"),
    ("CN", {"city": ""}, "city", "required", "City is required in China."),
    ("US", {"phone": "12345"}, "phone", "invalid_phone", "not valid for United States"),
    ("DE", {"phone": "call me maybe"}, "phone", "invalid_phone", "not valid for Germany"),
    ("US", {"phone": ""}, "phone", "required", "Phone is required"),
    ("US", {"name": "  "}, "name", "required", "Recipient name is required."),
    ("US", {"street_address": ""}, "street_address", "required", "Street address is required"),
    ("US", {"country": "XX"}, "country", "invalid_country", "not a known country code"),
    ("US", {"country": ""}, "country", "required", "Country is required."),
    ("US", {"label": "x" * 41}, "label", "too_long", "at most 40 characters"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_bad_address_names_the_field_and_the_rule_and_writes_nothing(alice, country, change, field, code,
                                                                    message_part):
    _assert_rejected(alice, {**VALID[country], **change}, field, code, message_part)


def test_every_bad_field_is_reported_at_once(alice):
    data = {**VALID["US"], "postal_code": "ABCDE", "phone": "1", "name": ""}

    with pytest.raises(ValidationFailed) as caught:
        address_create(user=alice, data=data)

    assert {e.field for e in caught.value.errors} == {"postal_code", "phone", "name"}
    assert caught.value.code == "invalid_input"
    assert not Address.objects.filter(user=alice).exists()


def test_a_national_phone_number_is_read_for_the_address_country():
    uk = address_clean({**VALID["GB"], "phone": "07911 123456"})
    us = address_clean({**VALID["US"], "phone": "+44 7911 123456"})

    assert uk["phone"] == "+447911123456"
    assert us["phone"] == "+447911123456"  # an explicit country code wins over the address country


def test_fields_a_country_does_not_use_are_dropped(alice):
    address = address_create(user=alice, data={**VALID["JP"], "city": "Chiyoda-ku"})

    assert address.city == ""  # Japanese addresses carry the city in the street lines


def test_lower_case_country_code_is_accepted(alice):
    address = address_create(user=alice, data={**VALID["DE"], "country": "de"})

    assert address.country.code == "DE"
