"""The error code of the ledger. Listed in docs/api.md ("Error codes") by `souk apidoc`."""

from __future__ import annotations

from souk.core.error_codes import ErrorCodeEnum


class ErrorCode(ErrorCodeEnum):
    LEDGER_UNBALANCED = ("ledger_unbalanced", 500,
                         "A journal entry that does not balance: a bug, never the user's doing.")
