from django.apps import AppConfig


class ReputationConfig(AppConfig):
    name = "souk.reputation"
    label = "reputation"
    verbose_name = "Reputation"

    def ready(self) -> None:
        from souk.core.sweeps import register_sweep
        from souk.reputation.conf import setting
        from souk.reputation.stats import rollup_events

        register_sweep("store_daily_stats", rollup_events, every_seconds=setting("STATS_SWEEP_SECONDS"))
