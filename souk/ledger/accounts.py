"""Makes sure every account of the chart exists (migration, post_migrate, test flushes)."""

from __future__ import annotations

from souk.ledger.chart import CHART


def ensure_accounts(account_model=None, using: str = "default") -> None:
    if account_model is None:
        from souk.ledger.models import LedgerAccount as account_model
    account_model.objects.using(using).bulk_create(
        [account_model(code=code.value, name=name, kind=kind.value) for code, (kind, name) in CHART.items()],
        ignore_conflicts=True)
