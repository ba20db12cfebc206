"""Phone numbers: parsed with `phonenumbers`, stored as E.164. Pure, no ORM."""

from __future__ import annotations

import phonenumbers

INVALID_PHONE = "invalid_phone"


def phone_to_e164(raw: str, *, region: str | None = None) -> str | None:
    """The number in E.164 (`+14155550100`), or None when it is not a valid number.

    `region` (ISO 3166-1 alpha-2) lets a national number (`(650) 253-0000`) be read
    as a number of that country; without it the number must start with `+`.
    """
    text = (raw or "").strip()
    if not text or len(text) > 40:
        return None
    try:
        number = phonenumbers.parse(text, region.upper() if region else None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
