"""The one validator of a parcel's carrier and tracking number (the order's tracking columns).

Shipping an order and rejecting a cancellation request as "already shipped" both record
tracking; both validate it here, so the same input gets the same error code everywhere:
`required`, `too_long` (over 80 characters) or `invalid_tracking_number` (anything but letters,
digits and dashes).
"""

from __future__ import annotations

import re
from urllib.parse import quote

from souk.core.errors import ErrorCollector

__all__ = ["CARRIERS_WITH_TRACKING", "CARRIER_MAX_LENGTH", "TRACKING_MAX_LENGTH", "clean_tracking", "tracking_url"]

CARRIER_MAX_LENGTH = 80
TRACKING_MAX_LENGTH = 80
TRACKING_RE = re.compile(r"^[A-Za-z0-9-]+$")


def clean_tracking(errors: ErrorCollector, carrier: str | None, tracking_number: str | None) -> tuple[str, str]:
    """The carrier and tracking number, stripped; each problem added to `errors` under its field."""
    carrier = (carrier or "").strip()
    tracking_number = (tracking_number or "").strip()
    if not carrier:
        errors.add("carrier", "required", "Enter the carrier the parcel left with.")
    elif len(carrier) > CARRIER_MAX_LENGTH:
        errors.add("carrier", "too_long", f"The carrier name must be at most {CARRIER_MAX_LENGTH} characters.")
    if not tracking_number:
        errors.add("tracking_number", "required", "Enter the parcel's tracking number.")
    elif len(tracking_number) > TRACKING_MAX_LENGTH:
        errors.add("tracking_number", "too_long",
                   f"The tracking number must be at most {TRACKING_MAX_LENGTH} characters.")
    elif not TRACKING_RE.match(tracking_number):
        errors.add("tracking_number", "invalid_tracking_number",
                   "A tracking number has only letters, digits and dashes.")
    return carrier, tracking_number


# The carriers whose public tracking page takes the number in its URL (the name as sellers type it,
# lower-cased, spaces and dashes dropped). Any other carrier: no link, the number alone.
CARRIERS_WITH_TRACKING: dict[str, str] = {
    "dhl": "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}",
    "ups": "https://www.ups.com/track?tracknum={number}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={number}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
    "royalmail": "https://www.royalmail.com/track-your-item#/tracking-results/{number}",
    "cainiao": "https://global.cainiao.com/detail.htm?mailNoList={number}",
}


def tracking_url(carrier: str, tracking_number: str) -> str:
    """The carrier's tracking page for the parcel, or "" when Souk knows no page for that carrier."""
    template = CARRIERS_WITH_TRACKING.get(re.sub(r"[\s-]+", "", (carrier or "").lower()))
    if not template or not tracking_number:
        return ""
    return template.format(number=quote(tracking_number, safe=""))
