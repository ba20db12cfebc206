"""Several workers on PostgreSQL: SKIP LOCKED shares the outbox, nothing is sent twice."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connections

from souk.notifications.delivery import deliver_due_webhooks
from souk.notifications.models import WebhookDelivery
from souk.notifications.services import notify
from tests.factories import UserFactory, WebhookEndpointFactory
from tests.notifications.receivers import WebhookReceiver


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_three_workers_draining_the_same_due_webhooks_send_each_event_exactly_once():
    user = UserFactory()
    with WebhookReceiver(secret="whsec_race") as receiver:
        WebhookEndpointFactory(url=receiver.url, secret=receiver.secret)
        for i in range(24):
            notify(kind="order_cancelled", recipients=user, title=f"Cancelled {i}", body="")
        barrier = threading.Barrier(3)
        done: list[int] = []
        errors: list[str] = []

        def worker() -> None:
            try:
                barrier.wait()
                total = 0
                while finished := deliver_due_webhooks(limit=4):
                    total += finished
                done.append(total)
            except Exception as exc:  # noqa: BLE001
                errors.append(repr(exc))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert sum(done) == 24
    sent = Counter(r["headers"]["souk-event-id"] for r in receiver.requests)
    assert len(sent) == 24 and set(sent.values()) == {1}
    assert receiver.duplicates == []
    assert set(WebhookDelivery.objects.values_list("state", "attempts")) == {("delivered", 1)}
