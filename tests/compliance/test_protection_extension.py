"""Buyer protection extension: once per order, while it is on its way, bounded by a setting."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from souk.compliance.models import ProtectionExtension
from souk.fulfilment.services import order_mark_shipped
from souk.notifications.models import Notification
from souk.orders.models import Order, OrderEvent
from souk.payments.services import protection_ended_due
from tests.compliance.conftest import fields


def shipped(place_order, seller):
    order = place_order()
    order_mark_shipped(seller=seller, order_id=order.pk, carrier="DHL", tracking_number="JD42")
    order.refresh_from_db()
    return order


def test_the_buyer_extends_protection_once_and_the_seller_is_told(api, buyer, seller, place_order):
    order = shipped(place_order, seller)
    ends = order.protection_ends_at

    response = api(buyer).post(f"/orders/{order.number}/protection-extension", {"days": 15})

    assert response.status_code == 201, response.content
    order.refresh_from_db()
    assert order.protection_ends_at == ends + timedelta(days=15)
    ext = ProtectionExtension.objects.get(order=order)
    assert (ext.days, ext.previous_ends_at, ext.new_ends_at) == (15, ends, ends + timedelta(days=15))
    assert Notification.objects.filter(recipient=seller, kind="protection_extended", order=order).exists()
    assert OrderEvent.objects.filter(order=order, kind="protection_extended", actor_role="buyer").exists()

    again = api(buyer).post(f"/orders/{order.number}/protection-extension", {"days": 5})
    assert again.status_code == 409 and again.json()["code"] == "protection_already_extended"
    order.refresh_from_db()
    assert order.protection_ends_at == ends + timedelta(days=15)


def test_protection_does_not_end_at_the_old_date_after_an_extension(api, buyer, seller, place_order):
    order = shipped(place_order, seller)
    old_end = order.protection_ends_at
    api(buyer).post(f"/orders/{order.number}/protection-extension", {"days": 10})
    assert protection_ended_due(now=old_end + timedelta(minutes=1)) == 0
    assert Order.objects.get(pk=order.pk).status == "awaiting_delivery"
    assert protection_ended_due(now=old_end + timedelta(days=10)) == 1
    assert Order.objects.get(pk=order.pk).status == "completed"


def test_days_outside_the_allowed_range_are_422_naming_days(api, buyer, seller, place_order, settings):
    order = shipped(place_order, seller)
    for days in (0, -3, 31):
        response = api(buyer).post(f"/orders/{order.number}/protection-extension", {"days": days})
        assert response.status_code == 422 and fields(response) == ["days"]
    settings.SOUK = {**settings.SOUK, "PROTECTION_EXTENSION_MAX_DAYS": 7}
    assert api(buyer).post(f"/orders/{order.number}/protection-extension", {"days": 8}).status_code == 422
    assert not ProtectionExtension.objects.exists()


def test_only_an_order_on_its_way_can_be_extended(api, buyer, seller, place_order):
    order = place_order()  # paid, not shipped
    response = api(buyer).post(f"/orders/{order.number}/protection-extension", {"days": 5})
    assert response.status_code == 409 and response.json()["code"] == "order_not_awaiting_delivery"
    done = shipped(place_order, seller)
    Order.objects.filter(pk=done.pk).update(protection_ends_at=timezone.now() - timedelta(seconds=1))
    response = api(buyer).post(f"/orders/{done.number}/protection-extension", {"days": 5})
    assert response.status_code == 409 and response.json()["code"] == "protection_ended"


def test_someone_elses_order_is_404(api, other_buyer, seller, place_order):
    order = shipped(place_order, seller)
    assert api(other_buyer).post(f"/orders/{order.number}/protection-extension", {"days": 5}).status_code == 404
    assert api(seller).post(f"/orders/{order.number}/protection-extension", {"days": 5}).status_code == 404
    assert not ProtectionExtension.objects.exists()
