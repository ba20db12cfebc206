from django.contrib import admin

from souk.core.money import format_money
from souk.orders.models import CartItem, Order, OrderEvent, OrderLine


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ("title", "specs", "unit_price_minor", "quantity", "line_total_minor", "product")
    readonly_fields = fields


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ("created_at", "kind", "from_status", "to_status", "actor_role", "actor", "message", "data")
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "buyer", "store", "status", "total_display", "created_at")
    list_filter = ("status", "store")
    search_fields = ("number", "buyer__email")
    list_select_related = ("buyer", "store")
    raw_id_fields = ("buyer", "store")
    readonly_fields = ("number", "checkout_id", "created_at", "updated_at")
    inlines = [OrderLineInline, OrderEventInline]
    date_hierarchy = "created_at"

    @admin.display(description="total", ordering="total_minor")
    def total_display(self, obj: Order) -> str:
        return format_money(obj.total_minor, obj.currency)


@admin.register(CartItem)
class CartItemAdmin(admin.ModelAdmin):
    list_display = ("buyer", "product", "quantity", "added_at")
    search_fields = ("buyer__email", "product__title")
    list_select_related = ("buyer", "product")
    raw_id_fields = ("buyer", "product")
