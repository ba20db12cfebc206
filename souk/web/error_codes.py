"""The error codes only the pages (and /metrics) return; the pages otherwise show the apps' codes' messages.
Listed in docs/api.md ("Error codes") by `souk apidoc`."""

from __future__ import annotations

from souk.core.error_codes import ErrorCodeEnum


class ErrorCode(ErrorCodeEnum):
    INVALID_PRODUCT = ("invalid_product", 422,
                       "A product number that is not a number (staff quality-control form).")
    METRICS_TOKEN_REQUIRED = ("metrics_token_required", 401,
                              "/metrics without `Authorization: Bearer <SOUK_METRICS_TOKEN>` (docs/operations.md, Metrics).")
