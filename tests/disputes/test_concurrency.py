"""Real threads on PostgreSQL: each race ends in exactly one consistent outcome, at most one refund,
and the ledger audit clean."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from souk.core.errors import DomainError
from souk.disputes.models import Decision, Dispute
from souk.disputes.services import (
    dispute_accept,
    dispute_decide,
    dispute_escalate,
    dispute_open,
    dispute_reject,
    disputes_due,
)
from souk.ledger.selectors import order_held_minor
from souk.orders.models import Order
from souk.payments.models import Refund
from souk.payments.services import protection_ended_due
from tests.ledger.audit import assert_audit_clean
from tests.support import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def opened(buyer, order, days_ago: float = 0):
    return dispute_open(
        buyer=buyer,
        order_id=order.pk,
        reason="damaged",
        kind="refund_only",
        amount_minor=1500,
        description="Cracked.",
        now=timezone.now() - timedelta(days=days_ago),
    )


@pytest.mark.parametrize("attempt", range(3))
def test_the_seller_accepts_while_the_buyer_escalates(buyer, seller, shipped_order, attempt):
    order = shipped_order()
    dispute = opened(buyer, order, days_ago=4)
    accept, escalate = race(
        lambda: dispute_accept(user=seller, party="seller", dispute_id=dispute.pk),
        lambda: dispute_escalate(user=buyer, party="buyer", dispute_id=dispute.pk),
    )
    dispute.refresh_from_db()
    refunds = Refund.objects.filter(order=order).count()
    if dispute.state == "closed":
        assert isinstance(escalate, DomainError) and not isinstance(accept, Exception) and refunds == 1
    else:
        assert dispute.state == "escalated" and isinstance(accept, DomainError) and refunds == 0
    assert_audit_clean()


@pytest.mark.parametrize("attempt", range(3))
def test_the_deadline_sweep_against_the_sellers_answer(buyer, seller, shipped_order, attempt):
    order = shipped_order()
    dispute = opened(buyer, order)
    Dispute.objects.filter(pk=dispute.pk).update(due_at=timezone.now() - timedelta(seconds=1))
    answer, swept = race(
        lambda: dispute_reject(seller=seller, dispute_id=dispute.pk, note="Not damaged."),
        lambda: disputes_due(),
    )
    dispute.refresh_from_db()
    if dispute.state == "closed":  # silence won: the buyer's request was accepted
        assert (
            isinstance(answer, DomainError) and Decision.objects.get(dispute=dispute).decided_by == "silence"
        )
        assert Refund.objects.filter(order=order).count() == 1
    else:
        assert dispute.state == "negotiating" and not isinstance(answer, Exception) and swept == 0
        assert not Refund.objects.filter(order=order).exists()
    assert_audit_clean()


@pytest.mark.parametrize("attempt", range(3))
def test_two_staff_decide_at_once(buyer, staff, shipped_order, attempt):
    from tests.factories import UserFactory

    other_staff = UserFactory(email=f"staff2-{attempt}@example.com", is_staff=True)
    order = shipped_order()
    dispute = opened(buyer, order, days_ago=4)
    dispute_escalate(user=buyer, party="buyer", dispute_id=dispute.pk)
    first, second = race(
        lambda: dispute_decide(
            staff=staff, dispute_id=dispute.pk, outcome="partial_refund", amount_minor=1000, note="Half."
        ),
        lambda: dispute_decide(staff=other_staff, dispute_id=dispute.pk, outcome="reject", note="No."),
    )
    assert [isinstance(r, DomainError) for r in (first, second)].count(True) == 1
    assert Decision.objects.filter(dispute=dispute).count() == 1
    assert Refund.objects.filter(order=order).count() == (1 if not isinstance(first, Exception) else 0)
    assert_audit_clean()


@pytest.mark.parametrize("attempt", range(3))
def test_a_dispute_opened_while_the_protection_sweep_releases_the_escrow(buyer, shipped_order, attempt):
    order = shipped_order()
    ends = order.protection_ends_at
    opening, swept = race(
        lambda: dispute_open(
            buyer=buyer,
            order_id=order.pk,
            reason="damaged",
            kind="refund_only",
            description="Cracked.",
            now=ends - timedelta(minutes=1),
        ),
        lambda: protection_ended_due(now=ends + timedelta(seconds=1)),
    )
    order = Order.objects.get(pk=order.pk)
    if isinstance(opening, Exception):  # the sweep won: completed, paid out, and no dispute
        assert opening.code == "escrow_already_released" and swept == 1
        assert order.status == "completed" and order_held_minor(order.pk, "USD") == 0
        assert not Dispute.objects.filter(order=order).exists()
    else:  # the dispute won: frozen, still held, protection not ended
        assert swept == 0 and order.status == "awaiting_delivery" and order.frozen_at is not None
        assert order_held_minor(order.pk, "USD") == 4300
    assert_audit_clean()
