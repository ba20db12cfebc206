from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "souk.compliance"
    label = "compliance"
    verbose_name = "Compliance"
