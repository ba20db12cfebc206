"""Compliance API: customs rules and quality flags (staff), address problems and stock (sellers),
address fixes and protection extension (buyers), the public customs check. Thin: parse, call, shape."""

from __future__ import annotations

from ninja import Field, Query, Router, Schema, Status

from souk.accounts.api_auth import STAFF_AUTH
from souk.compliance import schemas as s
from souk.compliance import selectors, services
from souk.compliance.conf import setting
from souk.core.errors import Forbidden
from souk.core.schemas import MAX_ID, country_field, stated
from souk.orders.selectors import order_id_for

router = Router(tags=["compliance"])


class RuleListParams(Schema):
    country: str | None = None
    active: bool | None = None


class CheckParams(Schema):
    country: str = country_field(description="ISO 3166-1 alpha-2 the product would ship to")
    product_id: int = Field(ge=1, le=MAX_ID, description="an active product (404 `product_not_found` if not)")
    quantity: int = Field(1, json_schema_extra=stated(ge=1, le=selectors.CHECK_MAX_QUANTITY),
                          description="422 `invalid_quantity` outside")


def _seller_store_id(user) -> int:
    store_id = getattr(getattr(user, "store", None), "pk", None)
    if store_id is None:
        raise Forbidden("Open a store first: only sellers can do this.", code="not_a_seller")
    return store_id


# --- Staff -----------------------------------------------------------------------------------------

@router.get("/staff/customs-rules", response=list[s.CustomsRuleOut], auth=STAFF_AUTH,
            summary="Customs rules (staff)")
def list_rules(request, params: Query[RuleListParams]):
    services.require_staff(request.user)
    return [s.rule_out(r) for r in selectors.customs_rule_list(country=params.country, active=params.active)]


@router.post("/staff/customs-rules", response={201: s.ImpactOut}, auth=STAFF_AUTH,
             summary="Add a customs rule (staff): returns it with the paid, unshipped orders it hits")
def create_rule(request, payload: s.CustomsRuleIn):
    created = services.customs_rule_create(staff=request.user, data=payload.model_dump())
    return Status(201, {"rule": s.rule_out(created.rule), "orders": [s.impact_out(r) for r in created.hits]})


@router.get("/staff/customs-rules/{rule_id}/impact", response=s.ImpactOut, auth=STAFF_AUTH,
            summary="The paid, unshipped orders a customs rule hits (staff)")
def rule_impact(request, rule_id: int):
    services.require_staff(request.user)
    rule, hits = selectors.customs_rule_impact(rule_id=rule_id)
    return {"rule": s.rule_out(rule), "orders": [s.impact_out(r) for r in hits]}


@router.post("/staff/customs-rules/{rule_id}/cancel-orders", response=s.BulkCancelOut, auth=STAFF_AUTH,
             summary="Cancel orders a customs rule hits: reason customs_restriction, refunded, buyers told (staff)")
def rule_cancel_orders(request, rule_id: int, payload: s.CancelOrdersIn):
    result = services.customs_rule_cancel_hits(staff=request.user, rule_id=rule_id, order_ids=payload.order_ids)
    return {"cancelled": result.cancelled, "skipped": result.skipped}


@router.post("/staff/products/{product_id}/quality-flag", response={201: s.QualityFlagOut}, auth=STAFF_AUTH,
             summary="Flag a product for quality control: listing suspended, unshipped orders cancelled (staff)")
def quality_flag(request, product_id: int, payload: s.QualityFlagIn):
    result = services.product_flag_quality(staff=request.user, product_id=product_id, kind=payload.kind,
                                           evidence=payload.evidence)
    return Status(201, {"flag_id": result.flag.pk, "product_id": product_id, "kind": result.flag.kind,
                        "product_active": False, "cancelled": result.cancelled, "skipped": result.skipped})


# --- Seller ------------------------------------------------------------------------------------------

@router.post("/seller/orders/{number}/address-problem", response={201: s.AddressProblemOut},
             summary="Report that an order's address cannot be used: the buyer gets a window to fix it")
def report_address_problem(request, number: str, payload: s.AddressProblemIn):
    order_id = order_id_for(number=number, store__owner=request.user)
    problem = services.address_problem_report(seller=request.user, order_id=order_id, reason=payload.reason,
                                              note=payload.note)
    return Status(201, s.problem_out(problem, number.replace(" ", "")))


@router.get("/seller/low-stock-products", response=s.LowStockOut,
            summary="Your listed products with fewer units than the low-stock threshold")
def low_stock(request):
    store_id = _seller_store_id(request.user)
    rows = selectors.low_stock_products(store_id=store_id)
    return {"threshold": setting("LOW_STOCK_THRESHOLD"),
            "products": [{"id": r["pk"], "title": r["title"], "stock": r["stock"]} for r in rows]}


@router.get("/seller/orders/{number}/out-of-stock-preview", response=s.OutOfStockPreviewOut,
            summary="Your cancellation rate now and after cancelling this order for out of stock")
def out_of_stock_preview(request, number: str):
    order_id = order_id_for(number=number, store__owner=request.user)
    return selectors.out_of_stock_cancellation_preview(seller=request.user, order_id=order_id)


# --- Buyer -------------------------------------------------------------------------------------------

@router.get("/orders/{number}/address-problem", response=s.AddressProblemStatusOut,
            summary="The address problem on your order (open, else the latest), or null")
def get_address_problem(request, number: str):
    order_id = order_id_for(number=number, buyer=request.user)
    problem = selectors.address_problem_latest(order_id=order_id)
    return {"problem": s.problem_out(problem, number.replace(" ", "")) if problem else None}


@router.post("/orders/{number}/address-fix", response=s.AddressProblemOut,
             summary="Correct the shipping address of your order before the fix deadline")
def fix_address(request, number: str, payload: s.AddressFixIn):
    order_id = order_id_for(number=number, buyer=request.user)
    problem = services.address_fix(buyer=request.user, order_id=order_id, address=payload.model_dump())
    return s.problem_out(problem, number.replace(" ", ""))


@router.post("/orders/{number}/protection-extension", response={201: s.ProtectionExtensionOut},
             summary="Extend buyer protection on an order awaiting delivery (once)")
def extend_protection(request, number: str, payload: s.ProtectionExtendIn):
    order_id = order_id_for(number=number, buyer=request.user)
    ext = services.protection_extend(buyer=request.user, order_id=order_id, days=payload.days)
    return Status(201, {"order_number": number.replace(" ", ""), "days": ext.days,
                        "previous_ends_at": ext.previous_ends_at, "protection_ends_at": ext.new_ends_at})


# --- Public ------------------------------------------------------------------------------------------

@router.get("/customs/check", response=s.CustomsCheckOut, auth=None,
            summary="Can this product (and quantity) be shipped to this country? Checked before checkout")
def customs_check(request, params: Query[CheckParams]):
    found = selectors.customs_check(country=params.country, product_id=params.product_id, quantity=params.quantity)
    return {"allowed": not found, "country": params.country.strip().upper(),
            "violations": [{"rule_id": v.rule_id, "code": v.code, "message": v.message} for v in found]}


