from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "souk.compliance"
    label = "compliance"
    verbose_name = "Compliance"

    def ready(self) -> None:
        from souk.compliance.conf import setting
        from souk.compliance.services.addresses import expire_address_problems
        from souk.compliance.services.stock import low_stock_sweep
        from souk.core.sweeps import register_sweep

        register_sweep("address_fix_expired", expire_address_problems,
                       every_seconds=setting("COMPLIANCE_SWEEP_SECONDS"))
        register_sweep("low_stock_alerts", low_stock_sweep, every_seconds=setting("LOW_STOCK_SWEEP_SECONDS"))
