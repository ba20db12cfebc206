from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    name = "souk.checkout"
    label = "checkout"
    verbose_name = "Checkout"
