from django.contrib import admin

from souk.catalog.models import Category, Product, ProductSpec, ShippingOption, ShippingRate, Store
from souk.core.money import format_money


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "owner", "currency", "handling_days", "ships_from", "is_active", "created_at")
    list_filter = ("is_active", "currency")
    search_fields = ("name", "slug", "owner__email")
    raw_id_fields = ("owner",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "parent")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


class ProductSpecInline(admin.TabularInline):
    model = ProductSpec
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("title", "store", "price_display", "stock", "is_active")
    list_filter = ("is_active", "category", "store")
    list_select_related = ("store",)
    search_fields = ("title", "slug", "store__name")
    raw_id_fields = ("store",)
    inlines = [ProductSpecInline]

    @admin.display(description="price", ordering="price_minor")
    def price_display(self, obj: Product) -> str:
        return format_money(obj.price_minor, obj.currency)


class ShippingRateInline(admin.TabularInline):
    model = ShippingRate
    extra = 0


@admin.register(ShippingOption)
class ShippingOptionAdmin(admin.ModelAdmin):
    list_display = ("name", "store", "carrier", "protection_days", "is_active")
    list_filter = ("is_active",)
    list_select_related = ("store",)
    search_fields = ("name", "carrier", "store__name")
    raw_id_fields = ("store",)
    inlines = [ShippingRateInline]
