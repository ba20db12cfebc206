"""`assert_audit_clean()`: every money-moving test ends with it."""

from __future__ import annotations

from souk.ledger.audit import run_audit


def assert_audit_clean() -> None:
    findings = run_audit()
    assert not findings, "ledger audit failed:\n" + "\n".join(str(f) for f in findings)
