from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "souk.messaging"
    label = "messaging"
    verbose_name = "Messaging"
