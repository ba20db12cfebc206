"""`souk audit`: the ledger's invariants, then Souk's payments and refunds against the gateway's
records; exits non-zero naming the first broken invariant (docs/money.md, "Invariants").

It lives in payments, above the ledger: the ledger audits itself (`souk.ledger.audit`) and may not
import payments, which owns the gateway comparison (`souk.payments.audit`)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from souk.core.audit_log import record_audit
from souk.payments.audit import run_full_audit


class Command(BaseCommand):
    help = ("Check the ledger's invariants (balanced entries, escrow, per-order reconciliation) and that "
            "Souk's payments and refunds match the gateway's charges and refunds.")

    def handle(self, *args, **options):
        started = time.monotonic()
        findings = run_full_audit()
        # Kept for /metrics (souk_audit_*): the last result, from any node.
        record_audit(findings, seconds=time.monotonic() - started)
        if not findings:
            self.stdout.write("audit clean")
            return
        if options.get("verbosity", 1) > 1:
            for finding in findings:
                self.stderr.write(str(finding))
        raise CommandError(f"audit failed: {findings[0]} [{len(findings)} finding(s)]", returncode=1)
