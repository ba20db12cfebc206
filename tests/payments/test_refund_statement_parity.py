"""A refund's gateway steps write the same rows whether PostgreSQL does it in one statement per step
(`_claim_write_pg`, `_record_pg`) or the ORM does it (the path SQLite takes): the refund's state,
attempts, lease and ARN, the attempt history, and the ledger entries — for a refund that settles,
one the bank rejects, and one whose first worker died mid-call (its attempt abandoned)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from souk.ledger.models import JournalEntry
from souk.payments.models import Refund, RefundAttempt
from souk.payments.services import refund_create, refund_process
from souk.payments.services import refunds as refunds_module
from tests.ledger.audit import assert_audit_clean
from tests.payments.test_money_walkthroughs import pay, usd

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SKIP = {"id", "refund_id", "order_id", "payment_id", "created_at", "updated_at", "started_at", "finished_at",
        "settled_at", "next_attempt_at", "flagged_at", "gateway_ref", "arn", "idempotency_key", "expected_by"}


def _written(refund: Refund) -> tuple:
    refund.refresh_from_db()
    row = {k: v for k, v in vars(refund).items() if not k.startswith("_") and k not in SKIP}
    flags = (bool(refund.gateway_ref), len(refund.arn), refund.next_attempt_at is None, refund.flagged_at is None,
             refund.settled_at is None)
    attempts = [{k: v for k, v in a.items() if k not in SKIP}
                for a in RefundAttempt.objects.filter(refund=refund).order_by("number").values()]
    entries = [(e.kind, e.memo.split(" ")[0], sorted(e.lines.values_list("account_id", "amount_minor")))
               for e in JournalEntry.objects.filter(refund_id=refund.pk).order_by("id")]
    return row, flags, attempts, entries


def _run(buyer, place_order, *, amount: str, crash_first: bool) -> tuple:
    order = place_order(gadgets=2)
    pay(buyer, order)
    refund = refund_create(order_id=order.pk, amount=usd(amount), reason="buyer_cancelled", actor=None,
                           idempotency_key=f"parity-{order.pk}")
    if crash_first:  # a worker claimed it, then died before recording anything: its lease runs out
        refunds_module._claim(refund.pk, timezone.now(), True)
        Refund.objects.filter(pk=refund.pk).update(next_attempt_at=timezone.now())
    refund_process(refund_id=refund.pk, force=True)
    refund_process(refund_id=refund.pk, force=True)
    return _written(refund)


@pytest.mark.parametrize(("amount", "crash_first"), [("43", False), ("43", True),
                                                     ("10.14", False)])  # .14: the sandbox bank rejects it
def test_the_one_statement_refund_steps_write_what_the_orm_path_writes(buyer, place_order, settle_now,
                                                                       monkeypatch, amount, crash_first):
    fast = _run(buyer, place_order, amount=amount, crash_first=crash_first)
    monkeypatch.setattr(refunds_module, "_one_statement", lambda: False)
    orm = _run(buyer, place_order, amount=amount, crash_first=crash_first)
    assert fast == orm
    assert_audit_clean()
