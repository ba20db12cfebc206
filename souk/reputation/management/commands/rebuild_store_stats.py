"""`souk rebuild_store_stats`: recompute every store's daily stats from scratch (after a bulk import)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from souk.reputation.stats import rebuild_stats


class Command(BaseCommand):
    help = "Recompute the seller-metrics daily stats from orders, cancellations, refunds and reviews."

    def handle(self, *args, **options):
        rows = rebuild_stats()
        self.stdout.write(f"{rows} store-day rows rebuilt; the stats sweep carries on from the newest event.")
