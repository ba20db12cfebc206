"""Disputes API (docs/disputes.md): the buyer opens and follows a dispute, the seller answers, staff
decide escalations. Thin edges over souk.disputes.services; another user's dispute is 404.

Every POST accepts an `Idempotency-Key` header (payments' semantics: replay, 422 reused, 409 in
flight); those that can move money (accepting, deciding, confirming a return) say so in OpenAPI.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, JsonResponse
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from souk.accounts.api_auth import STAFF_AUTH
from souk.core.errors import ValidationFailed
from souk.core.money import money_to_minor, parse_money
from souk.core.schemas import MoneyOut, stated
from souk.disputes import schemas as s
from souk.disputes import selectors, services
from souk.disputes.models import Dispute, Evidence
from souk.disputes.services.core import not_found, visibility
from souk.orders.selectors import order_for_buyer
from souk.payments.idempotency import HEADER, idempotent, openapi_header

router = Router(tags=["disputes"])
KEY = openapi_header(required=False)
BASES = {
    "buyer": "/api/disputes/{id}",
    "seller": "/api/seller/disputes/{id}",
    "staff": "/api/staff/disputes/{id}",
}


def _post(request, *, scope: str, params: dict, run) -> JsonResponse:
    if request.headers.get(HEADER):
        return idempotent(request, scope=scope, params=params, run=run)
    status, body = run()
    return JsonResponse(body, status=status)


def _out(user, party: str, dispute_id: int) -> dict:
    view = selectors.dispute_view(user=user, party=party, dispute_id=dispute_id)
    return s.DisputeOut(**s.dispute_out(view, BASES[party].format(id=dispute_id))).model_dump(mode="json")


def _step(request, party: str, dispute_id: int, name: str, params: dict, call) -> JsonResponse:
    """Check visibility first (404 for strangers, before any key is stored), then run the step."""
    selectors.dispute_view(user=request.user, party=party, dispute_id=dispute_id)

    def run():
        call()
        return 200, _out(request.user, party, dispute_id)

    return _post(request, scope=f"dispute-{party}-{name}:{dispute_id}", params=params, run=run)


def _minor(amount: str | None, dispute_id: int | None = None, currency: str | None = None) -> int | None:
    if amount is None:
        return None
    if currency is None:
        currency = Dispute.objects.filter(pk=dispute_id).values_list("currency", flat=True).first() or "USD"
    return money_to_minor(parse_money(amount, currency, field="amount"))


# --- the buyer -------------------------------------------------------------------------------------


@router.get(
    "/orders/{number}/disputes",
    response=s.OpeningOut,
    summary="Can you open a dispute on this order now (per reason, and why not), and its open dispute",
)
def opening(request, number: str):
    order = order_for_buyer(buyer=request.user, number=number)
    facts, verdicts = services.opening_options(order)
    open_one = selectors.open_dispute_for_order(order_id=order.pk)
    return {
        "order_number": order.number,
        "open_dispute_id": open_one.pk if open_one else None,
        "held": MoneyOut.of(facts.held_minor, order.currency),
        "reasons": verdicts,
    }


@router.post(
    "/orders/{number}/disputes",
    response={201: s.DisputeOut},
    openapi_extra=KEY,
    summary="Open a dispute on your shipped order: the payment is frozen until it closes",
)
def open_dispute(request, number: str, payload: s.OpenIn):
    order = order_for_buyer(buyer=request.user, number=number)

    def run():
        dispute = services.dispute_open(
            buyer=request.user,
            order_id=order.pk,
            reason=payload.reason,
            kind=payload.kind,
            description=payload.description,
            amount_minor=_minor(payload.amount, currency=order.currency),
            lines=[line.model_dump() for line in payload.lines] if payload.lines else None,
        )
        return 201, _out(request.user, "buyer", dispute.pk)

    return _post(request, scope=f"dispute-open:{number}", params=payload.model_dump(), run=run)


@router.get("/disputes", response=list[s.DisputeOut], summary="Your disputes as a buyer, newest first")
def my_disputes(request):
    return [
        s.dispute_out(v, BASES["buyer"].format(id=v.dispute.pk))
        for v in selectors.disputes_for_buyer(buyer=request.user)
    ]


@router.get(
    "/disputes/{dispute_id}",
    response=s.DisputeOut,
    summary="Your dispute: both sides' offers, evidence, the deadline, and what you may do now",
)
def my_dispute(request, dispute_id: int):
    return _out(request.user, "buyer", dispute_id)


@router.post(
    "/disputes/{dispute_id}/accept",
    response=s.DisputeOut,
    openapi_extra=KEY,
    summary="Accept the seller's offer: the refund starts (or the return, first)",
)
def buyer_accept(request, dispute_id: int):
    return _step(
        request,
        "buyer",
        dispute_id,
        "accept",
        {},
        lambda: services.dispute_accept(user=request.user, party="buyer", dispute_id=dispute_id),
    )


@router.post(
    "/disputes/{dispute_id}/counter",
    response=s.DisputeOut,
    openapi_extra=KEY,
    summary="Change what you ask for (another amount or kind)",
)
def buyer_counter(request, dispute_id: int, payload: s.CounterIn):
    return _step(
        request,
        "buyer",
        dispute_id,
        "counter",
        payload.model_dump(),
        lambda: services.dispute_counter(
            user=request.user,
            party="buyer",
            dispute_id=dispute_id,
            kind=payload.kind,
            amount_minor=_minor(payload.amount, dispute_id),
            note=payload.note,
        ),
    )


@router.post(
    "/disputes/{dispute_id}/escalate",
    response=s.DisputeOut,
    openapi_extra=KEY,
    summary="Ask Souk to decide (from day 3 of the dispute)",
)
def buyer_escalate(request, dispute_id: int, payload: s.NoteIn):
    return _step(
        request,
        "buyer",
        dispute_id,
        "escalate",
        payload.model_dump(),
        lambda: services.dispute_escalate(
            user=request.user, party="buyer", dispute_id=dispute_id, note=payload.note
        ),
    )


@router.post(
    "/disputes/{dispute_id}/withdraw",
    response=s.DisputeOut,
    openapi_extra=KEY,
    summary="Withdraw your dispute: no refund; the payment and buyer protection resume",
)
def buyer_withdraw(request, dispute_id: int):
    return _step(
        request,
        "buyer",
        dispute_id,
        "withdraw",
        {},
        lambda: services.dispute_withdraw(buyer=request.user, dispute_id=dispute_id),
    )


@router.post(
    "/disputes/{dispute_id}/return-tracking",
    response=s.DisputeOut,
    openapi_extra=KEY,
    summary="You sent the item back: the carrier and tracking number",
)
def buyer_return_tracking(request, dispute_id: int, payload: s.TrackingIn):
    return _step(
        request,
        "buyer",
        dispute_id,
        "return-tracking",
        payload.model_dump(),
        lambda: services.dispute_return_tracking(
            buyer=request.user,
            dispute_id=dispute_id,
            carrier=payload.carrier,
            tracking_number=payload.tracking_number,
        ),
    )


@router.post(
    "/disputes/{dispute_id}/return-arrived",
    response=s.DisputeOut,
    openapi_extra=KEY,
    summary="The carrier shows the return delivered: the seller's 8 days to confirm start now",
)
def buyer_return_arrived(request, dispute_id: int):
    return _step(
        request,
        "buyer",
        dispute_id,
        "return-arrived",
        {},
        lambda: services.dispute_return_arrived(user=request.user, party="buyer", dispute_id=dispute_id),
    )


class EvidenceForm(Schema):
    note: str = Field("", json_schema_extra=stated(max_length=500), description="at most 500 characters (422 `too_long`)")


def _upload(request, party: str, dispute_id: int, file: UploadedFile, note: str) -> JsonResponse:
    if len(note) > 500:
        raise ValidationFailed("The note is too long: at most 500 characters.", code="too_long", field="note")
    selectors.dispute_view(user=request.user, party=party, dispute_id=dispute_id)
    content = file.read()
    services.dispute_add_evidence(
        user=request.user, party=party, dispute_id=dispute_id, content=content, note=note
    )
    return JsonResponse(_out(request.user, party, dispute_id), status=201)


@router.post(
    "/disputes/{dispute_id}/evidence",
    response={201: s.DisputeOut},
    summary="Add a photo (multipart: `file`, JPEG/PNG/GIF/WebP, at most 2 MiB; optional `note`)",
)
def buyer_evidence(request, dispute_id: int, file: File[UploadedFile], form: Form[EvidenceForm]):
    return _upload(request, "buyer", dispute_id, file, form.note)


def _download(request, party: str, dispute_id: int, evidence_id: int):
    evidence = Evidence.objects.filter(
        pk=evidence_id,
        dispute_id=dispute_id,
        **{f"dispute__{k}": v for k, v in visibility(request.user, party).items()},
    ).first()
    if evidence is None:
        raise not_found()
    return FileResponse(default_storage.open(evidence.file, "rb"), content_type=evidence.content_type)


@router.get(
    "/disputes/{dispute_id}/evidence/{evidence_id}",
    summary="A photo of your dispute (the file)",
    response={200: None},
)
def buyer_evidence_file(request, dispute_id: int, evidence_id: int):
    return _download(request, "buyer", dispute_id, evidence_id)


# --- the seller ------------------------------------------------------------------------------------


@router.get(
    "/seller/disputes",
    response=list[s.DisputeOut],
    summary="Your store's disputes, newest first, each with its deadline and who owes the next action",
)
def store_disputes(request, open_only: bool = False):
    return [
        s.dispute_out(v, BASES["seller"].format(id=v.dispute.pk))
        for v in selectors.disputes_for_store(seller=request.user, open_only=open_only)
    ]


@router.get("/seller/disputes/{dispute_id}", response=s.DisputeOut, summary="A dispute on your store's order")
def store_dispute(request, dispute_id: int):
    return _out(request.user, "seller", dispute_id)


@router.post(
    "/seller/disputes/{dispute_id}/accept",
    response=s.DisputeOut,
    openapi_extra=KEY,
    summary="Accept the buyer's request: the refund starts (or the return, first)",
)
def seller_accept(request, dispute_id: int):
    return _step(
        request,
        "seller",
        dispute_id,
        "accept",
        {},
        lambda: services.dispute_accept(user=request.user, party="seller", dispute_id=dispute_id),
    )


@router.post(
    "/seller/disputes/{dispute_id}/counter",
    response=s.DisputeOut,
    openapi_extra=KEY,
    summary="Offer another amount or kind",
)
def seller_counter(request, dispute_id: int, payload: s.CounterIn):
    return _step(
        request,
        "seller",
        dispute_id,
        "counter",
        payload.model_dump(),
        lambda: services.dispute_counter(
            user=request.user,
            party="seller",
            dispute_id=dispute_id,
            kind=payload.kind,
            amount_minor=_minor(payload.amount, dispute_id),
            note=payload.note,
        ),
    )


@router.post(
    "/seller/disputes/{dispute_id}/reject",
    response=s.DisputeOut,
    openapi_extra=KEY,
    summary="Reject the buyer's request with your reasons (upload photos as evidence)",
)
def seller_reject(request, dispute_id: int, payload: s.DisputeRejectIn):
    return _step(
        request,
        "seller",
        dispute_id,
        "reject",
        payload.model_dump(),
        lambda: services.dispute_reject(seller=request.user, dispute_id=dispute_id, note=payload.note),
    )


@router.post(
    "/seller/disputes/{dispute_id}/escalate",
    response=s.DisputeOut,
    openapi_extra=KEY,
    summary="The return arrived empty or wrong: ask Souk to decide",
)
def seller_escalate(request, dispute_id: int, payload: s.NoteIn):
    return _step(
        request,
        "seller",
        dispute_id,
        "escalate",
        payload.model_dump(),
        lambda: services.dispute_escalate(
            user=request.user, party="seller", dispute_id=dispute_id, note=payload.note
        ),
    )


@router.post(
    "/seller/disputes/{dispute_id}/return-arrived",
    response=s.DisputeOut,
    openapi_extra=KEY,
    summary="The return was delivered to you (your 8 days to confirm start now)",
)
def seller_return_arrived(request, dispute_id: int):
    return _step(
        request,
        "seller",
        dispute_id,
        "return-arrived",
        {},
        lambda: services.dispute_return_arrived(user=request.user, party="seller", dispute_id=dispute_id),
    )


@router.post(
    "/seller/disputes/{dispute_id}/confirm-return",
    response=s.DisputeOut,
    openapi_extra=KEY,
    summary="You received the return: the agreed refund is made and the dispute closes",
)
def seller_confirm_return(request, dispute_id: int):
    return _step(
        request,
        "seller",
        dispute_id,
        "confirm-return",
        {},
        lambda: services.dispute_confirm_return(seller=request.user, dispute_id=dispute_id),
    )


@router.post(
    "/seller/disputes/{dispute_id}/evidence",
    response={201: s.DisputeOut},
    summary="Add a photo (multipart: `file`, JPEG/PNG/GIF/WebP, at most 2 MiB; optional `note`)",
)
def seller_evidence(request, dispute_id: int, file: File[UploadedFile], form: Form[EvidenceForm]):
    return _upload(request, "seller", dispute_id, file, form.note)


@router.get(
    "/seller/disputes/{dispute_id}/evidence/{evidence_id}",
    response={200: None},
    summary="A photo of a dispute on your store's order (the file)",
)
def seller_evidence_file(request, dispute_id: int, evidence_id: int):
    return _download(request, "seller", dispute_id, evidence_id)


# --- staff -----------------------------------------------------------------------------------------


@router.get(
    "/staff/disputes",
    response=list[s.DisputeOut],
    auth=STAFF_AUTH,
    summary="Staff: escalated disputes, oldest first, with both sides' offers, evidence and messages",
)
def escalated(request):
    return [
        s.dispute_out(v, BASES["staff"].format(id=v.dispute.pk))
        for v in selectors.escalated_disputes(staff=request.user)
    ]


@router.get(
    "/staff/disputes/{dispute_id}",
    response=s.DisputeOut,
    auth=STAFF_AUTH,
    summary="Staff: any dispute, with the order's messages",
)
def staff_dispute(request, dispute_id: int):
    return _out(request.user, "staff", dispute_id)


@router.post(
    "/staff/disputes/{dispute_id}/decide",
    response=s.DisputeOut,
    auth=STAFF_AUTH,
    openapi_extra=KEY,
    summary="Staff: decide an escalated dispute (full or partial refund, return and refund, or reject)",
)
def staff_decide(request, dispute_id: int, payload: s.DecideIn):
    return _step(
        request,
        "staff",
        dispute_id,
        "decide",
        payload.model_dump(),
        lambda: services.dispute_decide(
            staff=request.user,
            dispute_id=dispute_id,
            outcome=payload.outcome,
            note=payload.note,
            amount_minor=_minor(payload.amount, dispute_id),
        ),
    )


@router.post(
    "/staff/disputes/{dispute_id}/request-evidence",
    response=s.DisputeOut,
    auth=STAFF_AUTH,
    openapi_extra=KEY,
    summary="Staff: ask the buyer or the seller for more evidence (3 days)",
)
def staff_request_evidence(request, dispute_id: int, payload: s.EvidenceRequestIn):
    return _step(
        request,
        "staff",
        dispute_id,
        "request-evidence",
        payload.model_dump(),
        lambda: services.dispute_request_evidence(
            staff=request.user, dispute_id=dispute_id, party=payload.party, note=payload.note
        ),
    )


@router.get(
    "/staff/disputes/{dispute_id}/evidence/{evidence_id}",
    response={200: None},
    auth=STAFF_AUTH,
    summary="Staff: a photo of any dispute (the file)",
)
def staff_evidence_file(request, dispute_id: int, evidence_id: int):
    return _download(request, "staff", dispute_id, evidence_id)
