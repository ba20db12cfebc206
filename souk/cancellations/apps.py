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
        from souk.cancellations.tasks import schedule_ship_by
        from souk.core.sweeps import register_sweep
        from souk.orders.clocks import on_clock

        # The seller's ship-by clock runs whenever an order enters awaiting_shipment (docs/architecture.md).
        on_clock("ship_by", "cancellations.ship_by_deadline",
                 lambda order_id, at: schedule_ship_by(order_id=order_id, ship_by=at))

        every = setting("CANCELLATION_SWEEP_SECONDS")
        register_sweep("payment_window_expired", expire_unpaid_orders, every_seconds=every)
        register_sweep("cancellation_requests_due", auto_approve_requests, every_seconds=every)
        register_sweep("ship_by_missed", cancel_unshipped_orders, every_seconds=every)
        register_sweep("cancellations_to_notify", notify_cancellations, every_seconds=every)
