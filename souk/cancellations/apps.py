from django.apps import AppConfig


class CancellationsConfig(AppConfig):
    name = "souk.cancellations"
    label = "cancellations"
    verbose_name = "Cancellations"
