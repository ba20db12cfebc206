"""What the pages show of souk.disputes (docs/disputes.md): the order page's "Open a dispute" panel,
the open form's choices, a dispute as the buyer, the seller or staff see it, and the form input the
dispute services take (amounts parsed by souk.core.money, photos checked before anything is written).

Every rule comes from the dispute policy and services: a page shows the policy's `why_not` texts.
Each panel is a fixed number of queries (tests/web/test_query_counts.py).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from souk.core.errors import ErrorCollector, ValidationFailed
from souk.core.money import minor_to_decimal_str, money_to_minor, parse_money
from souk.disputes.conf import setting as dispute_setting
from souk.disputes.models import Kind, Reason, State
from souk.disputes.selectors import latest_dispute_for_order
from souk.disputes.services.evidence import evidence_check
from souk.disputes.services.steps import STAFF_OUTCOMES, opening_options
from souk.orders.models import Order
from souk.orders.status import Status

# An order that shipped: from here on a problem is a dispute, not a cancellation.
DISPUTABLE = (Status.AWAITING_DELIVERY, Status.COMPLETED)
KINDS = [(k.value, k.label) for k in Kind]
STAFF_OUTCOME_LABELS = {
    "full_refund": _("Full refund (everything the order still holds)"),
    "partial_refund": _("Partial refund"),
    "return_and_refund": _("Return and refund"),
    "reject": _("Reject: no refund"),
}
PARTY_WORDS = {"buyer": _("the buyer"), "seller": _("the seller")}


def opening_choices(order: Order) -> tuple[int, list[dict[str, Any]]]:
    """What the order still holds, and for each reason whether the buyer may open a dispute with it
    now and, if not, the policy's why-not (two queries: the escrow and any open dispute)."""
    facts, verdicts = opening_options(order)
    return facts.held_minor, [{"code": r.value, "label": r.label, "verdict": verdicts[r.value]} for r in Reason]


def order_dispute_panel(order: Order) -> dict[str, Any]:
    """The order page's dispute card: the dispute (open or the last one), else the Open a dispute
    button when some reason may be raised now, else the policy's why-not. No query before shipping."""
    if order.status not in DISPUTABLE:
        return {}
    dispute = latest_dispute_for_order(order_id=order.pk)
    if dispute is not None and dispute.is_open:
        return {"dispute_panel": {"dispute": dispute}}
    held, choices = opening_choices(order)
    allowed = [c for c in choices if c["verdict"]["allowed"]]
    refused = [c["verdict"] for c in choices if not c["verdict"]["allowed"]]
    # The refusal that holds for every reason (e.g. the escrow was released) comes first.
    return {"dispute_panel": {"dispute": dispute, "can_open": bool(allowed), "held_minor": held,
                              "refusal": refused[0] if refused and not allowed else None,
                              "not_received": next(c["verdict"] for c in choices if c["code"] == "not_received")}}


def seller_dispute_panel(order: Order) -> dict[str, Any]:
    """The seller's order page links the order's dispute (one query, only once the order shipped)."""
    if order.status not in DISPUTABLE:
        return {}
    return {"seller_dispute": latest_dispute_for_order(order_id=order.pk)}


def parse_amount(value: str, currency: str, *, field: str = "amount", required: bool = False) -> int | None:
    """A form's amount ("12.50") in minor units; None when left blank and not required."""
    value = (value or "").strip()
    if not value:
        if required:
            raise ValidationFailed(_("Give an amount."), code="required", field=field)
        return None
    return money_to_minor(parse_money(value, currency, field=field))


def amount_text(minor: int | None, currency: str) -> str:
    return minor_to_decimal_str(minor, currency) if minor is not None else ""


def read_photos(files, *, field: str = "evidence") -> list[bytes]:
    """Every uploaded photo, each checked (type by its first bytes, size) before any is stored: one
    bad photo refuses the whole form, naming it."""
    limit = int(dispute_setting("DISPUTE_EVIDENCE_MAX_BYTES"))
    most = int(dispute_setting("DISPUTE_EVIDENCE_MAX_FILES"))
    if len(files) > most:
        raise ValidationFailed(_("At most %(n)s photos.") % {"n": most}, code="too_much_evidence", field=field)
    out = []
    for upload in files:
        content = upload.read(limit + 1)  # never more than one byte past the limit in memory
        try:
            evidence_check(content, field=field)
        except ValidationFailed as exc:
            raise ValidationFailed(f"{upload.name}: {exc.message}", code=exc.code, field=field) from None
        out.append(content)
    return out


def chosen_lines(post, order: Order) -> list[dict]:
    """The lines ticked on the open form, each with its quantity; [] = the whole order."""
    errors = ErrorCollector()
    out = []
    for line in order.lines.all():
        if post.get(f"line_{line.pk}") != "on":
            continue
        raw = post.get(f"qty_{line.pk}", "").strip() or str(line.quantity)
        try:
            quantity = int(raw)
        except ValueError:
            errors.add("lines", "quantity_out_of_range", _("Quantities are whole numbers."))
            continue
        out.append({"line_id": line.pk, "quantity": quantity})
    errors.raise_if_any()
    return out


# What happens when the deadline passes in silence, per state (docs/disputes.md, Deadlines).
SILENCE = {
    State.OPEN: _("If the seller does not answer by then, the buyer's request is accepted."),
    State.NEGOTIATING: _("Then offers end and Souk decides."),
    State.ESCALATED: _("Then Souk decides with what it has."),
    State.AWAITING_RETURN: _("If the return's tracking number is not entered by then, the dispute closes in the "
                             "seller's favour."),
    State.RETURN_SHIPPED: _("If the seller has not confirmed receiving the return by then, the refund is made "
                            "automatically."),
}


def silence_text(dispute) -> str:
    return str(SILENCE.get(dispute.state, "")) if dispute.due_at else ""


def agreed_by(dispute) -> str:
    """How the two sides came to agree (seller_accepted, buyer_accepted, silence, staff), or ""."""
    if dispute.agreed_by:
        return dispute.agreed_by
    decision = getattr(dispute, "decision", None) if dispute.state == State.CLOSED else None
    return decision.decided_by if decision else ""


def due_text(dispute, viewer: str) -> str:
    """Who owes the current deadline's action, from the viewer's side."""
    if not dispute.due_at or not dispute.due_party:
        return ""
    if dispute.due_party == viewer:
        return str(_("You must act by"))
    return str(_("Waiting for %(party)s until") % {"party": PARTY_WORDS.get(dispute.due_party, dispute.due_party)})


__all__ = ["DISPUTABLE", "KINDS", "STAFF_OUTCOMES", "STAFF_OUTCOME_LABELS", "State", "agreed_by", "amount_text", "chosen_lines",
           "due_text", "opening_choices", "silence_text", "order_dispute_panel", "parse_amount", "read_photos", "seller_dispute_panel"]
