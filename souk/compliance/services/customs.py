"""Customs rules: staff keep them, checkout obeys them, and staff cancel the paid orders a new rule hits."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_countries import countries

from souk.catalog.models import Category
from souk.compliance import selectors
from souk.compliance.models import CustomsRule
from souk.compliance.policy import RuleSnapshot, customs_violations, rule_message
from souk.compliance.selectors import ImpactRow
from souk.core.errors import DomainError, ErrorCollector, FieldError, Forbidden, NotFound, ValidationFailed
from souk.core.money import money_to_minor, parse_money
from souk.core.sql import Part, quote

logger = logging.getLogger("souk.compliance")

NOTE_MAX = 500
MAX_ORDERS_PER_CALL = 500


def require_staff(user) -> None:
    if not getattr(user, "is_staff", False):
        raise Forbidden("Only Souk staff can do this.", code="staff_only")


# --- Checkout ---------------------------------------------------------------------------------

def check_checkout_lines(*, country: str, lines: Sequence[Any],
                         rules: list[RuleSnapshot] | None = None) -> None:
    """Refuse checkout lines that break a customs rule of the destination `country`.

    `lines` are objects with `product_id` and `quantity` (e.g. `souk.checkout.services.CheckoutLine`);
    `rules` the country's active rules when the caller read them already (`customs_rules_part`),
    else they are read here (one query). Raises ValidationFailed (422, code `customs_restriction`)
    with one error per broken (line, rule), field `lines[i].product_id`, message naming the rule and
    the country. No further query when the country has no active rule; otherwise one for the
    products (+ one for the category tree when a category rule applies).
    """
    if rules is None:
        rules = selectors.customs_rules_for(country)
    if not rules:
        return
    with_ancestors = any(r.kind == CustomsRule.Kind.PROHIBITED_CATEGORY for r in rules)
    customs_lines = selectors.customs_lines_for(list(lines), with_ancestors=with_ancestors)
    found = customs_violations(country=country, lines=customs_lines, rules=rules)
    if found:
        errors = [FieldError(f"lines[{v.line_index}].product_id", v.code, v.message) for v in found]
        raise ValidationFailed(errors[0].message if len(errors) == 1 else
                               "Some items cannot be shipped to this country (customs rules).",
                               code="customs_restriction", errors=errors)


def customs_rules_part(name: str, *, country_from: str) -> Part:
    """`selectors.customs_rules_for` as a part of a workflow's one read statement (souk.core.sql):
    the active rules of the `country` the earlier part `country_from` yields (e.g. the address an
    order ships to), so checkout reads them with the address in one round trip. One row, `rules` a
    JSON array; no parameters. Result: `customs_rules_from`."""
    r = quote(CustomsRule._meta.db_table)
    return Part(name, f"""
SELECT json_agg(json_build_array(r.id, r.country, r.kind, r.category_id, r.limit_minor, r.currency,
                                 r.max_quantity, r.note) ORDER BY r.id) AS rules
  FROM {r} AS r
 WHERE r.country = upper((SELECT country FROM {country_from})) AND r.active""", columns=("rules",),
                needs=(country_from,))


def customs_rules_from(values: tuple, *, country: str) -> list[RuleSnapshot]:
    """The part's rules as `selectors.customs_rules_for(country)` returns them. A category rule
    names its category (catalog's), which the part does not read: with one, the selector reads
    the rules again (one query, only for a destination that has category rules)."""
    rows = values[0] or ()
    if any(kind == CustomsRule.Kind.PROHIBITED_CATEGORY for _, _, kind, *_ in rows):
        return selectors.customs_rules_for(country)
    return [RuleSnapshot(id=pk, country=c, kind=kind, limit_minor=limit, currency=currency, max_quantity=qty,
                         note=note)
            for pk, c, kind, _category_id, limit, currency, qty, note in rows]


# --- Staff: rules ----------------------------------------------------------------------------

@dataclass(frozen=True)
class RuleCreated:
    rule: CustomsRule
    hits: list[ImpactRow]


def _text(data: dict, name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def _clean_rule(data: dict[str, Any]) -> dict[str, Any]:
    errors = ErrorCollector()
    if not isinstance(data, dict):
        raise ValidationFailed("Send the rule as an object.", code="invalid_input", field="body")
    cleaned: dict[str, Any] = {}
    country = _text(data, "country").upper()
    if not country:
        errors.add("country", "required", "Choose the destination country.")
    elif len(country) != 2 or country not in countries:
        errors.add("country", "invalid_country", f"{country!r} is not a known ISO 3166 country code.")
    cleaned["country"] = country
    kind = _text(data, "kind")
    if kind not in CustomsRule.Kind.values:
        errors.add("kind", "invalid_kind", f"kind is one of: {', '.join(CustomsRule.Kind.values)}.")
    cleaned["kind"] = kind
    note = data.get("note") or ""
    if not isinstance(note, str) or len(note) > NOTE_MAX:
        errors.add("note", "too_long", f"The note must be text of at most {NOTE_MAX} characters.")
    cleaned["note"] = note.strip() if isinstance(note, str) else ""
    active = data.get("active", True)
    if not isinstance(active, bool):
        errors.add("active", "invalid", "active is true or false.")
    cleaned["active"] = active is not False

    if kind == CustomsRule.Kind.PROHIBITED_CATEGORY:
        slug = _text(data, "category")
        category = Category.objects.filter(slug=slug).first() if slug else None
        if not slug:
            errors.add("category", "required", "Choose the prohibited category.")
        elif category is None:
            errors.add("category", "unknown_category", f"There is no category {slug!r}.")
        cleaned["category"] = category
    elif kind == CustomsRule.Kind.DECLARED_VALUE_LIMIT:
        currency = _text(data, "currency").upper()
        amount = data.get("value_limit")
        if amount is None or amount == "":
            errors.add("value_limit", "required", "Enter the most a parcel may declare.")
        elif isinstance(amount, bool) or not isinstance(amount, (str, int)):
            errors.add("value_limit", "invalid_amount", "value_limit is an amount like \"150.00\".")
        else:
            try:
                money = parse_money(amount, currency, field="value_limit")
            except ValidationFailed as exc:
                for e in exc.errors:
                    errors.add(e.field, e.code, e.message)
            else:
                cleaned["limit_minor"] = money_to_minor(money)
                cleaned["currency"] = currency
    elif kind == CustomsRule.Kind.IDENTICAL_ITEM_LIMIT:
        qty = data.get("max_quantity")
        if qty is None:
            errors.add("max_quantity", "required", "Enter the most units of one product a parcel may hold.")
        elif isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= 100_000:
            errors.add("max_quantity", "invalid_quantity", "max_quantity is a whole number from 1 to 100000.")
        else:
            cleaned["max_quantity"] = qty
    errors.raise_if_any()
    return cleaned


def customs_rule_create(*, staff, data: dict[str, Any], now: datetime | None = None) -> RuleCreated:
    """Staff add a rule for a destination country; returns it with the paid, unshipped orders it hits."""
    require_staff(staff)
    cleaned = _clean_rule(data)
    with transaction.atomic():
        rule = CustomsRule.objects.create(created_by=staff, created_at=now or timezone.now(), **cleaned)
    _, hits = selectors.customs_rule_impact(rule_id=rule.pk)
    return RuleCreated(rule=rule, hits=hits)


# --- Staff: cancelling what a rule hits ---------------------------------------------------------

@dataclass
class BulkCancelResult:
    cancelled: list[str] = field(default_factory=list)           # order numbers
    skipped: list[dict[str, str]] = field(default_factory=list)  # {order_id, code, message}


def _clean_order_ids(order_ids: Any) -> list[int]:
    if (not isinstance(order_ids, list) or not order_ids
            or any(isinstance(i, bool) or not isinstance(i, int) for i in order_ids)):
        raise ValidationFailed("order_ids is a non-empty list of order ids.", code="invalid_order_ids",
                               field="order_ids")
    if len(order_ids) > MAX_ORDERS_PER_CALL:
        raise ValidationFailed(f"At most {MAX_ORDERS_PER_CALL} orders per call.", code="too_many_orders",
                               field="order_ids")
    return list(dict.fromkeys(order_ids))


def cancel_each(*, staff, order_ids: list[int], reason: str, note: str, now: datetime | None,
                result: BulkCancelResult) -> None:
    """Cancel each order through the cancellation engine (refund, restock rules, notifications), each in
    a savepoint of the caller's transaction: one order that cannot be cancelled does not stop the rest."""
    from souk.cancellations.services import order_cancel_by_staff

    for order_id in order_ids:
        try:
            with transaction.atomic():
                done = order_cancel_by_staff(staff=staff, order_id=order_id, reason=reason, note=note, now=now)
            result.cancelled.append(done.order.number)
        except DomainError as exc:
            result.skipped.append({"order_id": str(order_id), "code": exc.code, "message": exc.message})


def customs_rule_cancel_hits(*, staff, rule_id: int, order_ids: list[int],
                             now: datetime | None = None) -> BulkCancelResult:
    """Cancel the chosen orders the rule hits, reason `customs_restriction` (platform fault): refunded, told.

    Orders the rule does not hit (any more) are skipped with `not_hit_by_rule`; orders that shipped
    meanwhile are skipped with the cancellation policy's code. One transaction.
    """
    require_staff(staff)
    order_ids = _clean_order_ids(order_ids)
    rule = CustomsRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise NotFound("Customs rule not found.", code="customs_rule_not_found")
    note = rule_message(selectors.rule_snapshot(rule), country=str(rule.country))
    result = BulkCancelResult()
    with transaction.atomic():
        hit = set(selectors.customs_rule_hits(rule).filter(pk__in=order_ids).values_list("pk", flat=True))
        for order_id in order_ids:
            if order_id not in hit:
                result.skipped.append({"order_id": str(order_id), "code": "not_hit_by_rule",
                                       "message": "This order is not a paid, unshipped order the rule hits."})
        cancel_each(staff=staff, order_ids=[i for i in order_ids if i in hit], reason="customs_restriction",
                    note=note[:NOTE_MAX], now=now, result=result)
    logger.info("customs rule %s: cancelled %d orders", rule.pk, len(result.cancelled))
    return result
