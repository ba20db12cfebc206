"""Concurrent writes to one address book still leave exactly one default (PostgreSQL, real threads)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from souk.accounts.addresses import MAX_ADDRESSES, address_create, address_set_default
from souk.accounts.models import Address
from souk.core.errors import Conflict
from tests.accounts.conftest import US_ADDRESS
from tests.factories import AddressFactory, UserFactory


def _run_together(jobs):
    barrier = threading.Barrier(len(jobs))
    outcomes: list[object] = [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait()
            outcomes[i] = job()
        except Exception as exc:  # collected and asserted on by the test
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_first_addresses_added_at_once_give_exactly_one_default():
    user = UserFactory()

    outcomes = _run_together([lambda: address_create(user=user, data=US_ADDRESS)] * 4)

    assert all(isinstance(o, Address) for o in outcomes), outcomes
    assert Address.objects.filter(user=user).count() == 4
    assert Address.objects.filter(user=user, is_default=True).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_set_default_calls_leave_exactly_one_default():
    user = UserFactory()
    addresses = [address_create(user=user, data=US_ADDRESS) for _ in range(5)]

    outcomes = _run_together([lambda a=a: address_set_default(user=user, address_id=a.id) for a in addresses])

    assert all(isinstance(o, Address) for o in outcomes), outcomes
    assert Address.objects.filter(user=user, is_default=True).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_adds_never_overfill_the_book():
    user = UserFactory()
    AddressFactory.create_batch(MAX_ADDRESSES - 2, user=user, is_default=False)

    outcomes = _run_together([lambda: address_create(user=user, data=US_ADDRESS)] * 5)

    assert sum(isinstance(o, Address) for o in outcomes) == 2
    assert all(isinstance(o, (Address, Conflict)) for o in outcomes), outcomes
    assert Address.objects.filter(user=user).count() == MAX_ADDRESSES
