from django.apps import AppConfig


class FulfilmentConfig(AppConfig):
    name = "souk.fulfilment"
    label = "fulfilment"
    verbose_name = "Shipping and receipt"
