"""Reads for the API and the pages: a dispute with both sides' offers, its evidence and decision;
the buyer's and the store's lists; staff's escalated disputes by age (docs/disputes.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch, Q
from django.utils import timezone

from souk.disputes.conf import setting
from souk.disputes.models import Dispute, Evidence, Offer, State
from souk.disputes.policy import Act, Party, decide
from souk.disputes.services.core import facts, not_found, visibility
from souk.messaging.selectors import order_messages_for_review, orders_messages_for_review

__all__ = [
    "DisputeView",
    "dispute_view",
    "disputes_for_buyer",
    "disputes_for_store",
    "escalated_disputes",
    "evidence_for",
    "latest_dispute_for_order",
    "next_actions",
    "open_dispute_for_order",
]


def _with_parts(qs):
    return qs.select_related("order", "decision", "store").prefetch_related(
        Prefetch("offers", queryset=Offer.objects.order_by("id")),
        Prefetch("evidence", queryset=Evidence.objects.order_by("id")),
    )


def next_actions(dispute: Dispute, party: Party | str, now: datetime | None = None) -> dict[str, dict]:
    """For each action the party could take: allowed, and if not why (the policy's texts)."""
    now = now or timezone.now()
    party = Party(party)
    acts = {
        Party.BUYER: [
            Act.ACCEPT,
            Act.COUNTER,
            Act.ESCALATE,
            Act.WITHDRAW,
            Act.ADD_EVIDENCE,
            Act.RETURN_TRACKING,
            Act.RETURN_ARRIVED,
        ],
        Party.SELLER: [
            Act.ACCEPT,
            Act.COUNTER,
            Act.REJECT,
            Act.ESCALATE,
            Act.ADD_EVIDENCE,
            Act.RETURN_ARRIVED,
            Act.CONFIRM_RETURN,
        ],
        Party.STAFF: [Act.DECIDE, Act.REQUEST_EVIDENCE],
    }[party]
    f = facts(dispute)
    after = setting("DISPUTE_ESCALATE_AFTER_DAYS")
    return {a.value: decide(f, party, a, now, escalate_after_days=after).as_dict() for a in acts}


@dataclass
class DisputeView:
    dispute: Dispute
    offers: list[Offer]
    evidence: list[Evidence]
    latest: dict[str, Offer | None]
    actions: dict[str, dict]
    messages: list = field(default_factory=list)


def _view(dispute: Dispute, party: Party | str, *, messages: list | None = None) -> DisputeView:
    offers = list(dispute.offers.all())
    latest: dict[str, Offer | None] = {"buyer": None, "seller": None}
    for offer in offers:
        latest[offer.party] = offer
    return DisputeView(
        dispute,
        offers,
        list(dispute.evidence.all()),
        latest,
        next_actions(dispute, party),
        messages or [],
    )


def dispute_view(*, user, party: Party | str, dispute_id: int) -> DisputeView:
    """One dispute as `party` sees it (404 when not theirs; staff see every dispute, with the messages)."""
    dispute = _with_parts(Dispute.objects.filter(pk=dispute_id, **visibility(user, party))).first()
    if dispute is None:
        raise not_found()
    staff = Party(party) is Party.STAFF
    return _view(
        dispute, party, messages=order_messages_for_review(order_id=dispute.order_id) if staff else None
    )


def disputes_for_buyer(*, buyer, limit: int = 50) -> list[DisputeView]:
    return [_view(d, Party.BUYER) for d in _with_parts(Dispute.objects.filter(buyer=buyer))[:limit]]


def disputes_for_store(*, seller, open_only: bool = False, limit: int = 50) -> list[DisputeView]:
    """The seller's disputes, newest first (open ones only with `open_only`), each with its deadline."""
    qs = Dispute.objects.filter(store__owner=seller)
    if open_only:
        qs = qs.exclude(state=State.CLOSED)
    return [_view(d, Party.SELLER) for d in _with_parts(qs)[:limit]]


def escalated_disputes(*, staff, limit: int = 50) -> list[DisputeView]:
    """Staff's queue: escalated disputes, oldest escalation first, with both sides' offers, the
    evidence and the order's messages."""
    visibility(staff, Party.STAFF)
    disputes = list(
        _with_parts(Dispute.objects.filter(state=State.ESCALATED)).order_by("escalated_at", "id")[:limit]
    )
    threads = orders_messages_for_review(order_ids=[d.order_id for d in disputes])  # one query for all
    return [_view(d, Party.STAFF, messages=threads[d.order_id]) for d in disputes]


def open_dispute_for_order(*, order_id: int) -> Dispute | None:
    return Dispute.objects.filter(order_id=order_id).exclude(state=State.CLOSED).first()


def latest_dispute_for_order(*, order_id: int) -> Dispute | None:
    """The order's open dispute, else its last closed one (the order page links either)."""
    return Dispute.objects.filter(order_id=order_id).order_by("-opened_at", "-id").first()


def evidence_for(*, user, evidence_id: int) -> Evidence:
    """A photo, for the dispute's buyer, its store's owner or staff only (NotFound for anyone else)."""
    qs = Evidence.objects.filter(pk=evidence_id)
    if not getattr(user, "is_staff", False):
        qs = qs.filter(Q(dispute__buyer=user) | Q(dispute__store__owner=user))
    evidence = qs.first()
    if evidence is None:
        raise not_found()
    return evidence
