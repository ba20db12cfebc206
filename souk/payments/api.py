"""Payments API: pay an order, see its refunds, refund (seller or staff). Money POSTs take Idempotency-Key."""

from __future__ import annotations

from ninja import Field, Query, Router, Schema

from souk.core.money import parse_money
from souk.payments import selectors
from souk.payments.idempotency import idempotent, openapi_header
from souk.payments.schemas import PayIn, PaymentOut, RefundIn, RefundOut, SellerBalanceOut, seller_balance_out
from souk.payments.services import RefundLine, order_pay, refund_create
from souk.payments.services.refunds import enqueue_processing

router = Router(tags=["payments"])


@router.post("/orders/{number}/pay", response={201: PaymentOut}, openapi_extra=openapi_header(required=True),
             summary="Pay an order awaiting payment (send an Idempotency-Key header)")
def pay_order(request, number: str, payload: PayIn):
    order_id = selectors.order_id_for(number=number, buyer=request.user)

    def run():
        payment = order_pay(buyer=request.user, order_id=order_id, method=payload.method, token=payload.token,
                            idempotency_key=f"api-{request.headers.get('Idempotency-Key', '')}")
        return 201, PaymentOut.from_orm(payment).model_dump(mode="json")

    return idempotent(request, scope=f"pay:{number}", params=payload.model_dump(), run=run)


@router.get("/orders/{number}/payments", response=list[PaymentOut],
            summary="Payment attempts of one of your orders (`checking`: the outcome is being confirmed)")
def list_payments(request, number: str):
    return list(selectors.order_payments(order_id=selectors.order_id_for(number=number, buyer=request.user)))


@router.get("/orders/{number}/refunds", response=list[RefundOut], summary="Refunds of one of your orders")
def list_refunds(request, number: str):
    return list(selectors.order_refunds(order_id=selectors.order_id_for(number=number, buyer=request.user)))


class BalanceParams(Schema):
    cursor: str | None = Field(None, max_length=40)
    limit: int = Field(selectors.BALANCE_PAGE_LIMIT, ge=1, le=100)


@router.get("/seller/balance", response=SellerBalanceOut,
            summary="Your store's money per order (escrow held, released less commission, refunded, frozen by a "
                    "dispute), newest first, and its totals; 403 not_a_seller without a store")
def seller_balance(request, params: Query[BalanceParams]):
    return seller_balance_out(selectors.seller_balance(seller=request.user, cursor=params.cursor,
                                                       limit=params.limit))


@router.get("/seller/orders/{number}/refunds", response=list[RefundOut], summary="Refunds of your store's order")
def seller_list_refunds(request, number: str):
    order_id = selectors.order_id_for(number=number, store__owner=request.user)
    return list(selectors.order_refunds(order_id=order_id))


@router.post("/seller/orders/{number}/refunds", response={201: RefundOut},
             openapi_extra=openapi_header(required=True),
             summary="Refund (part of) your store's order to the buyer (send an Idempotency-Key header)")
def create_refund(request, number: str, payload: RefundIn):
    filters = {} if request.user.is_staff else {"store__owner": request.user}
    order_id = selectors.order_id_for(number=number, **filters)

    def run():
        amount = None
        if payload.amount is not None:
            amount = parse_money(payload.amount, payload.currency or "", field="amount")
        lines = [RefundLine(i.line_id, i.quantity) for i in payload.lines or []]
        refund = refund_create(order_id=order_id, amount=amount, lines=lines or None, reason=payload.reason,
                               actor=request.user, actor_role="staff" if request.user.is_staff else "seller",
                               order_filters=filters, idempotency_key=f"api-{request.headers['Idempotency-Key']}")
        enqueue_processing(refund)  # committed: the worker sends it to the gateway now
        return 201, RefundOut.from_orm(refund).model_dump(mode="json")

    return idempotent(request, scope=f"refund:{number}", params=payload.model_dump(), run=run)
