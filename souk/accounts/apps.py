from django.apps import AppConfig
from django.db.models.signals import post_migrate


def create_cache_table(sender, using: str = "default", **kwargs) -> None:
    """`souk migrate` (and the test database's set-up) also creates the database cache's table, so the
    login and reset counters (souk/accounts/throttle.py) have a shared home with no manual step. Does
    nothing when the table exists or the cache is Redis (docs/operations.md, The cache)."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


class AccountsConfig(AppConfig):
    name = "souk.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        post_migrate.connect(create_cache_table, sender=self, dispatch_uid="souk.accounts.create_cache_table")
