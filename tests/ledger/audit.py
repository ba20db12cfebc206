"""`assert_audit_clean()`: every money-moving test ends with it. It checks what `souk audit`
checks: the ledger's invariants and Souk's payments and refunds against the gateway's records."""

from __future__ import annotations

from souk.payments.audit import run_full_audit


def assert_audit_clean() -> None:
    findings = run_full_audit()
    assert not findings, "audit failed:\n" + "\n".join(str(f) for f in findings)
