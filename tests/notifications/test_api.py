"""Notifications over the API: your own only, read marks, staff-only webhook endpoints and their log."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from souk.accounts.tokens import token_create
from souk.notifications.models import Notification, WebhookDelivery, WebhookEndpoint
from souk.notifications.services import notify
from tests.factories import NotificationFactory, UserFactory, WebhookEndpointFactory


def client_for(user) -> Client:
    return Client(headers={"Authorization": f"Bearer {token_create(user=user, name='t')[1]}"})


def post(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True)


def test_the_list_shows_my_notifications_newest_first_with_a_cursor(order, other_buyer):
    for i in range(3):
        notify(kind="refund_started", recipients=order.buyer, order=order, title=f"Refund {i}", body="<b>x</b>")
    NotificationFactory(recipient=other_buyer)
    api = client_for(order.buyer)
    first = api.get("/api/notifications?limit=2").json()
    assert [n["title"] for n in first["items"]] == ["Refund 2", "Refund 1"]
    assert first["items"][0]["order_number"] == order.number and first["items"][0]["body"] == "<b>x</b>"
    rest = api.get(f"/api/notifications?limit=2&cursor={first['next_cursor']}").json()
    assert [n["title"] for n in rest["items"]] == ["Refund 0"] and rest["next_cursor"] is None
    assert api.get("/api/notifications?cursor=zzz").status_code == 422


def test_reading_one_and_all_updates_the_unread_count(buyer, other_buyer):
    notes = [NotificationFactory(recipient=buyer) for _ in range(3)]
    theirs = NotificationFactory(recipient=other_buyer)
    api = client_for(buyer)
    assert api.get("/api/notifications/unread-count").json() == {"unread": 3}
    read = post(api, f"/api/notifications/{notes[0].pk}/read")
    assert read.status_code == 200 and read.json()["read"] is True
    assert api.get("/api/notifications/unread-count").json() == {"unread": 2}
    assert [n["id"] for n in api.get("/api/notifications?unread=true").json()["items"]] == [notes[2].pk,
                                                                                              notes[1].pk]
    assert post(api, "/api/notifications/read-all").json() == {"marked": 2}
    assert api.get("/api/notifications/unread-count").json() == {"unread": 0}
    # Someone else's notification: 404, and it stays unread.
    assert post(api, f"/api/notifications/{theirs.pk}/read").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_staff_register_a_webhook_and_see_its_secret_once(staff):
    api = client_for(staff)
    response = post(api, "/api/staff/webhooks", {"url": "https://ops.example.com/souk",
                                                 "kinds": ["order_cancelled", "refund_started"]})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 30
    listed = api.get("/api/staff/webhooks").json()
    assert [(e["id"], e["url"], e["kinds"]) for e in listed] == [
        (created["id"], "https://ops.example.com/souk", ["order_cancelled", "refund_started"])]
    assert "secret" not in listed[0] and listed[0]["secret_hint"] == created["secret"][:10] + "…"


@pytest.mark.parametrize(("body", "field", "code"), [
    ({"url": "ftp://ops.example.com/x", "kinds": ["*"]}, "url", "invalid_url"),
    ({"url": "file:///etc/passwd", "kinds": ["*"]}, "url", "invalid_url"),
    ({"url": "https:///nohost", "kinds": ["*"]}, "url", "invalid_url"),
    ({"url": "", "kinds": ["*"]}, "url", "required"),
    ({"url": "https://ops.example.com/x", "kinds": []}, "kinds", "required"),
    ({"url": "https://ops.example.com/x", "kinds": [""]}, "kinds[0]", "invalid_kind"),
])
def test_a_bad_webhook_is_refused_naming_the_field(staff, body, field, code):
    response = post(client_for(staff), "/api/staff/webhooks", body)
    assert response.status_code == 422
    assert (response.json()["errors"][0]["field"], response.json()["errors"][0]["code"]) == (field, code)
    assert not WebhookEndpoint.objects.exists()


def test_a_buyer_is_refused_403_on_every_webhook_route_and_nothing_changes(buyer):
    endpoint = WebhookEndpointFactory()
    api = client_for(buyer)
    answers = [api.get("/api/staff/webhooks"),
               post(api, "/api/staff/webhooks", {"url": "https://evil.example.com", "kinds": ["*"]}),
               post(api, "/api/staff/webhooks", {}),
               api.delete(f"/api/staff/webhooks/{endpoint.pk}"),
               api.get(f"/api/staff/webhooks/{endpoint.pk}/deliveries")]
    assert [(r.status_code, r.json()["code"]) for r in answers] == [(403, "staff_only")] * 5
    assert WebhookEndpoint.objects.filter(active=True).count() == 1


def test_staff_read_the_delivery_log_and_delete_an_endpoint(staff, buyer):
    endpoint = WebhookEndpointFactory(created_by=staff)
    notify(kind="order_cancelled", recipients=buyer, title="Cancelled", body="")
    api = client_for(staff)
    log = api.get(f"/api/staff/webhooks/{endpoint.pk}/deliveries").json()
    delivery = WebhookDelivery.objects.get()
    assert [(d["event_id"], d["state"], d["attempts"]) for d in log["items"]] == [
        (str(delivery.event_id), "pending", 0)]
    assert api.get(f"/api/staff/webhooks/{endpoint.pk}/deliveries?state=delivered").json()["items"] == []
    assert api.get(f"/api/staff/webhooks/{endpoint.pk}/deliveries?state=bogus").status_code == 422
    assert api.delete(f"/api/staff/webhooks/{endpoint.pk}").status_code == 204
    assert api.get("/api/staff/webhooks").json() == []
    assert api.delete(f"/api/staff/webhooks/{endpoint.pk}").status_code == 404
    # New events no longer go to it.
    notify(kind="order_cancelled", recipients=buyer, title="Cancelled", body="")
    assert WebhookDelivery.objects.count() == 1


def test_the_admin_lists_failed_deliveries_for_staff(admin_client, buyer):
    WebhookEndpointFactory()
    notify(kind="order_cancelled", recipients=buyer, title="Cancelled", body="")
    WebhookDelivery.objects.update(state="failed", last_error="HTTP 500")
    response = admin_client.get("/admin/notifications/webhookdelivery/?state__exact=failed")
    assert response.status_code == 200
    assert b"order_cancelled" in response.content
    for model in ("notification", "emailmessage", "webhookendpoint"):
        assert admin_client.get(f"/admin/notifications/{model}/").status_code == 200
    for model in ("conversation", "message"):
        assert admin_client.get(f"/admin/messaging/{model}/").status_code == 200
