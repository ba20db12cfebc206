"""`{{ minor|money:currency }}` or `{{ money_obj|money }}`: amounts shown with Babel; `{{ code|country_name }}`."""

from __future__ import annotations

from django import template
from django_countries import countries
from moneyed import Money

from souk.core.money import format_money, money_to_minor

register = template.Library()


@register.filter
def money(value, currency: str | None = None) -> str:
    if isinstance(value, Money):
        return format_money(money_to_minor(value), value.currency.code)
    if value is None or not currency:
        return ""
    return format_money(int(value), currency)


@register.filter
def country_name(code: str) -> str:
    """'DE' → 'Germany'; '' → 'Rest of the world'."""
    if not code:
        return "Rest of the world"
    return countries.name(code) or code


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key) if mapping else None
