from django.contrib import admin

from souk.notifications.models import EmailMessage, Notification, WebhookDelivery, WebhookEndpoint


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "recipient", "kind", "title", "order", "read_at", "created_at")
    list_filter = ("kind",)
    search_fields = ("recipient__email", "title")
    raw_id_fields = ("recipient", "order")
    list_select_related = ("recipient", "order")


@admin.register(EmailMessage)
class EmailMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "to", "subject", "state", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("state", "kind")
    search_fields = ("to", "subject")
    raw_id_fields = ("recipient",)
    readonly_fields = ("last_error",)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("id", "url", "kinds", "active", "created_by", "created_at")
    list_filter = ("active",)
    raw_id_fields = ("created_by",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "endpoint", "kind", "event_id", "state", "attempts", "response_status",
                    "next_attempt_at", "delivered_at")
    list_filter = ("state", "endpoint", "kind")
    search_fields = ("event_id",)
    raw_id_fields = ("endpoint",)
    list_select_related = ("endpoint",)
    readonly_fields = ("payload", "last_error")
