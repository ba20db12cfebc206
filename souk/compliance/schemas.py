"""API shapes for customs rules, quality flags, address problems, protection extension and stock."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import ConfigDict, Field

from souk.compliance.models import AddressProblem, CustomsRule
from souk.core.schemas import MoneyOut, money


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


# --- Customs --------------------------------------------------------------------------------------

class CustomsRuleIn(Strict):
    country: str = Field(max_length=8, description="ISO 3166-1 alpha-2 destination country")
    kind: str = Field(max_length=32, description="prohibited_category | declared_value_limit | identical_item_limit")
    category: str | None = Field(None, max_length=80, description="prohibited_category: the category slug")
    value_limit: str | None = Field(None, max_length=32, description="declared_value_limit: amount, e.g. \"150.00\"")
    currency: str | None = Field(None, max_length=8, description="declared_value_limit: ISO 4217")
    max_quantity: int | None = Field(None, description="identical_item_limit: most units of one product")
    note: str = Field("", max_length=500)
    active: bool = True


class CustomsRuleOut(Schema):
    id: int
    country: str
    country_name: str
    kind: str
    category: str | None
    value_limit: MoneyOut | None
    max_quantity: int | None
    active: bool
    note: str
    message: str
    created_at: datetime


class ImpactOrderOut(Schema):
    id: int
    number: str
    status: str
    store_id: int
    store_name: str
    title: str
    total: MoneyOut
    created_at: datetime


class ImpactOut(Schema):
    rule: CustomsRuleOut
    orders: list[ImpactOrderOut]


class CancelOrdersIn(Strict):
    order_ids: list[int] = Field(max_length=500)


class SkippedOut(Schema):
    order_id: str
    code: str
    message: str


class BulkCancelOut(Schema):
    cancelled: list[str]
    skipped: list[SkippedOut]


class ViolationOut(Schema):
    rule_id: int
    code: str
    message: str


class CustomsCheckOut(Schema):
    allowed: bool
    country: str
    violations: list[ViolationOut]


def rule_out(rule: CustomsRule) -> dict:
    from souk.compliance.policy import country_label, rule_message
    from souk.compliance.selectors import rule_snapshot

    return {"id": rule.pk, "country": str(rule.country), "country_name": country_label(str(rule.country)),
            "kind": rule.kind, "category": rule.category.slug if rule.category_id else None,
            "value_limit": money(rule.limit_minor, rule.currency) if rule.limit_minor is not None else None,
            "max_quantity": rule.max_quantity, "active": rule.active, "note": rule.note,
            "message": rule_message(rule_snapshot(rule), country=str(rule.country)), "created_at": rule.created_at}


def impact_out(row) -> dict:
    return {"id": row.id, "number": row.number, "status": row.status, "store_id": row.store_id,
            "store_name": row.store_name, "title": row.title, "total": money(row.total_minor, row.currency),
            "created_at": row.created_at}


# --- Quality ----------------------------------------------------------------------------------------

class QualityFlagIn(Strict):
    kind: str = Field(max_length=32, description="counterfeit | damaged | inferior_quality")
    evidence: str = Field(max_length=5000)


class QualityFlagOut(Schema):
    flag_id: int
    product_id: int
    kind: str
    product_active: bool
    cancelled: list[str]
    skipped: list[SkippedOut]


# --- Address problems ----------------------------------------------------------------------------

class AddressProblemIn(Strict):
    reason: str = Field(max_length=32, description="incomplete | undeliverable | phone_unreachable | other")
    note: str = Field("", max_length=500)


class AddressProblemOut(Schema):
    id: int
    order_number: str
    reported_by: str
    reason: str
    reason_label: str
    note: str
    state: str
    fix_by: datetime
    fixed_at: datetime | None
    created_at: datetime


class AddressProblemStatusOut(Schema):
    problem: AddressProblemOut | None


class AddressFixIn(Strict):
    name: str = Field("", max_length=200)
    company_name: str = Field("", max_length=200)
    country: str = Field("", max_length=8)
    country_area: str = Field("", max_length=200)
    city: str = Field("", max_length=200)
    city_area: str = Field("", max_length=200)
    street_address: str = Field("", max_length=400)
    postal_code: str = Field("", max_length=40)
    sorting_code: str = Field("", max_length=40)
    phone: str = Field("", max_length=40)


def problem_out(problem: AddressProblem, number: str) -> dict:
    return {"id": problem.pk, "order_number": number, "reported_by": problem.reported_by, "reason": problem.reason,
            "reason_label": AddressProblem.Reason(problem.reason).label, "note": problem.note,
            "state": problem.state, "fix_by": problem.fix_by, "fixed_at": problem.fixed_at,
            "created_at": problem.created_at}


# --- Protection ----------------------------------------------------------------------------------

class ProtectionExtendIn(Strict):
    days: int


class ProtectionExtensionOut(Schema):
    order_number: str
    days: int
    previous_ends_at: datetime
    protection_ends_at: datetime


# --- Stock ----------------------------------------------------------------------------------------

class LowStockProductOut(Schema):
    id: int
    title: str
    stock: int


class LowStockOut(Schema):
    threshold: int
    products: list[LowStockProductOut]


class OutOfStockPreviewOut(Schema):
    order_number: str
    allowed: bool
    why_not: str
    window_days: int
    orders: int
    cancelled_now: int
    rate_now: float | None
    cancelled_after: int
    rate_after: float | None
    source: str
