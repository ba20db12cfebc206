from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "souk.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from souk.core.sweeps import register_sweep
        from souk.notifications.delivery import deliver_due

        register_sweep("notifications_outbox", deliver_due, every_seconds=10)
        from souk.notifications.refunds import tell_buyer
        from souk.payments.refund_news import on_refund_news

        # Payments announces a refund's end (succeeded, failed, delayed) in the transaction of the change.
        on_refund_news("notifications.tell_buyer", tell_buyer)
