"""Customs rules as pure functions: no ORM. The loader (`selectors.customs_rules_for`) feeds them.

A parcel is what one store ships to one buyer (one order). The rules:

- `prohibited_category`: no line whose product is in the category or one of its sub-categories;
- `identical_item_limit`: no line with more than `max_quantity` units of one product;
- `declared_value_limit`: a parcel's goods value (sum of its lines in the rule's currency) must not
  exceed the limit. Lines in another currency are not compared (no exchange rates here): staff keep
  one rule per currency they care about.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django_countries import countries

from souk.core.money import format_money

CODE = "customs_restriction"


@dataclass(frozen=True)
class CustomsLine:
    product_id: int
    category_slug: str
    quantity: int
    unit_price_minor: int
    currency: str
    store_id: int | None = None  # lines of one store travel in one parcel
    category_ancestors: tuple[str, ...] = ()  # the parent categories' slugs, nearest first


@dataclass(frozen=True)
class RuleSnapshot:
    id: int
    country: str
    kind: str
    category_slug: str = ""
    category_name: str = ""
    limit_minor: int | None = None
    currency: str = ""
    max_quantity: int | None = None
    note: str = ""


@dataclass(frozen=True)
class Violation:
    line_index: int
    rule_id: int
    message: str
    code: str = CODE
    detail: dict = field(default_factory=dict)


def country_label(code: str) -> str:
    return str(countries.name(code)) or code


def rule_message(rule: RuleSnapshot, *, country: str) -> str:
    """What a buyer (and staff) read: the rule and the country."""
    where = country_label(country)
    if rule.kind == "prohibited_category":
        return f"{rule.category_name or rule.category_slug} cannot be shipped to {where} (customs rule)."
    if rule.kind == "identical_item_limit":
        return (f"{where} accepts at most {rule.max_quantity} identical "
                f"item{'s' if rule.max_quantity != 1 else ''} per parcel (customs rule).")
    return (f"{where} accepts parcels declared at up to {format_money(rule.limit_minor or 0, rule.currency)} "
            f"(customs rule).")


def customs_violations(*, country: str, lines: list[CustomsLine], rules: list[RuleSnapshot]) -> list[Violation]:
    """Every (line, rule) pair that breaks one of `country`'s active `rules`, in line order."""
    country = (country or "").upper()
    rules = [r for r in rules if r.country == country]
    found: list[Violation] = []
    parcel_value: dict[tuple[int | None, str], int] = {}
    for line in lines:
        key = (line.store_id, line.currency)
        parcel_value[key] = parcel_value.get(key, 0) + line.unit_price_minor * line.quantity
    for i, line in enumerate(lines):
        for rule in rules:
            if rule.kind == "prohibited_category":
                broken = bool(line.category_slug) and rule.category_slug in (line.category_slug,
                                                                             *line.category_ancestors)
            elif rule.kind == "identical_item_limit":
                broken = rule.max_quantity is not None and line.quantity > rule.max_quantity
            elif rule.kind == "declared_value_limit":
                broken = (line.currency == rule.currency and rule.limit_minor is not None
                          and parcel_value[(line.store_id, line.currency)] > rule.limit_minor)
            else:
                broken = False
            if broken:
                found.append(Violation(line_index=i, rule_id=rule.id, message=rule_message(rule, country=country),
                                       detail={"kind": rule.kind, "country": country}))
    return found
