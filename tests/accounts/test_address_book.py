"""The address book: one default at a time, at most 20 entries, private to its owner."""

from __future__ import annotations

import pytest

from souk.accounts.addresses import (
    MAX_ADDRESSES,
    address_create,
    address_delete,
    address_set_default,
    address_update,
)
from souk.accounts.models import Address
from souk.core.errors import Conflict, NotFound, ValidationFailed
from tests.accounts.conftest import US_ADDRESS
from tests.factories import AddressFactory

GB_ADDRESS = {"name": "Alan Turing", "country": "GB", "city": "London", "street_address": "10 Downing Street",
              "postal_code": "SW1A 2AA", "phone": "+442079460958"}


def _defaults(user) -> list[int]:
    return list(Address.objects.filter(user=user, is_default=True).values_list("id", flat=True))


def test_first_address_becomes_the_default_and_later_ones_do_not(alice):
    first = address_create(user=alice, data=US_ADDRESS)
    second = address_create(user=alice, data=GB_ADDRESS)

    assert _defaults(alice) == [first.id]
    second.refresh_from_db()
    assert second.is_default is False


def test_adding_an_address_as_default_moves_the_default_to_it(alice):
    first = address_create(user=alice, data=US_ADDRESS)
    second = address_create(user=alice, data={**GB_ADDRESS, "is_default": True})

    assert _defaults(alice) == [second.id]
    first.refresh_from_db()
    assert first.is_default is False


def test_setting_the_default_leaves_exactly_one_default(alice):
    first = address_create(user=alice, data=US_ADDRESS)
    second = address_create(user=alice, data=GB_ADDRESS)

    address_set_default(user=alice, address_id=second.id)
    assert _defaults(alice) == [second.id]
    address_set_default(user=alice, address_id=first.id)
    assert _defaults(alice) == [first.id]


def test_deleting_the_default_promotes_the_oldest_remaining_address(alice):
    default = address_create(user=alice, data=US_ADDRESS)
    oldest = address_create(user=alice, data=GB_ADDRESS)
    address_create(user=alice, data={**GB_ADDRESS, "name": "Newest"})

    address_delete(user=alice, address_id=default.id)

    assert _defaults(alice) == [oldest.id]


def test_deleting_a_non_default_address_keeps_the_default(alice):
    default = address_create(user=alice, data=US_ADDRESS)
    other = address_create(user=alice, data=GB_ADDRESS)

    address_delete(user=alice, address_id=other.id)

    assert _defaults(alice) == [default.id]
    assert Address.objects.filter(user=alice).count() == 1


def test_deleting_the_last_address_leaves_an_empty_book(alice):
    only = address_create(user=alice, data=US_ADDRESS)

    address_delete(user=alice, address_id=only.id)

    assert not Address.objects.filter(user=alice).exists()


def test_address_book_holds_at_most_twenty_addresses(alice):
    AddressFactory.create_batch(MAX_ADDRESSES - 1, user=alice, is_default=False)
    address_create(user=alice, data=US_ADDRESS)

    with pytest.raises(Conflict) as caught:
        address_create(user=alice, data=GB_ADDRESS)

    assert caught.value.code == "address_book_full"
    assert Address.objects.filter(user=alice).count() == MAX_ADDRESSES


def test_update_revalidates_the_whole_address_and_keeps_omitted_fields(alice):
    address = address_create(user=alice, data=US_ADDRESS)

    updated = address_update(user=alice, address_id=address.id, data={"postal_code": "94043-1351"})

    assert updated.postal_code == "94043-1351"
    assert updated.street_address == US_ADDRESS["street_address"]


def test_bad_update_changes_nothing(alice):
    address = address_create(user=alice, data=US_ADDRESS)

    with pytest.raises(ValidationFailed) as caught:
        address_update(user=alice, address_id=address.id, data={"country": "GB", "city": "London"})

    assert caught.value.field == "postal_code"  # 94043 is no British postcode
    address.refresh_from_db()
    assert (address.country.code, address.city) == ("US", "MOUNTAIN VIEW")


@pytest.mark.parametrize("act", [
    lambda user, pk: address_update(user=user, address_id=pk, data={"name": "Mallory"}),
    lambda user, pk: address_delete(user=user, address_id=pk),
    lambda user, pk: address_set_default(user=user, address_id=pk),
], ids=["update", "delete", "set_default"])
def test_another_users_address_is_not_found_and_untouched(alice, mallory, act):
    address = address_create(user=alice, data=US_ADDRESS)
    address_create(user=mallory, data=GB_ADDRESS)

    with pytest.raises(NotFound):
        act(mallory, address.id)

    address.refresh_from_db()
    assert address.name == "Ada Lovelace" and address.is_default


# --- the same rules through the API ----------------------------------------------------------


def test_api_creates_lists_and_reads_addresses(alice_api):
    created = alice_api.post("/addresses", US_ADDRESS)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["is_default"] is True
    assert body["country"] == "US"
    assert body["phone"] == "+16502530000"

    listed = alice_api.get("/addresses").json()
    assert [a["id"] for a in listed] == [body["id"]]
    assert alice_api.get(f"/addresses/{body['id']}").json()["city"] == "MOUNTAIN VIEW"


def test_api_rejects_a_bad_postcode_with_field_errors_and_writes_nothing(alice_api):
    response = alice_api.post("/addresses", {**US_ADDRESS, "postal_code": "ABC", "phone": "12"})

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_input"
    assert {(e["field"], e["code"]) for e in body["errors"]} == {("postal_code", "invalid"),
                                                                ("phone", "invalid_phone")}
    assert Address.objects.count() == 0


def test_api_put_replaces_and_default_endpoint_moves_the_default(alice_api):
    first = alice_api.post("/addresses", US_ADDRESS).json()
    second = alice_api.post("/addresses", GB_ADDRESS).json()

    put = alice_api.put(f"/addresses/{second['id']}", {**GB_ADDRESS, "label": "Office"})
    assert put.status_code == 200 and put.json()["label"] == "Office"

    moved = alice_api.post(f"/addresses/{second['id']}/default")
    assert moved.status_code == 200 and moved.json()["is_default"] is True
    listed = alice_api.get("/addresses").json()
    assert [(a["id"], a["is_default"]) for a in listed] == [(second["id"], True), (first["id"], False)]


def test_api_delete_answers_204_and_promotes_the_next_default(alice_api):
    first = alice_api.post("/addresses", US_ADDRESS).json()
    second = alice_api.post("/addresses", GB_ADDRESS).json()

    assert alice_api.delete(f"/addresses/{first['id']}").status_code == 204
    assert alice_api.get(f"/addresses/{second['id']}").json()["is_default"] is True
    assert alice_api.get(f"/addresses/{first['id']}").status_code == 404


def test_api_full_book_answers_409(alice, alice_api):
    AddressFactory.create_batch(MAX_ADDRESSES, user=alice, is_default=False)

    response = alice_api.post("/addresses", US_ADDRESS)

    assert response.status_code == 409
    assert response.json()["code"] == "address_book_full"


@pytest.mark.parametrize(("method", "suffix", "body"), [
    ("get", "", None),
    ("put", "", GB_ADDRESS),
    ("delete", "", None),
    ("post", "/default", None),
])
def test_api_another_users_address_answers_404(alice_api, mallory_api, method, suffix, body):
    address_id = alice_api.post("/addresses", US_ADDRESS).json()["id"]

    args = (f"/addresses/{address_id}{suffix}",) + ((body,) if method == "put" else ())
    response = getattr(mallory_api, method)(*args)

    assert response.status_code == 404
    assert response.json()["code"] == "address_not_found"
    address = Address.objects.get(pk=address_id)
    assert address.name == "Ada Lovelace" and address.is_default
    assert mallory_api.get("/addresses").json() == []


def test_api_address_book_needs_a_login(anon_api):
    assert anon_api.get("/addresses").status_code == 401
    assert anon_api.post("/addresses", US_ADDRESS).status_code == 401
    assert Address.objects.count() == 0
