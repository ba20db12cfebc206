from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "souk.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from souk.core.sweeps import register_sweep
        from souk.notifications.delivery import deliver_due

        register_sweep("notifications_outbox", deliver_due, every_seconds=10)
