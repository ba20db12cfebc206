"""`souk audit`: checks every ledger invariant; exits non-zero naming the first broken one."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from souk.ledger.audit import run_audit


class Command(BaseCommand):
    help = "Check the ledger's invariants (balanced entries, escrow, per-order reconciliation)."

    def handle(self, *args, **options):
        findings = run_audit()
        if not findings:
            self.stdout.write("audit clean")
            return
        if options.get("verbosity", 1) > 1:
            for finding in findings:
                self.stderr.write(str(finding))
        raise CommandError(f"audit failed: {findings[0]} [{len(findings)} finding(s)]", returncode=1)
