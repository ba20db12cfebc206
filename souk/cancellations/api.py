"""Cancellations API: reasons, the policy decision for an order, cancel, request, answer. Thin edges.

Every POST accepts an `Idempotency-Key` header (payments' semantics: replay, 422 reused, 409 in flight);
the services are safe to repeat anyway (a second approve finds no open request: 409).
"""

from __future__ import annotations

from django.http import JsonResponse
from ninja import Query, Router, Schema

from souk.accounts.api_auth import STAFF_AUTH
from souk.cancellations import schemas as s
from souk.cancellations import selectors, services
from souk.cancellations.reasons import REJECT_REASONS, Actor, reasons_for
from souk.core.errors import Forbidden, ValidationFailed
from souk.core.money import minor_to_decimal_str
from souk.core.schemas import one_of
from souk.orders.models import Order
from souk.orders.selectors import order_id_for
from souk.payments.idempotency import HEADER, idempotent, openapi_header

router = Router(tags=["cancellations"])
CHOOSING_ACTORS = (Actor.BUYER, Actor.SELLER, Actor.STAFF)  # the system cancels without choosing


class ReasonParams(Schema):
    actor: str = one_of(CHOOSING_ACTORS, Actor.BUYER, description="whose reasons")


def _post(request, *, scope: str, params: dict, run) -> JsonResponse:
    if request.headers.get(HEADER):
        return idempotent(request, scope=scope, params=params, run=run)
    status, body = run()
    return JsonResponse(body, status=status)


def _ok(result) -> tuple[int, dict]:
    return 200, s.cancel_out(result)


@router.get("/cancellation-reasons", response=list[s.ReasonOut], auth=None,
            summary="The reasons a buyer, seller or staff member can choose (for the Cancel pop-up)")
def list_reasons(request, params: Query[ReasonParams]):
    if params.actor not in CHOOSING_ACTORS:
        raise ValidationFailed("actor is buyer, seller or staff.", code="invalid_actor", field="actor")
    return [r.as_dict() for r in reasons_for(params.actor)]


@router.get("/cancellation-reject-reasons", response=list[s.RejectReasonOut], auth=None,
            summary="The reasons a seller can give when rejecting a cancellation request")
def list_reject_reasons(request):
    return [r.as_dict() for r in REJECT_REASONS]


def _decision(order: Order, actor_role: str) -> dict:
    decision = services.cancellation_options(order=order, actor_role=actor_role)
    return s.DecisionOut(
        **{k: v for k, v in decision.as_dict().items() if k != "refund_minor"},
        refund=minor_to_decimal_str(decision.refund_minor, order.currency), currency=order.currency,
        order_status=order.status, open_request=s.request_out(selectors.open_request(order_id=order.pk),
                                                              order.currency),
        remaining_quantities=selectors.remaining_quantities(order_id=order.pk)).model_dump(mode="json")


@router.get("/orders/{number}/cancellation", response=s.DecisionOut,
            summary="Can you cancel this order now, what happens, and if not why and what to do instead")
def buyer_decision(request, number: str):
    order = Order.objects.get(pk=order_id_for(number=number, buyer=request.user))
    return _decision(order, Actor.BUYER)


@router.get("/seller/orders/{number}/cancellation", response=s.DecisionOut,
            summary="Your store's order: can you cancel it, and the buyer's open request if any")
def seller_decision(request, number: str):
    order = Order.objects.get(pk=order_id_for(number=number, store__owner=request.user))
    return _decision(order, Actor.SELLER)


@router.post("/orders/{number}/cancel", response={200: s.CancelOut},
             openapi_extra=openapi_header(required=False),
             summary="Cancel your order: at once if unpaid, else a request the seller answers")
def buyer_cancel(request, number: str, payload: s.CancelIn):
    order_id = order_id_for(number=number, buyer=request.user)

    def run():
        lines = [line.model_dump() for line in payload.lines] if payload.lines is not None else None
        return _ok(services.order_cancel_by_buyer(buyer=request.user, order_id=order_id, reason=payload.reason,
                                                  note=payload.note, lines=lines))

    return _post(request, scope=f"cancel:{number}", params=payload.model_dump(), run=run)


@router.post("/orders/{number}/cancellation-request/withdraw", response={200: s.RequestOut},
             openapi_extra=openapi_header(required=False),
             summary="Withdraw your pending cancellation request: the order goes on")
def buyer_withdraw(request, number: str):
    order_id = order_id_for(number=number, buyer=request.user)

    def run():
        req = services.cancellation_request_withdraw(buyer=request.user, order_id=order_id)
        return 200, s.RequestOut(**s.request_out(req, req.order.currency)).model_dump(mode="json")

    return _post(request, scope=f"withdraw:{number}", params={}, run=run)


@router.post("/seller/orders/{number}/cancellation-request/approve", response={200: s.CancelOut},
             openapi_extra=openapi_header(required=False),
             summary="Approve the buyer's cancellation request: cancelled, restocked, refund started")
def seller_approve(request, number: str):
    order_id = order_id_for(number=number, store__owner=request.user)
    return _post(request, scope=f"approve:{number}", params={},
                 run=lambda: _ok(services.cancellation_request_approve(seller=request.user, order_id=order_id)))


@router.post("/seller/orders/{number}/cancellation-request/reject", response={200: s.RequestOut},
             openapi_extra=openapi_header(required=False),
             summary="Reject the buyer's cancellation request with a reason (already shipped: give tracking)")
def seller_reject(request, number: str, payload: s.RejectIn):
    order_id = order_id_for(number=number, store__owner=request.user)

    def run():
        req = services.cancellation_request_reject(
            seller=request.user, order_id=order_id, reason=payload.reason, note=payload.note,
            carrier=payload.carrier, tracking_number=payload.tracking_number)
        return 200, s.RequestOut(**s.request_out(req, req.order.currency)).model_dump(mode="json")

    return _post(request, scope=f"reject:{number}", params=payload.model_dump(), run=run)


@router.post("/seller/orders/{number}/cancel", response={200: s.CancelOut},
             openapi_extra=openapi_header(required=False),
             summary="Cancel your store's unshipped order with a seller reason (full refund)")
def seller_cancel(request, number: str, payload: s.SellerCancelIn):
    order_id = order_id_for(number=number, store__owner=request.user)
    return _post(request, scope=f"seller-cancel:{number}", params=payload.model_dump(),
                 run=lambda: _ok(services.order_cancel_by_seller(seller=request.user, order_id=order_id,
                                                                 reason=payload.reason, note=payload.note)))


@router.post("/staff/orders/{number}/cancel", response={200: s.CancelOut}, auth=STAFF_AUTH,
             openapi_extra=openapi_header(required=False),
             summary="Staff: cancel any unshipped order with a platform reason (403 for everyone else)")
def staff_cancel(request, number: str, payload: s.StaffCancelIn):
    if not request.user.is_staff:
        raise Forbidden("Only Souk staff can cancel orders for the platform.", code="staff_only")
    order_id = order_id_for(number=number)
    return _post(request, scope=f"staff-cancel:{number}", params=payload.model_dump(),
                 run=lambda: _ok(services.order_cancel_by_staff(staff=request.user, order_id=order_id,
                                                                reason=payload.reason, note=payload.note)))
