"""The worker delivers the outbox: real SMTP, a real HTTP receiver, retries, leases, event-id de-duplication."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from souk.core.sweeps import registered_sweeps
from souk.notifications import delivery
from souk.notifications.delivery import deliver_due_emails, deliver_due_webhooks
from souk.notifications.models import EmailMessage, WebhookDelivery
from souk.notifications.services import notify
from tests.factories import UserFactory, WebhookEndpointFactory
from tests.notifications.receivers import SmtpServer, WebhookReceiver, free_port

SECRET = "whsec_test_receiver"


def smtp_settings(port: int):
    return override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                             EMAIL_PORT=port, EMAIL_USE_TLS=False, EMAIL_USE_SSL=False, EMAIL_TIMEOUT=5)


@pytest.fixture
def endpoint_for(db):
    def make(receiver: WebhookReceiver, kinds=("*",)):
        return WebhookEndpointFactory(url=receiver.url, secret=receiver.secret, kinds=list(kinds))
    return make


# --- email ---------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_the_email_to_a_real_smtp_server(order):
    with SmtpServer() as smtp, smtp_settings(smtp.port):
        with transaction.atomic():  # the caller's transaction: the task is enqueued when it commits
            notify(kind="order_cancelled", recipients=order.buyer, order=order, title="Your order was cancelled",
                   body="The seller is out of stock; your refund has started.")
        call_command("worker", batch=True, no_sweeps=True, verbosity=0)
        assert len(smtp.messages) == 1
        envelope = smtp.messages[0]
    assert envelope.rcpt_tos == [order.buyer.email]
    text = envelope.content.decode()
    assert "Subject: Your order was cancelled" in text
    assert "your refund has started" in text and f"/orders/{order.number}/" in text
    email = EmailMessage.objects.get()
    assert (email.state, email.attempts, email.last_error) == ("sent", 1, "")
    assert email.sent_at is not None


def test_an_unreachable_smtp_server_is_retried_with_backoff_then_sends(buyer):
    notify(kind="refund_succeeded", recipients=buyer, title="Refund arrived", body="")
    now = timezone.now()
    with smtp_settings(free_port()):
        assert deliver_due_emails(now=now) == 1
    email = EmailMessage.objects.get()
    assert (email.state, email.attempts) == ("pending", 1)
    assert email.next_attempt_at == now + timedelta(seconds=30) and "connect" in email.last_error
    with SmtpServer() as smtp, smtp_settings(smtp.port):
        assert deliver_due_emails(now=now + timedelta(seconds=10)) == 0  # not due yet
        assert deliver_due_emails(now=now + timedelta(seconds=31)) == 1
        assert len(smtp.messages) == 1
    email.refresh_from_db()
    assert (email.state, email.attempts) == ("sent", 2)


# --- webhooks --------------------------------------------------------------------------------

def test_the_receiver_gets_a_signed_event_with_its_id_and_kind(order, endpoint_for):
    with WebhookReceiver(secret=SECRET) as receiver:
        endpoint = endpoint_for(receiver)
        notify(kind="cancellation_requested", recipients=[order.buyer], order=order, title="Requested",
               body="changed my mind", data={"reason": "changed_mind"})
        assert deliver_due_webhooks() == 1
    row = WebhookDelivery.objects.get()
    [request] = receiver.requests
    assert request["signed"] is True
    headers = request["headers"]
    assert headers["souk-event-id"] == str(row.event_id)
    assert headers["souk-event-kind"] == "cancellation_requested"
    assert headers["souk-signature"].startswith(f"t={headers['souk-timestamp']},v1=")
    body = json.loads(request["body"])
    assert body["id"] == str(row.event_id) and body["order"]["number"] == order.number
    assert body["data"] == {"reason": "changed_mind"}
    assert (row.state, row.response_status, row.attempts, row.endpoint_id) == ("delivered", 200, 1, endpoint.pk)
    assert receiver.processed == [str(row.event_id)]


def test_a_wrong_secret_is_refused_by_the_receiver_and_stays_pending(buyer, endpoint_for):
    with WebhookReceiver(secret=SECRET) as receiver:
        endpoint = endpoint_for(receiver)
        endpoint.secret = "whsec_someone_else"
        endpoint.save()
        notify(kind="order_cancelled", recipients=buyer, title="Cancelled", body="")
        deliver_due_webhooks()
    assert [r["signed"] for r in receiver.requests] == [False]
    row = WebhookDelivery.objects.get()
    assert (row.state, row.response_status, row.last_error) == ("pending", 400, "HTTP 400")
    assert receiver.processed == []


def test_after_a_500_the_worker_backs_off_and_retries_with_the_same_event_id(buyer, endpoint_for):
    with WebhookReceiver(secret=SECRET, script=[500, 500]) as receiver:
        endpoint_for(receiver)
        notify(kind="order_cancelled", recipients=buyer, title="Cancelled", body="")
        now = timezone.now()
        assert deliver_due_webhooks(now=now) == 1
        row = WebhookDelivery.objects.get()
        assert (row.state, row.attempts, row.response_status) == ("pending", 1, 500)
        assert row.next_attempt_at == now + timedelta(seconds=30)
        assert deliver_due_webhooks(now=now + timedelta(seconds=29)) == 0
        assert deliver_due_webhooks(now=now + timedelta(seconds=30)) == 1
        row.refresh_from_db()
        # Exponential: the second failure waits twice as long.
        assert (row.attempts, row.next_attempt_at) == (2, now + timedelta(seconds=30 + 60))
        assert deliver_due_webhooks(now=now + timedelta(seconds=90)) == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, row.response_status) == ("delivered", 3, 200)
    assert {r["headers"]["souk-event-id"] for r in receiver.requests} == {str(row.event_id)}
    assert len(receiver.requests) == 3 and receiver.processed == [str(row.event_id)]


def test_a_redelivery_after_a_lost_answer_is_dropped_by_the_receiver_by_event_id(buyer, endpoint_for):
    # The receiver processes the event but answers 500 (it crashed before replying): Souk retries.
    with WebhookReceiver(secret=SECRET, script=[500], crash_after_processing=True) as receiver:
        endpoint_for(receiver)
        notify(kind="order_cancelled", recipients=buyer, title="Cancelled", body="")
        now = timezone.now()
        deliver_due_webhooks(now=now)
        deliver_due_webhooks(now=now + timedelta(hours=1))
    row = WebhookDelivery.objects.get()
    assert row.state == "delivered"
    assert receiver.processed == [str(row.event_id)] and receiver.duplicates == [str(row.event_id)]


def test_a_worker_killed_after_sending_is_redelivered_exactly_once_more_when_its_lease_ends(buyer, endpoint_for):
    with WebhookReceiver(secret=SECRET) as receiver:
        endpoint = endpoint_for(receiver)
        notify(kind="order_cancelled", recipients=buyer, title="Cancelled", body="")
        now = timezone.now()
        # Worker A claims the row and POSTs it, then dies before recording the result.
        [claimed] = delivery._claim(WebhookDelivery, ids=None, now=now, limit=10)
        assert delivery.post_webhook(endpoint, claimed) == 200
        # While A's lease runs, nobody else takes the row.
        assert deliver_due_webhooks(now=now + timedelta(seconds=59)) == 0
        # The lease ends: worker B sends it again, once.
        assert deliver_due_webhooks(now=now + timedelta(seconds=61)) == 1
        assert deliver_due_webhooks(now=now + timedelta(days=1)) == 0
    row = WebhookDelivery.objects.get()
    assert (row.state, row.attempts) == ("delivered", 2)
    assert len(receiver.requests) == 2
    assert receiver.processed == [str(row.event_id)] and receiver.duplicates == [str(row.event_id)]
    # A's late write is fenced off: the row is no longer the one A claimed.
    assert delivery._still_ours(WebhookDelivery, claimed).update(state="failed") == 0


@override_settings(SOUK={"NOTIFY_MAX_ATTEMPTS": 2})
def test_the_worker_gives_up_after_the_last_attempt_and_staff_see_it_failed(buyer, endpoint_for):
    with WebhookReceiver(secret=SECRET, script=[503, 503, 503]) as receiver:
        endpoint_for(receiver)
        notify(kind="order_cancelled", recipients=buyer, title="Cancelled", body="")
        now = timezone.now()
        deliver_due_webhooks(now=now)
        deliver_due_webhooks(now=now + timedelta(hours=1))
        assert deliver_due_webhooks(now=now + timedelta(days=30)) == 0
    row = WebhookDelivery.objects.get()
    assert (row.state, row.attempts, row.response_status, row.last_error) == ("failed", 2, 503, "HTTP 503")
    assert len(receiver.requests) == 2


def test_a_refused_connection_is_a_retryable_failure(buyer, db):
    WebhookEndpointFactory(url=f"http://127.0.0.1:{free_port()}/gone", secret=SECRET)
    notify(kind="order_cancelled", recipients=buyer, title="Cancelled", body="")
    assert deliver_due_webhooks() == 1
    row = WebhookDelivery.objects.get()
    assert (row.state, row.attempts, row.response_status) == ("pending", 1, None)
    assert "Connection refused" in row.last_error or "URLError" in row.last_error


@pytest.mark.django_db(transaction=True)
def test_the_worker_command_delivers_webhooks_enqueued_after_commit(buyer, endpoint_for):
    with WebhookReceiver(secret=SECRET) as receiver:
        endpoint_for(receiver)
        with transaction.atomic():
            notify(kind="order_cancelled", recipients=buyer, title="Cancelled", body="")
        call_command("worker", batch=True, no_sweeps=True, verbosity=0)
    assert WebhookDelivery.objects.get().state == "delivered"
    assert len(receiver.processed) == 1


def test_the_sweep_alone_delivers_what_no_task_was_enqueued_for(buyer, endpoint_for):
    with WebhookReceiver(secret=SECRET) as receiver:
        endpoint_for(receiver)
        notify(kind="order_cancelled", recipients=buyer, title="Cancelled", body="")  # on_commit never runs here
        sweep = {s.name: s for s in registered_sweeps()}["notifications_outbox"]
        assert sweep.func() == 2  # the email (locmem in tests) and the webhook
    assert WebhookDelivery.objects.get().state == "delivered"
    assert EmailMessage.objects.get().state == "sent"


def test_a_deleted_endpoint_gets_nothing_more(buyer, endpoint_for):
    with WebhookReceiver(secret=SECRET) as receiver:
        endpoint = endpoint_for(receiver)
        notify(kind="order_cancelled", recipients=buyer, title="Cancelled", body="")
        from souk.notifications.services import webhook_endpoint_delete

        webhook_endpoint_delete(actor=UserFactory(is_staff=True), endpoint_id=endpoint.pk)
        assert deliver_due_webhooks() == 0
    assert receiver.requests == []
    assert WebhookDelivery.objects.get().state == "failed"


def test_an_email_whose_worker_died_is_sent_once_more_after_the_lease(buyer):
    notify(kind="order_cancelled", recipients=buyer, title="Cancelled", body="")
    now = timezone.now()
    [claimed] = delivery._claim(EmailMessage, ids=None, now=now, limit=10)  # worker A claims, then dies
    with SmtpServer() as smtp, smtp_settings(smtp.port):
        assert deliver_due_emails(now=now + timedelta(seconds=30)) == 0  # A's lease still runs
        assert deliver_due_emails(now=now + timedelta(seconds=61)) == 1
        assert deliver_due_emails(now=now + timedelta(days=1)) == 0
        assert [m.rcpt_tos for m in smtp.messages] == [[buyer.email]]
    email = EmailMessage.objects.get()
    assert (email.state, email.attempts) == ("sent", 2)
    assert delivery._still_ours(EmailMessage, claimed).update(state="failed") == 0


@override_settings(SOUK={"WEBHOOK_TIMEOUT_SECONDS": 1})
def test_an_endpoint_that_times_out_costs_one_timeout_per_batch_not_one_per_event(buyer):
    import socket
    import time

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections, never answers
    try:
        WebhookEndpointFactory(url=f"http://127.0.0.1:{silent.getsockname()[1]}/slow", secret=SECRET)
        for _ in range(3):
            notify(kind="order_cancelled", recipients=buyer, title="Cancelled", body="")
        now = timezone.now()
        started = time.monotonic()
        assert deliver_due_webhooks(now=now) == 3
        assert time.monotonic() - started < 2.5
    finally:
        silent.close()
    rows = list(WebhookDelivery.objects.order_by("id"))
    assert [r.attempts for r in rows] == [1, 0, 0]
    assert "timed out" in rows[0].last_error.lower()
    assert all(r.state == "pending" and r.next_attempt_at == now + timedelta(seconds=30) for r in rows)
