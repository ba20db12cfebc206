"""`run_gateway_audit()`: Souk's payments and refunds compared with the gateway's own records.

The ledger audits itself (`souk.ledger.audit.run_audit`); this compares what the gateway holds
(its report: `list_payments()`, `list_refunds()`; for the sandbox, its own tables standing for the
provider) with Souk's payments, refunds and the ledger's captures. `souk audit` runs both
(`run_full_audit`). Invariants, in the order they are reported (docs/money.md, "Invariants"):

1. `gateway_charge_unknown`: every charge at the gateway belongs to a Souk payment attempt (by its
   ref, or by the gateway key the attempt committed before calling).
2. `gateway_capture_unrecorded`: a charge captured at the gateway has its Souk payment captured
   (an attempt still pending within its grace is in flight, not a finding).
3. `gateway_capture_recorded_twice`: at most one Souk payment is captured with a given ref.
4. `payment_capture_mismatch`: a Souk payment captured has its charge captured at the gateway, for
   the same amount and currency.
5. `order_capture_not_in_ledger`: for each order with payments, the ledger captured exactly what
   its captured payments add up to.
6. `gateway_authorization_orphaned`: an authorization open at the gateway belongs to a payment held
   for review, or to an attempt in flight: none is left forgotten on a buyer's card.
7. `gateway_refund_unknown`: every refund at the gateway is a Souk refund with that ref; a refund
   made by a call whose worker died (the gateway has it under `refund-<id>`, Souk's refund still
   pending without a ref) is in flight: the refunds sweep records it.
8. `refund_mismatch`: a Souk refund with a ref matches the gateway's refund (amount, currency,
   succeeded on both sides or on neither).

Reads every row once (one pass over the gateway's report); meant for `souk audit`, not a hot path.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.utils import timezone

from souk.core.money import money_to_minor
from souk.ledger.audit import Finding, order_captured_minor, run_audit
from souk.payments.gateways import get_gateway
from souk.payments.gateways.base import PaymentStatus, RefundStatus
from souk.payments.models import Payment, Refund

INVARIANTS = ("gateway_charge_unknown", "gateway_capture_unrecorded", "gateway_capture_recorded_twice",
              "payment_capture_mismatch", "order_capture_not_in_ledger", "gateway_authorization_orphaned",
              "gateway_refund_unknown", "refund_mismatch")

CAPTURED, PENDING, AUTHORIZED = Payment.State.CAPTURED, Payment.State.PENDING, Payment.State.AUTHORIZED


def _in_flight(payment: dict, now: datetime) -> bool:
    """An attempt a live request (or the next sweep) is still finishing: pending, not due yet."""
    return payment["status"] == PENDING and (payment["reconcile_after"] is None or payment["reconcile_after"] > now)


def _payments_side(now: datetime) -> list[Finding]:
    findings: list[Finding] = []
    payments = list(Payment.objects.order_by("id").values(
        "pk", "order_id", "status", "gateway_key", "gateway_ref", "amount_minor", "currency", "reconcile_after"))
    by_key = {p["gateway_key"]: p for p in payments}
    by_ref: dict[str, list[dict]] = defaultdict(list)
    for p in payments:
        if p["gateway_ref"]:
            by_ref[p["gateway_ref"]].append(p)
    charges = {}
    for charge in get_gateway().list_payments():
        charges[charge.ref] = charge
        keyed = by_key.get(charge.idempotency_key)
        owners = by_ref.get(charge.ref) or ([keyed] if keyed is not None else [])
        minor = money_to_minor(charge.amount)
        what = f"{charge.status} charge {charge.ref} of {minor} {charge.amount.currency.code} minor units"
        if not owners:
            findings.append(Finding("gateway_charge_unknown", f"the gateway holds a {what} (key "
                                    f"{charge.idempotency_key or '?'}) that no Souk payment knows"))
            continue
        order_id = owners[0]["order_id"]
        if charge.status == PaymentStatus.CAPTURED:
            captured = [p for p in owners if p["status"] == CAPTURED]
            if len(captured) > 1:
                findings.append(Finding("gateway_capture_recorded_twice", f"the gateway's {what} is recorded "
                                        f"by {len(captured)} captured payments "
                                        f"({', '.join(str(p['pk']) for p in captured)})", order_id=order_id))
            elif not captured and not any(_in_flight(p, now) for p in owners):
                findings.append(Finding("gateway_capture_unrecorded", f"the gateway holds a {what} but payment "
                                        f"{owners[0]['pk']} is {owners[0]['status']}", order_id=order_id))
        elif charge.status == PaymentStatus.AUTHORIZED and not any(
                p["status"] == AUTHORIZED or _in_flight(p, now) for p in owners):
            findings.append(Finding("gateway_authorization_orphaned", f"the gateway holds an open {what} "
                                    f"but payment {owners[0]['pk']} is {owners[0]['status']}", order_id=order_id))
    expected: dict[tuple[int, str], int] = defaultdict(int)
    for p in payments:
        expected[(p["order_id"], p["currency"])] += p["amount_minor"] if p["status"] == CAPTURED else 0
        if p["status"] != CAPTURED:
            continue
        charge = charges.get(p["gateway_ref"])
        if charge is None:
            findings.append(Finding("payment_capture_mismatch", f"payment {p['pk']} is captured with ref "
                                    f"{p['gateway_ref'] or '(none)'}, which the gateway does not hold",
                                    order_id=p["order_id"]))
        elif (charge.status != PaymentStatus.CAPTURED or money_to_minor(charge.amount) != p["amount_minor"]
              or charge.amount.currency.code != p["currency"]):
            findings.append(Finding("payment_capture_mismatch", f"payment {p['pk']} is captured for "
                                    f"{p['amount_minor']} {p['currency']} minor units; the gateway's charge "
                                    f"{charge.ref} is {charge.status} for {money_to_minor(charge.amount)} "
                                    f"{charge.amount.currency.code}", order_id=p["order_id"]))
    ledger = order_captured_minor(order_id for order_id, _ in expected)
    for (order_id, currency), minor in sorted(expected.items()):
        if ledger.get((order_id, currency), 0) != minor:
            findings.append(Finding("order_capture_not_in_ledger", f"order {order_id}: payments captured {minor} "
                                    f"{currency} minor units, the ledger captured "
                                    f"{ledger.get((order_id, currency), 0)}", order_id=order_id))
    return findings


def _refunds_side() -> list[Finding]:
    findings: list[Finding] = []
    refunds = list(Refund.objects.order_by("id").values("pk", "order_id", "state", "gateway_ref", "amount_minor",
                                                          "currency"))
    by_ref = {r["gateway_ref"]: r for r in refunds if r["gateway_ref"]}
    by_key = {f"refund-{r['pk']}": r for r in refunds}
    seen = set()
    for remote in get_gateway().list_refunds():
        seen.add(remote.ref)
        minor = money_to_minor(remote.amount)
        what = f"{remote.status} refund {remote.ref} of {minor} {remote.amount.currency.code} minor units"
        mine = by_ref.get(remote.ref)
        if mine is None:
            keyed = by_key.get(remote.idempotency_key)
            if keyed is not None and keyed["state"] == Refund.State.PENDING and not keyed["gateway_ref"]:
                continue  # made by a call whose answer was lost: in flight, the refunds sweep records it
            findings.append(Finding("gateway_refund_unknown", f"the gateway holds a {what} (key "
                                    f"{remote.idempotency_key or '?'}) that no Souk refund knows",
                                    order_id=keyed["order_id"] if keyed else None))
            continue
        succeeded = (remote.status == RefundStatus.SUCCEEDED, mine["state"] == Refund.State.SUCCEEDED)
        if (minor, remote.amount.currency.code) != (mine["amount_minor"], mine["currency"]) or (
                succeeded[0] != succeeded[1] and mine["state"] != Refund.State.PENDING):
            findings.append(Finding("refund_mismatch", f"refund {mine['pk']} is {mine['state']} for "
                                    f"{mine['amount_minor']} {mine['currency']} minor units; the gateway's "
                                    f"{what}", order_id=mine["order_id"]))
    for r in refunds:
        if r["gateway_ref"] and r["gateway_ref"] not in seen:
            findings.append(Finding("refund_mismatch", f"refund {r['pk']} names gateway refund {r['gateway_ref']}, "
                                    f"which the gateway does not hold", order_id=r["order_id"]))
    return findings


def run_gateway_audit(*, now: datetime | None = None) -> list[Finding]:
    """Every disagreement between Souk and the gateway; empty when they agree."""
    now = now or timezone.now()
    findings = _payments_side(now) + _refunds_side()
    return sorted(findings, key=lambda f: INVARIANTS.index(f.invariant))


def run_full_audit() -> list[Finding]:
    """What `souk audit` checks: the ledger's invariants, then Souk against the gateway."""
    return run_audit() + run_gateway_audit()


__all__ = ["INVARIANTS", "run_full_audit", "run_gateway_audit"]
