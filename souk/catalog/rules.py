"""Field rules for catalog input, shared by every service: pure, no ORM.

Each reader takes the raw value (from JSON or a form post), adds a FieldError to
the collector when it breaks a rule, and returns the cleaned value (or None).
"""

from __future__ import annotations

from typing import Any

from souk.core.errors import ErrorCollector, ValidationFailed
from souk.core.money import money_to_minor, parse_money

MAX_STOCK = 1_000_000_000
MAX_DIMENSION = 10_000_000  # mm or g: ten kilometres / ten tonnes is already absurd
MAX_SPECS = 50
MAX_RATES = 250
MAX_DAYS = 365


def text(errors: ErrorCollector, value: Any, field: str, *, max_length: int, required: bool = False,
         label: str | None = None) -> str:
    label = label or field.replace("_", " ").capitalize()
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(field, "invalid_text", f"{label} must be text.")
        return ""
    value = value.strip()
    if "\x00" in value:
        errors.add(field, "invalid_text", f"{label} contains a character we cannot store.")
    elif required and not value:
        errors.add(field, "required", f"{label} is required.")
    elif len(value) > max_length:
        errors.add(field, "too_long", f"{label} must be at most {max_length} characters.")
    return value


def integer(errors: ErrorCollector, value: Any, field: str, *, minimum: int, maximum: int,
            label: str, required: bool = True) -> int | None:
    if value is None or value == "":
        if required:
            errors.add(field, "required", f"{label} is required.")
        return None
    if isinstance(value, bool):
        errors.add(field, "invalid_integer", f"{label} must be a whole number.")
        return None
    if isinstance(value, str):
        stripped = value.strip()
        digits = stripped[1:] if stripped[:1] in "+-" else stripped
        if not digits.isdigit() or len(digits) > 18:
            errors.add(field, "invalid_integer", f"{label} must be a whole number.")
            return None
        value = int(stripped)
    if not isinstance(value, int):
        errors.add(field, "invalid_integer", f"{label} must be a whole number.")
        return None
    if value < minimum:
        code = "negative" if minimum == 0 else "too_small"
        errors.add(field, code, f"{label} must be at least {minimum}.")
        return None
    if value > maximum:
        errors.add(field, "too_large", f"{label} must be at most {maximum}.")
        return None
    return value


def money_minor(errors: ErrorCollector, value: Any, field: str, *, currency: str, allow_zero: bool,
                label: str) -> int | None:
    if value is None or value == "":
        errors.add(field, "required", f"{label} is required.")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        errors.add(field, "invalid_amount", f"{label} must be a decimal amount such as \"12.50\".")
        return None
    try:
        return money_to_minor(parse_money(value, currency, field=field, allow_zero=allow_zero))
    except ValidationFailed as exc:
        for err in exc.errors:
            errors.add(field, err.code, err.message)
        return None


def boolean(errors: ErrorCollector, value: Any, field: str) -> bool | None:
    if isinstance(value, bool):
        return value
    if value in ("on", "true", "1", 1, "yes"):
        return True
    if value in ("", "false", "0", 0, "off", "no", None):
        return False
    errors.add(field, "invalid_boolean", f"{field} must be true or false.")
    return None


def specs(errors: ErrorCollector, value: Any) -> list[tuple[str, str]]:
    """A list of {name, value}: at most 50, both parts required."""
    if not isinstance(value, list):
        errors.add("specs", "invalid_specs", "Specifications must be a list of {name, value}.")
        return []
    if len(value) > MAX_SPECS:
        errors.add("specs", "too_many_specs", f"A product has at most {MAX_SPECS} specifications.")
        return []
    cleaned: list[tuple[str, str]] = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            errors.add(f"specs.{index}", "invalid_spec", "Each specification needs a name and a value.")
            continue
        name = text(errors, item.get("name"), f"specs.{index}.name", max_length=80, required=True,
                    label="Specification name")
        val = text(errors, item.get("value"), f"specs.{index}.value", max_length=240, required=True,
                   label="Specification value")
        cleaned.append((name, val))
    return cleaned
