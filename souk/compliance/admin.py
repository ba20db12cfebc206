"""Admin: read what compliance recorded. Changes go through the services (API), which cancel and refund."""

from __future__ import annotations

from django.contrib import admin

from souk.compliance.models import (
    AddressProblem,
    CustomsRule,
    LowStockAlert,
    ProtectionExtension,
    QualityFlag,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CustomsRule)
class CustomsRuleAdmin(ReadOnly):
    list_display = ("id", "country", "kind", "category", "limit_minor", "currency", "max_quantity", "active",
                    "created_at")
    list_filter = ("kind", "active")
    list_select_related = ("category",)


@admin.register(QualityFlag)
class QualityFlagAdmin(ReadOnly):
    list_display = ("id", "product", "store", "kind", "orders_cancelled", "created_at", "resolved_at")
    list_filter = ("kind",)
    list_select_related = ("product", "store")
    raw_id_fields = ("product", "store", "flagged_by")


@admin.register(AddressProblem)
class AddressProblemAdmin(ReadOnly):
    list_display = ("id", "order", "reported_by", "reason", "state", "fix_by", "fixed_at", "created_at")
    list_filter = ("state", "reason", "reported_by")
    list_select_related = ("order",)
    raw_id_fields = ("order", "reporter")


@admin.register(ProtectionExtension)
class ProtectionExtensionAdmin(ReadOnly):
    list_display = ("id", "order", "days", "previous_ends_at", "new_ends_at", "created_at")
    list_select_related = ("order",)
    raw_id_fields = ("order", "requested_by")


@admin.register(LowStockAlert)
class LowStockAlertAdmin(ReadOnly):
    list_display = ("id", "product", "store", "stock", "threshold", "created_at", "cleared_at")
    list_select_related = ("product", "store")
    raw_id_fields = ("product", "store")
