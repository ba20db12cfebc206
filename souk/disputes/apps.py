from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "souk.disputes"
    label = "disputes"
    verbose_name = "Disputes"

    def ready(self) -> None:
        from souk.core.sweeps import register_sweep
        from souk.disputes.conf import setting
        from souk.disputes.services.timers import disputes_due, disputes_to_remind

        every = float(setting("DISPUTE_SWEEP_SECONDS"))
        register_sweep("disputes_due", disputes_due, every_seconds=every)
        register_sweep("disputes_to_remind", disputes_to_remind, every_seconds=every)
