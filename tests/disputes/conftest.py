from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from souk.checkout.services import CheckoutLine, checkout
from souk.fulfilment.services import order_mark_shipped
from souk.payments.models import Refund
from souk.payments.services import order_pay, refund_process
from tests.factories import (
    UserFactory,
    gadget_shop,
)

_keys = itertools.count(1)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def shop(db):
    """A store selling a $20.00 gadget and a $5.00 cable, shipping $3.00, with a return address."""
    return gadget_shop(return_address="Returns, 1 Harbour Road, Shenzhen")


@pytest.fixture
def seller(shop):
    return shop[0].owner


@pytest.fixture
def stranger(db):
    return UserFactory(email="stranger@example.com")


@pytest.fixture
def staff(db):
    return UserFactory(email="staff@example.com", is_staff=True)


@pytest.fixture
def settle_now(settings):
    settings.SOUK = {**settings.SOUK, "SANDBOX_REFUND_SETTLE_SECONDS": 0}


@pytest.fixture
def shipped_order(buyer, shop):
    """A paid order ($40 + $3 = $43 in escrow) shipped `days_ago` days ago."""
    store, gadget, cable, option = shop

    def make(gadgets: int = 2, cables: int = 0, days_ago: float = 0):
        lines = [CheckoutLine(gadget.pk, gadgets)] + ([CheckoutLine(cable.pk, cables)] if cables else [])
        [order] = checkout(
            buyer=buyer, address_id=buyer.addresses.first().pk, lines=lines, shipping={store.pk: option.pk}
        )
        order_pay(
            buyer=buyer,
            order_id=order.pk,
            method="card",
            token="tok_visa",
            idempotency_key=f"pay-{next(_keys)}",
        )
        shipped_at = timezone.now() - timedelta(days=days_ago)
        order_mark_shipped(
            seller=store.owner, order_id=order.pk, carrier="DHL", tracking_number="DHL-1", now=shipped_at
        )
        order.refresh_from_db()
        return order

    return make


def settle_refunds(order) -> None:
    """Process the order's refunds at the sandbox gateway until they settle (as the worker would)."""
    for refund in Refund.objects.filter(order=order):
        refund_process(refund_id=refund.pk)
        refund_process(refund_id=refund.pk, force=True)


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
