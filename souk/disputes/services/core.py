"""What every dispute step shares: locking (the order row first, then the dispute), the policy check,
the timeline event, telling the other party, and closing with a decision (the money through
payments' refund path; the rest of the escrow released to the seller by payments)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from souk.catalog.services import store_return_address
from souk.core.errors import Conflict, Forbidden, NotFound
from souk.core.money import format_money
from souk.disputes import notify
from souk.disputes.conf import days, setting
from souk.disputes.error_codes import ErrorCode
from souk.disputes.models import DecidedBy, Decision, Dispute, Offer, Outcome, State
from souk.disputes.policy import SELLER_PAYS_RETURN, Act, DisputeFacts, Party, Verdict, decide
from souk.ledger.selectors import order_held_minor
from souk.orders import events
from souk.orders.models import Order
from souk.orders.services import lock_order, order_unfreeze, transition
from souk.orders.status import Action, Status
from souk.payments.models import Refund
from souk.payments.selectors import captured_payment
from souk.payments.services.refunds import refund_create_locked

ROLE_WORDS = {"buyer": "The buyer", "seller": "The seller", "staff": "Souk", "system": "Souk"}


class DisputeRefused(Conflict):
    """The dispute policy says no: the body carries its `why_not` and `next_step` for a person."""

    code = ErrorCode.DISPUTE_NOT_ALLOWED

    def __init__(self, verdict: Verdict):
        super().__init__(verdict.why_not, code=verdict.code or self.code)
        self.why_not = verdict.why_not
        self.next_step = verdict.next_step

    def as_dict(self) -> dict:
        return {**super().as_dict(), "why_not": self.why_not, "next_step": self.next_step, "next_action": ""}


def not_found() -> NotFound:
    return NotFound("Dispute not found.", code=ErrorCode.DISPUTE_NOT_FOUND)


def visibility(user, party: Party | str) -> dict[str, Any]:
    """Who sees a dispute: its buyer, its store's owner, or staff (anyone else: 403 for staff paths)."""
    party = Party(party)
    if party is Party.BUYER:
        return {"buyer": user}
    if party is Party.SELLER:
        return {"store__owner": user}
    if not getattr(user, "is_staff", False):
        raise Forbidden("Only Souk staff can do this.", code="staff_only")
    return {}


def lock(*, dispute_id: int, user, party: Party | str) -> tuple[Order, Dispute]:
    """The dispute's order (locked first, with its parties), then the dispute row, locked; NotFound
    for a dispute `user` does not take part in as `party`. Always in this order: no deadlock."""
    order_id = (
        Dispute.objects.filter(pk=dispute_id, **visibility(user, party))
        .values_list("order_id", flat=True)
        .first()
    )
    if order_id is None:
        raise not_found()
    order = lock_order(order_id=order_id, parties=True)
    return order, Dispute.objects.select_for_update().get(pk=dispute_id)


def facts(dispute: Dispute) -> DisputeFacts:
    prefetched = getattr(dispute, "_prefetched_objects_cache", {}).get("offers")
    if prefetched is not None:  # a list page's prefetch (ordered by id): no query per dispute
        last = max(prefetched, key=lambda o: o.pk, default=None)
    else:
        last = dispute.offers.order_by("-id").first()
    return DisputeFacts(
        state=dispute.state,
        opened_at=dispute.opened_at,
        negotiate_until=dispute.negotiate_until,
        last_offer_party=last.party if last else "buyer",
        last_offer_is_rejection=bool(last and not last.kind),
        evidence_from=dispute.evidence_from,
        return_arrived=dispute.return_arrived_at is not None,
    )


def check(dispute: Dispute, party: Party | str, act: Act, now: datetime) -> None:
    verdict = decide(
        facts(dispute), party, act, now, escalate_after_days=setting("DISPUTE_ESCALATE_AFTER_DAYS")
    )
    if not verdict.allowed:
        raise DisputeRefused(verdict)


def set_due(dispute: Dispute, at: datetime | None, party: str) -> None:
    """A new deadline: its reminder is still to send."""
    dispute.due_at, dispute.due_party, dispute.reminded_at = at, party if at else "", None


def save(dispute: Dispute, now: datetime) -> None:
    dispute.updated_at = now
    dispute.save()


def record(
    order: Order,
    dispute: Dispute,
    *,
    kind: str,
    actor,
    actor_role: str,
    message: str,
    now: datetime,
    data: dict | None = None,
) -> None:
    """The step on the order's timeline (docs/disputes.md, Timeline)."""
    events.record(
        order_id=order.pk,
        kind=kind,
        actor_role=actor_role,
        actor=actor,
        now=now,
        message=message[:240],
        data={"dispute_id": dispute.pk, "state": dispute.state, **(data or {})},
    )


def other(order: Order, party: str) -> list:
    """Who is told about a step `party` took: the other side (both, for Souk's and the system's)."""
    if party == "buyer":
        return [order.store.owner]
    if party == "seller":
        return [order.buyer]
    return [order.buyer, order.store.owner]


def money_text(minor: int | None, currency: str) -> str:
    return format_money(minor or 0, currency)


def add_offer(
    dispute: Dispute, *, party: str, kind: str, amount_minor: int, note: str, now: datetime
) -> Offer:
    return Offer.objects.create(
        dispute=dispute, party=party, kind=kind, amount_minor=amount_minor, note=note, created_at=now
    )


def agree(
    order: Order,
    dispute: Dispute,
    *,
    kind: str,
    amount_minor: int,
    decided_by: str,
    decider,
    actor_role: str,
    now: datetime,
    tasks: list,
    note: str = "",
) -> Dispute:
    """Both sides agreed (or silence, or staff decided): a refund now, or a return first."""
    if kind == "refund_only":
        return close(
            order,
            dispute,
            outcome=Outcome.REFUNDED,
            kind=kind,
            amount_minor=amount_minor,
            decided_by=decided_by,
            decider=decider,
            actor_role=actor_role,
            now=now,
            tasks=tasks,
            note=note,
        )
    dispute.state = State.AWAITING_RETURN
    dispute.agreed_kind, dispute.agreed_minor, dispute.agreed_by, dispute.agreed_at = (
        kind,
        amount_minor,
        decided_by,
        now,
    )
    dispute.return_payer = "seller" if dispute.reason in SELLER_PAYS_RETURN else "buyer"
    dispute.return_address = store_return_address(store_id=order.store_id)
    set_due(dispute, now + days("DISPUTE_RETURN_SHIP_DAYS"), "buyer")
    save(dispute, now)
    amount = money_text(amount_minor, order.currency)
    where = dispute.return_address or "the address the seller gives in the order's messages"
    record(
        order,
        dispute,
        kind="dispute_offer",
        actor=decider,
        actor_role=actor_role,
        now=now,
        message=f"Return and refund of {amount} agreed.",
        data={
            "action": "agreed",
            "decided_by": decided_by,
            "kind": kind,
            "amount_minor": amount_minor,
            "return_payer": dispute.return_payer,
        },
    )
    notify.tell_parties(
        order=order,
        dispute=dispute,
        kind="dispute_return_agreed",
        to=[order.buyer, order.store.owner],
        actor=decider,
        tasks=tasks,
        title=f"Order {order.number}: return and refund agreed",
        body=(
            f"A return and refund of {amount} was agreed for order {order.number}. Send the item "
            f"to: {where}. Return shipping is paid by the {dispute.return_payer}. Enter the "
            f"carrier and tracking number by {dispute.due_at:%d %b %Y}."
        ),
        data={"amount_minor": amount_minor, "return_payer": dispute.return_payer},
    )
    return dispute


def close(
    order: Order,
    dispute: Dispute,
    *,
    outcome: str,
    kind: str = "",
    amount_minor: int = 0,
    decided_by: str = "",
    decider=None,
    actor_role: str,
    now: datetime,
    tasks: list,
    note: str = "",
) -> Dispute:
    """Close the dispute: the decision recorded, the money moved (a refund out of escrow through
    payments; the rest released to the seller once the refund settles), the order unfrozen."""
    refund = None
    if outcome == Outcome.REFUNDED:
        amount_minor = min(amount_minor, order_held_minor(order.pk, order.currency))
        if amount_minor > 0:
            refund = refund_create_locked(
                order=order,
                payment=captured_payment(order_id=order.pk),
                amount_minor=amount_minor,
                reason="dispute",
                actor=decider,
                actor_role=actor_role,
                idempotency_key=f"dispute-{dispute.pk}",
                now=now,
            )
            if refund.state == Refund.State.PENDING:
                from souk.payments.tasks import process_refund

                tasks.append((process_refund, (refund.pk,)))
    else:
        amount_minor = 0
    against = refund is not None
    Decision.objects.create(
        dispute=dispute,
        decided_by=decided_by,
        decider=decider,
        outcome=outcome,
        kind=kind,
        amount_minor=amount_minor,
        against_seller=against,
        note=note[:1000],
        refund=refund,
        created_at=now,
    )
    dispute.state, dispute.outcome, dispute.closed_at = State.CLOSED, outcome, now
    set_due(dispute, None, "")
    save(dispute, now)
    if against and order.status == Status.AWAITING_DELIVERY:
        transition(
            order=order,
            action=Action.CONFIRM_RECEIPT,
            actor=None,
            actor_role="system",
            now=now,
            message="Completed: the dispute was settled with a refund.",
            data={"why": "dispute_settled", "dispute_id": dispute.pk},
        )
    # Settled with a refund: the order completes first, so no protection clock is moved needlessly;
    # otherwise buyer protection gets back the time it had left.
    order_unfreeze(order=order, now=now)
    if order.status == Status.COMPLETED:
        # The rest goes to the seller less commission; payments waits for the refund to settle first.
        from souk.payments.tasks import release_escrow_after_commit

        release_escrow_after_commit(order_id=order.pk)
    label = Outcome(outcome).label
    text = (
        f"Dispute closed: {label}"
        + (f", {money_text(amount_minor, order.currency)} refunded" if against else "")
        + "."
    )
    record(
        order,
        dispute,
        kind="dispute_closed",
        actor=decider,
        actor_role=actor_role,
        now=now,
        message=text,
        data={
            "outcome": outcome,
            "against_seller": against,
            "decided_by": decided_by,
            "kind": kind,
            "amount_minor": amount_minor,
            "refund_id": refund.pk if refund else None,
        },
    )
    refund_text = (
        f" A refund of {money_text(amount_minor, order.currency)} has started; expect it by "
        f"{refund.expected_by:%d %b %Y}."
        if refund
        else ""
    )
    notify.tell_parties(
        order=order,
        dispute=dispute,
        kind="dispute_closed",
        to=[order.buyer, order.store.owner],
        actor=decider,
        tasks=tasks,
        title=f"Order {order.number}: dispute closed",
        body=f"The dispute on order {order.number} is closed: {label}.{refund_text}",
        data={"outcome": outcome, "amount_minor": amount_minor, "refund_id": refund.pk if refund else None},
    )
    return dispute


@contextmanager
def step(
    *, dispute_id: int, user, party: Party | str, act: Act, now: datetime
) -> Iterator[tuple[Order, Dispute, list]]:
    """One dispute step's transaction: the order and the dispute locked (`lock`), the policy checked
    for `act` under the lock (`check`), and the task rows the step collects in `tasks` written
    before it commits (`finish`)."""
    with transaction.atomic():
        order, dispute = lock(dispute_id=dispute_id, user=user, party=party)
        check(dispute, party, act, now)
        tasks: list = []
        yield order, dispute, tasks
        finish(tasks)


def finish(tasks: list) -> None:
    """The refund's processing and the notifications' delivery: task rows in the caller's transaction."""
    from souk.core.tasks import enqueue_together

    enqueue_together(tasks)


def escalate_locked(
    order: Order, dispute: Dispute, *, by: str, actor, now: datetime, tasks: list, note: str = ""
) -> Dispute:
    dispute.state, dispute.escalated_at, dispute.escalated_by = State.ESCALATED, now, by
    set_due(dispute, None, "")
    save(dispute, now)
    who = {"buyer": "The buyer", "seller": "The seller", "system": "The negotiation time ended:"}[by]
    record(
        order,
        dispute,
        kind="dispute_escalated",
        actor=actor,
        actor_role=by,
        now=now,
        message=f"{who} asked Souk to decide." if by != "system" else f"{who} Souk decides.",
        data={"by": by, "note": note},
    )
    notify.tell_parties(
        order=order,
        dispute=dispute,
        kind="dispute_escalated",
        actor=actor,
        tasks=tasks,
        to=other(order, by),
        title=f"Order {order.number}: dispute escalated to Souk",
        body=(
            f"The dispute on order {order.number} went to Souk for a decision "
            f"({'negotiation time ended' if by == 'system' else 'asked by the ' + by}). "
            "Add any evidence you have; Souk staff will decide."
        ),
        data={"by": by},
    )
    return dispute


def negotiate_days_from(now: datetime) -> datetime:
    return now + days("DISPUTE_NEGOTIATE_DAYS")


def respond_by_from(now: datetime) -> datetime:
    return now + days("DISPUTE_SELLER_RESPOND_DAYS")


def receive_by(arrived: datetime) -> datetime:
    return arrived + days("DISPUTE_RETURN_RECEIVE_DAYS")


def transit_days() -> timedelta:
    return days("DISPUTE_RETURN_TRANSIT_DAYS")


__all__ = [
    "DecidedBy",
    "DisputeRefused",
    "agree",
    "check",
    "close",
    "escalate_locked",
    "facts",
    "finish",
    "lock",
    "not_found",
    "record",
    "visibility",
]
