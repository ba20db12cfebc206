"""The error code only the pages return; the pages otherwise show the apps' codes' messages.
Listed in docs/api.md ("Error codes") by `souk apidoc`."""

from __future__ import annotations

from souk.core.error_codes import ErrorCodeEnum


class ErrorCode(ErrorCodeEnum):
    INVALID_PRODUCT = ("invalid_product", 422,
                       "A product number that is not a number (staff quality-control form).")
