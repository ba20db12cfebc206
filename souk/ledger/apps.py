from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_accounts(sender, using="default", **kwargs) -> None:
    # Also runs after `flush` (transactional tests), which empties the chart.
    from souk.ledger.accounts import ensure_accounts

    ensure_accounts(using=using)


class LedgerConfig(AppConfig):
    name = "souk.ledger"
    label = "ledger"
    verbose_name = "Ledger"

    def ready(self) -> None:
        post_migrate.connect(_ensure_accounts, sender=self, dispatch_uid="souk.ledger.ensure_accounts")
