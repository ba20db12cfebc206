from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "souk.notifications"
    label = "notifications"
    verbose_name = "Notifications"
