"""The dispute's deadlines: `Dispute.due_at` read with its state (docs/disputes.md, Deadlines). The
column is the truth; `disputes_due` (a sweep, `FOR UPDATE SKIP LOCKED`) finishes what is due, so a
worker killed at any point still reaches the right end:

| state | due_at | silence |
| --- | --- | --- |
| open | the seller's answer-by | the buyer's request is accepted (`silence`) |
| negotiating | the end of negotiation | escalated to Souk |
| escalated (evidence asked) | the evidence deadline | the request lapses; staff decide with what they have |
| awaiting_return | the buyer's ship-back-by | closed in the seller's favour (`return_not_shipped`) |
| return_shipped | arrival + the seller's receive-by | the agreed refund is made |

Each row is locked with the order first (the same order every service uses), its state and deadline
re-checked under the lock: a service that moved it on first leaves the sweep nothing to do.
`disputes_to_remind` tells the party who owes the action, once, `DISPUTE_REMIND_HOURS` before.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from souk.disputes import notify
from souk.disputes.conf import setting
from souk.disputes.models import DecidedBy, Dispute, Outcome, State
from souk.disputes.services.core import agree, close, escalate_locked, finish, record, save, set_due
from souk.orders.services import lock_order_if_free

logger = logging.getLogger("souk.disputes.timers")


def _expire(order, dispute: Dispute, now: datetime, tasks: list) -> None:
    state = dispute.state
    if state == State.OPEN:
        offer = dispute.offers.order_by("-id").first()
        record(
            order,
            dispute,
            kind="dispute_offer",
            actor=None,
            actor_role="system",
            now=now,
            message="The seller did not answer in time: the buyer's request is accepted.",
            data={
                "action": "accept",
                "party": "seller",
                "silence": True,
                "kind": offer.kind,
                "amount_minor": offer.amount_minor,
            },
        )
        agree(
            order,
            dispute,
            kind=offer.kind,
            amount_minor=offer.amount_minor,
            decided_by=DecidedBy.SILENCE,
            decider=None,
            actor_role="system",
            now=now,
            tasks=tasks,
        )
    elif state == State.NEGOTIATING:
        escalate_locked(order, dispute, by="system", actor=None, now=now, tasks=tasks)
    elif state == State.ESCALATED:
        party = dispute.evidence_from
        dispute.evidence_from, dispute.evidence_note = "", ""
        set_due(dispute, None, "")
        save(dispute, now)
        record(
            order,
            dispute,
            kind="dispute_evidence",
            actor=None,
            actor_role="system",
            now=now,
            message=f"The {party or 'party'} did not send the evidence asked for in time; Souk decides without it.",
            data={"action": "lapsed", "party": party},
        )
    elif state == State.AWAITING_RETURN:
        close(
            order,
            dispute,
            outcome=Outcome.RETURN_NOT_SHIPPED,
            decided_by=dispute.agreed_by,
            actor_role="system",
            now=now,
            tasks=tasks,
            note="The buyer did not send the return in time.",
        )
    elif state == State.RETURN_SHIPPED:
        record(
            order,
            dispute,
            kind="dispute_return",
            actor=None,
            actor_role="system",
            now=now,
            message="The seller did not confirm the return in time: the refund is made.",
            data={"action": "received", "silence": True},
        )
        close(
            order,
            dispute,
            outcome=Outcome.REFUNDED,
            kind=dispute.agreed_kind,
            amount_minor=dispute.agreed_minor or 0,
            decided_by=dispute.agreed_by,
            actor_role="system",
            now=now,
            tasks=tasks,
        )


def _lock_due(order_id: int, dispute_id: int, now: datetime):
    """The order, locked first as services lock it (SKIP LOCKED: one a service or another worker holds
    is left for the next sweep), then the dispute if it is still due; (None, None) otherwise."""
    order = lock_order_if_free(order_id=order_id, parties=True)
    if order is None:
        return None, None
    dispute = (
        Dispute.objects.select_for_update()
        .filter(pk=dispute_id, due_at__lte=now)
        .exclude(state=State.CLOSED)
        .first()
    )
    return order, dispute


def disputes_due(
    *, limit: int | None = None, now: datetime | None = None, dispute_ids: list[int] | None = None
) -> int:
    """Sweep: finish a batch of disputes whose deadline passed (see the module docstring)."""
    now = now or timezone.now()
    limit = limit or setting("DISPUTE_TIMER_BATCH")
    qs = Dispute.objects.filter(due_at__lte=now).exclude(state=State.CLOSED)
    if dispute_ids is not None:
        qs = qs.filter(pk__in=dispute_ids)
    with transaction.atomic():
        due = list(qs.order_by("due_at", "pk").values_list("order_id", "pk")[:limit])
        done = 0
        with notify.coalesced_on_commit():
            tasks: list = []
            for order_id, dispute_id in due:
                try:
                    with transaction.atomic():  # savepoint: one bad row does not undo the batch
                        order, dispute = _lock_due(order_id, dispute_id, now)
                        if dispute is None:
                            continue
                        _expire(order, dispute, now, tasks)
                    done += 1
                except Exception:
                    logger.exception(
                        "dispute %s deadline could not be finished; retried next sweep", dispute_id
                    )
            finish(tasks)
    return done


REMIND_TEXT = {
    State.OPEN: "answer the buyer's dispute (accept, make an offer or reject); silence accepts the request",
    State.NEGOTIATING: "answer the latest offer; after the deadline Souk decides",
    State.ESCALATED: "send the evidence Souk asked for",
    State.AWAITING_RETURN: "send the item back and enter its tracking number, or the dispute closes for the seller",
    State.RETURN_SHIPPED: "confirm receiving the return, or the refund is made automatically",
}


def disputes_to_remind(*, limit: int | None = None, now: datetime | None = None) -> int:
    """Sweep: remind the party who owes the action, once per deadline (`reminded_at`)."""
    now = now or timezone.now()
    limit = limit or setting("DISPUTE_TIMER_BATCH")
    soon = now + timedelta(hours=float(setting("DISPUTE_REMIND_HOURS")))
    with transaction.atomic():
        disputes = list(
            Dispute.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("order", "order__buyer", "order__store__owner")
            .filter(due_at__lte=soon, due_at__gt=now, reminded_at__isnull=True)
            .exclude(state=State.CLOSED)
            .exclude(due_party="")
            .order_by("due_at")[:limit]
        )
        if not disputes:
            return 0
        tasks: list = []
        with notify.coalesced_on_commit():
            for d in disputes:
                order = d.order
                who = order.buyer if d.due_party == "buyer" else order.store.owner
                notify.tell_parties(
                    order=order,
                    dispute=d,
                    kind="dispute_reminder",
                    to=[who],
                    message=False,
                    tasks=tasks,
                    title=f"Order {order.number}: dispute deadline tomorrow",
                    body=(
                        f"Reminder for order {order.number}: by {d.due_at:%d %b %Y, %H:%M} UTC, "
                        f"{REMIND_TEXT[State(d.state)]}."
                    ),
                    data={"due_at": d.due_at.isoformat(), "party": d.due_party},
                )
            Dispute.objects.filter(pk__in=[d.pk for d in disputes]).update(reminded_at=now)
            finish(tasks)
    return len(disputes)
