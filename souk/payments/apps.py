from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "souk.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from souk.core.sweeps import register_sweep
        from souk.orders.clocks import on_clock
        from souk.payments.tasks import schedule_protection_end

        # Buyer protection runs from shipment; when it ends, the order completes and escrow is released.
        on_clock("protection_ends_at", "payments.end_protection",
                 lambda order_id, at: schedule_protection_end(order_id=order_id, at=at))
        from souk.payments.conf import setting
        from souk.payments.idempotency import purge_expired_keys
        from souk.payments.services import (
            escrow_release_due,
            payments_reconcile_due,
            payments_review_due,
            protection_ended_due,
            refunds_due,
        )

        register_sweep("refunds_due", refunds_due, every_seconds=float(setting("REFUND_SWEEP_SECONDS")))
        register_sweep("escrow_release_due", escrow_release_due,
                       every_seconds=float(setting("ESCROW_SWEEP_SECONDS")))
        register_sweep("protection_ended_due", protection_ended_due,
                       every_seconds=float(setting("ESCROW_SWEEP_SECONDS")))
        register_sweep("payments_review_due", payments_review_due, every_seconds=60)
        # Payment attempts left pending (a crash, a timeout) are checked with the gateway and finished.
        register_sweep("payments_reconcile_due", payments_reconcile_due,
                       every_seconds=float(setting("PAYMENT_RECONCILE_SWEEP_SECONDS")))
        register_sweep("idempotency_keys_expired", purge_expired_keys, every_seconds=3600)
