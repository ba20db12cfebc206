"""The dispute's use cases: one function = one transaction, the order row locked first, the policy
re-checked under the lock, bad input refused before anything is written (docs/disputes.md)."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from souk.core.errors import ErrorCollector
from souk.disputes import notify
from souk.disputes.conf import days, setting
from souk.disputes.models import DecidedBy, Dispute, Kind, Offer, Outcome, Reason, State
from souk.disputes.policy import Act, OrderFacts, Party, may_open
from souk.disputes.policy import _no as refuse
from souk.disputes.services.core import (
    DisputeRefused,
    add_offer,
    agree,
    close,
    escalate_locked,
    finish,
    money_text,
    negotiate_days_from,
    other,
    receive_by,
    record,
    respond_by_from,
    save,
    set_due,
    step,
    transit_days,
)
from souk.ledger.selectors import order_held_minor
from souk.orders.lines import check_lines, goods_minor, line_states
from souk.orders.models import Order
from souk.orders.services import lock_order, order_freeze
from souk.orders.status import PAID
from souk.orders.tracking import clean_tracking
from souk.payments.policy import lines_refund_minor
from souk.payments.selectors import refunded_lines

DESCRIPTION_MAX = 2000
NOTE_MAX = 1000

__all__ = [
    "dispute_accept",
    "dispute_confirm_return",
    "dispute_counter",
    "dispute_decide",
    "dispute_escalate",
    "dispute_open",
    "dispute_reject",
    "dispute_request_evidence",
    "dispute_return_arrived",
    "dispute_return_tracking",
    "dispute_withdraw",
    "order_facts",
]


def _text(errors: ErrorCollector, value: str | None, field: str, max_length: int, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        errors.add(
            field, "required", "Tell us what happened." if field == "description" else "Give your reasons."
        )
    elif len(value) > max_length:
        errors.add(field, "too_long", f"At most {max_length} characters.")
    return value


def _kind(errors: ErrorCollector, kind: str) -> None:
    if kind not in Kind.values:
        errors.add("kind", "invalid_kind", f"kind is one of: {', '.join(Kind.values)}.")


def _amount(errors: ErrorCollector, amount_minor: int | None, held: int, currency: str) -> None:
    if amount_minor is None:
        return
    if amount_minor <= 0:
        errors.add("amount", "amount_not_positive", "Amount must be greater than zero.")
    elif amount_minor > held:
        errors.add(
            "amount", "amount_too_high", f"At most {money_text(held, currency)}: what the order still holds."
        )


def order_facts(order: Order, *, held: int | None = None) -> OrderFacts:
    """What the opening policy sees of `order` (the escrow read from the ledger after the lock)."""
    if held is None:
        held = order_held_minor(order.pk, order.currency) if order.status in PAID else 0
    return OrderFacts(
        status=order.status,
        shipped_at=order.shipped_at,
        delivery_max_days=order.delivery_max_days,
        protection_ends_at=order.protection_ends_at,
        completed_at=order.completed_at,
        escrow_settled=order.escrow_settled_at is not None,
        held_minor=held,
        open_dispute=Dispute.objects.filter(order_id=order.pk).exclude(state=State.CLOSED).exists(),
    )


def opening_verdict(order: Order, reason: str, now: datetime, *, held: int | None = None):
    return may_open(
        order_facts(order, held=held),
        reason,
        now,
        not_received_after_days=setting("DISPUTE_NOT_RECEIVED_AFTER_DAYS"),
        item_window_days=setting("DISPUTE_ITEM_WINDOW_DAYS"),
    )


def opening_options(order: Order, now: datetime | None = None) -> tuple[OrderFacts, dict[str, dict]]:
    """For a page or the API: the order's facts, and per reason whether a dispute may be opened now."""
    now = now or timezone.now()
    order_facts_now = order_facts(order)
    return order_facts_now, {
        r: may_open(
            order_facts_now,
            r,
            now,
            not_received_after_days=setting("DISPUTE_NOT_RECEIVED_AFTER_DAYS"),
            item_window_days=setting("DISPUTE_ITEM_WINDOW_DAYS"),
        ).as_dict()
        for r in Reason.values
    }


def dispute_open(
    *,
    buyer,
    order_id: int,
    reason: str,
    kind: str,
    description: str,
    amount_minor: int | None = None,
    lines: list[dict] | None = None,
    now: datetime | None = None,
) -> Dispute:
    """The buyer opens a dispute on a shipped order for `lines` (or the whole order), asking for `kind`
    and `amount_minor` (default: the lines' refund, or everything still held). The order is frozen."""
    now = now or timezone.now()
    errors = ErrorCollector()
    if reason not in Reason.values:
        errors.add("reason", "unknown_dispute_reason", f"reason is one of: {', '.join(Reason.values)}.")
    _kind(errors, kind)
    description = _text(errors, description, "description", DESCRIPTION_MAX, required=True)
    errors.raise_if_any()
    try:
        with transaction.atomic():
            order = lock_order(order_id=order_id, parties=True, buyer=buyer)
            held = order_held_minor(order.pk, order.currency) if order.status in PAID else 0
            verdict = opening_verdict(order, reason, now, held=held)
            if not verdict.allowed:
                raise DisputeRefused(verdict)
            states = line_states(order.pk, refunded_lines(order_id=order.pk))
            wanted = check_lines(lines or [], states, done="refunded")  # [] = everything left
            if wanted:
                before, goods = goods_minor(states, wanted)
                lines_minor = lines_refund_minor(
                    before_minor=before,
                    goods_minor=goods,
                    subtotal_minor=order.subtotal_minor,
                    shipping_minor=order.shipping_minor,
                )
                default = min(lines_minor, held)
            else:
                default = held
            amount = default if amount_minor is None else amount_minor
            _amount(errors, amount, held, order.currency)
            errors.raise_if_any()
            dispute = Dispute.objects.create(
                order=order,
                store_id=order.store_id,
                buyer=buyer,
                currency=order.currency,
                reason=reason,
                lines=wanted,
                description=description,
                state=State.OPEN,
                due_at=respond_by_from(now),
                due_party="seller",
                negotiate_until=negotiate_days_from(now),
                opened_at=now,
                updated_at=now,
            )
            add_offer(dispute, party="buyer", kind=kind, amount_minor=amount, note="", now=now)
            order_freeze(order=order, now=now)
            text = f"{Reason(reason).label}: the buyer asks for {Kind(kind).label.lower()} of {money_text(amount, order.currency)}."
            record(
                order,
                dispute,
                kind="dispute_opened",
                actor=buyer,
                actor_role="buyer",
                now=now,
                message=f"Dispute opened. {text}",
                data={"reason": reason, "kind": kind, "amount_minor": amount, "lines": wanted},
            )
            tasks: list = []
            notify.tell_parties(
                order=order,
                dispute=dispute,
                kind="dispute_opened",
                to=[order.store.owner],
                actor=buyer,
                tasks=tasks,
                title=f"Order {order.number}: the buyer opened a dispute",
                body=(
                    f"The buyer opened a dispute on order {order.number}. {text} Answer by "
                    f"{dispute.due_at:%d %b %Y, %H:%M} UTC: accept, make an offer or reject "
                    "with your reasons. If you do not answer, the request is accepted."
                ),
                data={"reason": reason, "kind": kind, "amount_minor": amount},
            )
            finish(tasks)
            return dispute
    except IntegrityError:
        # Two opens at once: the partial unique index lets one through.
        if Dispute.objects.filter(order_id=order_id).exclude(state=State.CLOSED).exists():
            raise DisputeRefused(
                refuse(
                    "dispute_already_open",
                    "This order already has an open dispute.",
                    "Follow it on the order page: one dispute per order at a time.",
                )
            ) from None
        raise


def _party_word(party: str) -> str:
    return {"buyer": "The buyer", "seller": "The seller"}[party]


def dispute_counter(
    *,
    user,
    party: str,
    dispute_id: int,
    kind: str,
    amount_minor: int,
    note: str = "",
    now: datetime | None = None,
) -> Dispute:
    """A party proposes another amount or kind (the buyer revises the request; the seller counter-offers)."""
    now = now or timezone.now()
    errors = ErrorCollector()
    _kind(errors, kind)
    note = _text(errors, note, "note", NOTE_MAX, required=False)
    errors.raise_if_any()
    with step(dispute_id=dispute_id, user=user, party=party, act=Act.COUNTER, now=now) as (
        order,
        dispute,
        tasks,
    ):
        _amount(errors, amount_minor, order_held_minor(order.pk, order.currency), order.currency)
        errors.raise_if_any()
        add_offer(dispute, party=party, kind=kind, amount_minor=amount_minor, note=note, now=now)
        if dispute.state == State.OPEN and party == "seller":
            dispute.state = State.NEGOTIATING
        if dispute.state == State.NEGOTIATING:
            set_due(dispute, dispute.negotiate_until, "seller" if party == "buyer" else "buyer")
        save(dispute, now)
        offer = f"{Kind(kind).label.lower()} of {money_text(amount_minor, order.currency)}"
        record(
            order,
            dispute,
            kind="dispute_offer",
            actor=user,
            actor_role=party,
            now=now,
            message=f"{_party_word(party)} offered {offer}.",
            data={"action": "counter", "party": party, "kind": kind, "amount_minor": amount_minor},
        )
        notify.tell_parties(
            order=order,
            dispute=dispute,
            kind="dispute_offer",
            to=other(order, party),
            actor=user,
            tasks=tasks,
            title=f"Order {order.number}: a new offer in the dispute",
            body=(
                f"{_party_word(party)} offers {offer} for order {order.number}."
                + (f" Note: {note}" if note else "")
                + " Accept it, or make another offer."
            ),
            data={"kind": kind, "amount_minor": amount_minor},
        )
    return dispute


def dispute_accept(*, user, party: str, dispute_id: int, now: datetime | None = None) -> Dispute:
    """A party accepts the other side's current offer: a refund now, or a return first."""
    now = now or timezone.now()
    with step(dispute_id=dispute_id, user=user, party=party, act=Act.ACCEPT, now=now) as (
        order,
        dispute,
        tasks,
    ):
        offer = dispute.offers.order_by("-id").first()
        decided_by = DecidedBy.SELLER_ACCEPTED if party == "seller" else DecidedBy.BUYER_ACCEPTED
        record(
            order,
            dispute,
            kind="dispute_offer",
            actor=user,
            actor_role=party,
            now=now,
            message=f"{_party_word(party)} accepted the offer.",
            data={"action": "accept", "party": party, "kind": offer.kind, "amount_minor": offer.amount_minor},
        )
        agree(
            order,
            dispute,
            kind=offer.kind,
            amount_minor=offer.amount_minor,
            decided_by=decided_by,
            decider=user,
            actor_role=party,
            now=now,
            tasks=tasks,
        )
    return dispute


def dispute_reject(*, seller, dispute_id: int, note: str, now: datetime | None = None) -> Dispute:
    """The seller rejects the buyer's request, saying why (evidence is uploaded separately)."""
    now = now or timezone.now()
    errors = ErrorCollector()
    note = _text(errors, note, "note", NOTE_MAX, required=True)
    errors.raise_if_any()
    with step(dispute_id=dispute_id, user=seller, party="seller", act=Act.REJECT, now=now) as (
        order,
        dispute,
        tasks,
    ):
        add_offer(dispute, party="seller", kind="", amount_minor=0, note=note, now=now)
        dispute.state = State.NEGOTIATING
        set_due(dispute, dispute.negotiate_until, "buyer")
        save(dispute, now)
        record(
            order,
            dispute,
            kind="dispute_offer",
            actor=seller,
            actor_role="seller",
            now=now,
            message="The seller rejected the request.",
            data={"action": "reject", "party": "seller", "note": note},
        )
        notify.tell_parties(
            order=order,
            dispute=dispute,
            kind="dispute_rejected",
            to=[order.buyer],
            actor=seller,
            tasks=tasks,
            title=f"Order {order.number}: the seller rejected your request",
            body=(
                f"The seller rejected your dispute request for order {order.number}: {note} "
                "You can make another offer, or ask Souk to decide."
            ),
        )
    return dispute


def dispute_escalate(
    *, user, party: str, dispute_id: int, note: str = "", now: datetime | None = None
) -> Dispute:
    """The buyer (from day 3) or the seller (a return that arrived empty or wrong) asks Souk to decide."""
    now = now or timezone.now()
    errors = ErrorCollector()
    note = _text(errors, note, "note", NOTE_MAX, required=False)
    errors.raise_if_any()
    with step(dispute_id=dispute_id, user=user, party=party, act=Act.ESCALATE, now=now) as (
        order,
        dispute,
        tasks,
    ):
        escalate_locked(order, dispute, by=party, actor=user, now=now, tasks=tasks, note=note)
    return dispute


def dispute_withdraw(*, buyer, dispute_id: int, now: datetime | None = None) -> Dispute:
    """The buyer gives up: no refund; escrow and buyer protection resume."""
    now = now or timezone.now()
    with step(dispute_id=dispute_id, user=buyer, party="buyer", act=Act.WITHDRAW, now=now) as (
        order,
        dispute,
        tasks,
    ):
        close(
            order, dispute, outcome=Outcome.WITHDRAWN, actor_role="buyer", decider=buyer, now=now, tasks=tasks
        )
    return dispute


def dispute_return_tracking(
    *, buyer, dispute_id: int, carrier: str, tracking_number: str, now: datetime | None = None
) -> Dispute:
    """The buyer sent the item back: carrier and tracking recorded; the parcel counts as arrived
    `DISPUTE_RETURN_TRANSIT_DAYS` later (or when marked delivered), the seller confirms within
    `DISPUTE_RETURN_RECEIVE_DAYS` of that or the refund is made."""
    now = now or timezone.now()
    errors = ErrorCollector()
    carrier, tracking_number = clean_tracking(errors, carrier, tracking_number)
    errors.raise_if_any()
    with step(dispute_id=dispute_id, user=buyer, party="buyer", act=Act.RETURN_TRACKING, now=now) as (
        order,
        dispute,
        tasks,
    ):
        dispute.state = State.RETURN_SHIPPED
        dispute.return_carrier, dispute.return_tracking, dispute.return_shipped_at = (
            carrier,
            tracking_number,
            now,
        )
        set_due(dispute, receive_by(now + transit_days()), "seller")
        save(dispute, now)
        record(
            order,
            dispute,
            kind="dispute_return",
            actor=buyer,
            actor_role="buyer",
            now=now,
            message=f"Return sent with {carrier}, tracking {tracking_number}.",
            data={"action": "shipped", "carrier": carrier, "tracking_number": tracking_number},
        )
        notify.tell_parties(
            order=order,
            dispute=dispute,
            kind="dispute_return_shipped",
            to=[order.store.owner],
            actor=buyer,
            tasks=tasks,
            title=f"Order {order.number}: the return is on its way",
            body=(
                f"The buyer sent order {order.number} back with {carrier} (tracking "
                f"{tracking_number}). Confirm receipt when it arrives; if you have not by "
                f"{dispute.due_at:%d %b %Y}, the refund is made automatically."
            ),
            data={"carrier": carrier, "tracking_number": tracking_number},
        )
    return dispute


def dispute_return_arrived(*, user, party: str, dispute_id: int, now: datetime | None = None) -> Dispute:
    """The carrier (or either party) reports the return delivered: the seller's receipt clock runs from now."""
    now = now or timezone.now()
    with step(dispute_id=dispute_id, user=user, party=party, act=Act.RETURN_ARRIVED, now=now) as (
        order,
        dispute,
        tasks,
    ):
        dispute.return_arrived_at = now
        set_due(
            dispute, min(dispute.due_at, receive_by(now)) if dispute.due_at else receive_by(now), "seller"
        )
        save(dispute, now)
        record(
            order,
            dispute,
            kind="dispute_return",
            actor=user,
            actor_role=party,
            now=now,
            message="The return parcel was delivered to the seller.",
            data={"action": "arrived", "by": party},
        )
        notify.tell_parties(
            order=order,
            dispute=dispute,
            kind="dispute_return_arrived",
            to=[order.store.owner],
            actor=user,
            tasks=tasks,
            title=f"Order {order.number}: the return was delivered",
            body=(
                f"The return of order {order.number} was delivered. Confirm receipt by "
                f"{dispute.due_at:%d %b %Y}, or escalate if the parcel was empty or wrong; "
                "otherwise the refund is made automatically."
            ),
        )
    return dispute


def dispute_confirm_return(*, seller, dispute_id: int, now: datetime | None = None) -> Dispute:
    """The seller received the return: the agreed refund is made and the dispute closes."""
    now = now or timezone.now()
    with step(dispute_id=dispute_id, user=seller, party="seller", act=Act.CONFIRM_RETURN, now=now) as (
        order,
        dispute,
        tasks,
    ):
        record(
            order,
            dispute,
            kind="dispute_return",
            actor=seller,
            actor_role="seller",
            now=now,
            message="The seller confirmed receiving the return.",
            data={"action": "received"},
        )
        close(
            order,
            dispute,
            outcome=Outcome.REFUNDED,
            kind=dispute.agreed_kind,
            amount_minor=dispute.agreed_minor or 0,
            decided_by=dispute.agreed_by,
            decider=seller,
            actor_role="seller",
            now=now,
            tasks=tasks,
        )
    return dispute


STAFF_OUTCOMES = ("full_refund", "partial_refund", "return_and_refund", "reject")


def dispute_decide(
    *,
    staff,
    dispute_id: int,
    outcome: str,
    note: str,
    amount_minor: int | None = None,
    now: datetime | None = None,
) -> Dispute:
    """Staff decide an escalated dispute: a full or partial refund, a return and refund, or reject.
    Never automatic; two staff at once: the second finds it decided (409)."""
    now = now or timezone.now()
    errors = ErrorCollector()
    if outcome not in STAFF_OUTCOMES:
        errors.add("outcome", "invalid_kind", f"outcome is one of: {', '.join(STAFF_OUTCOMES)}.")
    if outcome in ("partial_refund",) and amount_minor is None:
        errors.add("amount", "required", "Give the amount of the partial refund.")
    note = _text(errors, note, "note", NOTE_MAX, required=True)
    errors.raise_if_any()
    with step(dispute_id=dispute_id, user=staff, party="staff", act=Act.DECIDE, now=now) as (
        order,
        dispute,
        tasks,
    ):
        held = order_held_minor(order.pk, order.currency)
        if outcome in ("partial_refund", "return_and_refund") and amount_minor is not None:
            _amount(errors, amount_minor, held, order.currency)
            errors.raise_if_any()
        dispute.evidence_from, dispute.evidence_note = "", ""
        if outcome == "reject":
            close(
                order,
                dispute,
                outcome=Outcome.REJECTED,
                decided_by=DecidedBy.STAFF,
                decider=staff,
                actor_role="staff",
                now=now,
                tasks=tasks,
                note=note,
            )
        else:
            kind = "return_and_refund" if outcome == "return_and_refund" else "refund_only"
            amount = held if outcome == "full_refund" or amount_minor is None else amount_minor
            agree(
                order,
                dispute,
                kind=kind,
                amount_minor=amount,
                decided_by=DecidedBy.STAFF,
                decider=staff,
                actor_role="staff",
                now=now,
                tasks=tasks,
                note=note,
            )
    return dispute


def dispute_request_evidence(
    *, staff, dispute_id: int, party: str, note: str, now: datetime | None = None
) -> Dispute:
    """Staff ask the buyer or the seller for more evidence, due in `DISPUTE_EVIDENCE_DAYS`. When it
    lapses nothing is decided: the request is closed and staff decide with what they have."""
    now = now or timezone.now()
    errors = ErrorCollector()
    if party not in (Party.BUYER, Party.SELLER):
        errors.add("party", "invalid_kind", "party is buyer or seller.")
    note = _text(errors, note, "note", 500, required=True)
    errors.raise_if_any()
    with step(dispute_id=dispute_id, user=staff, party="staff", act=Act.REQUEST_EVIDENCE, now=now) as (
        order,
        dispute,
        tasks,
    ):
        dispute.evidence_from, dispute.evidence_note = party, note
        set_due(dispute, now + days("DISPUTE_EVIDENCE_DAYS"), party)
        save(dispute, now)
        record(
            order,
            dispute,
            kind="dispute_evidence",
            actor=staff,
            actor_role="staff",
            now=now,
            message=f"Souk asked the {party} for more evidence.",
            data={"action": "requested", "party": party, "note": note},
        )
        notify.tell_parties(
            order=order,
            dispute=dispute,
            kind="dispute_evidence_requested",
            to=[order.buyer if party == "buyer" else order.store.owner],
            actor=staff,
            tasks=tasks,
            title=f"Order {order.number}: Souk asks for more evidence",
            body=(
                f"Souk needs more evidence for the dispute on order {order.number}: {note} "
                f"Upload it by {dispute.due_at:%d %b %Y, %H:%M} UTC."
            ),
        )
    return dispute


def latest_offers(dispute: Dispute) -> dict[str, Offer | None]:
    """Each side's current position (its newest offer)."""
    out: dict[str, Offer | None] = {"buyer": None, "seller": None}
    for offer in dispute.offers.order_by("id"):
        out[offer.party] = offer
    return out
