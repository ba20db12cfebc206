from django.apps import AppConfig


class ReputationConfig(AppConfig):
    name = "souk.reputation"
    label = "reputation"
    verbose_name = "Reputation"
