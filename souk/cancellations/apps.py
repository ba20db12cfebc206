from django.apps import AppConfig


class CancellationsConfig(AppConfig):
    name = "souk.cancellations"
    label = "cancellations"
    verbose_name = "Cancellations"

    def ready(self) -> None:
        from souk.cancellations.conf import setting
        from souk.cancellations.services.timers import (
            auto_approve_requests,
            cancel_unshipped_orders,
            expire_unpaid_orders,
            notify_cancellations,
        )
        from souk.core.sweeps import register_sweep

        every = setting("CANCELLATION_SWEEP_SECONDS")
        register_sweep("payment_window_expired", expire_unpaid_orders, every_seconds=every)
        register_sweep("cancellation_requests_due", auto_approve_requests, every_seconds=every)
        register_sweep("ship_by_missed", cancel_unshipped_orders, every_seconds=every)
        register_sweep("cancellations_to_notify", notify_cancellations, every_seconds=every)
