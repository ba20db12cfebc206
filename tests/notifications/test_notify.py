"""`notify` writes the outbox in the caller's transaction; nothing leaves before commit."""

from __future__ import annotations

import pytest
from django.db import transaction

from souk.notifications.models import EmailMessage, Notification, WebhookDelivery, WebhookEndpoint
from souk.notifications.services import notify
from tests.factories import UserFactory


@pytest.fixture
def endpoints(db):
    staff = UserFactory(is_staff=True)
    return {
        "all": WebhookEndpoint.objects.create(url="http://127.0.0.1:9/all", secret="s1", kinds=["*"],
                                              created_by=staff),
        "messages": WebhookEndpoint.objects.create(url="http://127.0.0.1:9/msg", secret="s2",
                                                   kinds=["message_received"], created_by=staff),
        "inactive": WebhookEndpoint.objects.create(url="http://127.0.0.1:9/off", secret="s3", kinds=["*"],
                                                   active=False, created_by=staff),
    }


def test_notify_writes_a_notification_and_an_email_per_recipient_and_a_delivery_per_subscribed_endpoint(
        order, seller, endpoints, django_assert_max_num_queries):
    buyer = order.buyer
    with django_assert_max_num_queries(5):
        notify(kind="cancellation_requested", recipients=[seller, buyer, seller], order=order,
               title="Cancellation requested", body="The buyer asks to cancel.", data={"reason": "changed_mind"},
               actor=buyer)
    notes = Notification.objects.order_by("recipient_id")
    assert [(n.recipient_id, n.kind, n.order_id) for n in notes] == sorted(
        [(seller.pk, "cancellation_requested", order.pk), (buyer.pk, "cancellation_requested", order.pk)])
    assert all(n.read_at is None and n.data == {"reason": "changed_mind"} for n in notes)
    emails = EmailMessage.objects.all()
    assert sorted(e.to for e in emails) == sorted([seller.email, buyer.email])
    assert all(e.state == "pending" and e.subject == "Cancellation requested" for e in emails)
    seller_mail = emails.get(to=seller.email)
    assert f"/orders/seller/{order.number}/" in seller_mail.body
    deliveries = WebhookDelivery.objects.all()
    assert [d.endpoint_id for d in deliveries] == [endpoints["all"].pk]
    payload = deliveries[0].payload
    assert payload["kind"] == "cancellation_requested" and payload["order"]["number"] == order.number
    assert payload["id"] == str(deliveries[0].event_id)
    assert payload["actor"] == buyer.pk and sorted(payload["recipients"]) == sorted([seller.pk, buyer.pk])


def test_a_single_user_is_accepted_as_recipients_and_a_user_without_email_gets_no_email(buyer):
    no_email = UserFactory()
    type(no_email).objects.filter(pk=no_email.pk).update(email="")
    no_email.email = ""
    notify(kind="refund_succeeded", recipients=buyer, title="Your refund arrived", body="")
    notify(kind="refund_succeeded", recipients=[no_email], title="Your refund arrived", body="")
    assert Notification.objects.count() == 2
    assert list(EmailMessage.objects.values_list("to", flat=True)) == [buyer.email]


def test_kind_subscriptions_choose_the_endpoints(buyer, endpoints):
    notify(kind="message_received", recipients=buyer, title="New message", body="hi")
    assert sorted(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == sorted(
        [endpoints["all"].pk, endpoints["messages"].pk])
    assert len(set(WebhookDelivery.objects.values_list("event_id", flat=True))) == 1


def test_notify_rolled_back_with_its_caller_leaves_nothing_and_schedules_nothing(
        buyer, endpoints, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        notify(kind="order_cancelled", recipients=buyer, title="Cancelled", body="")
        assert Notification.objects.count() == 1
        raise RuntimeError("the caller's state change failed")
    assert callbacks == []
    assert not Notification.objects.exists()
    assert not EmailMessage.objects.exists()
    assert not WebhookDelivery.objects.exists()


def test_notify_enqueues_delivery_only_after_commit(buyer, endpoints, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(kind="order_cancelled", recipients=buyer, title="Cancelled", body="")
    assert not DBTaskResult.objects.exists()
    assert len(callbacks) == 1
    callbacks[0]()
    names = sorted(DBTaskResult.objects.values_list("task_path", flat=True))
    assert names == ["souk.notifications.tasks.deliver_emails", "souk.notifications.tasks.deliver_webhooks"]
