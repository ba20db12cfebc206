from django.contrib import admin

from souk.messaging.models import Conversation, Message, Participant


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "buyer", "store", "order", "last_message_at")
    raw_id_fields = ("buyer", "store", "order")
    list_select_related = ("buyer", "store", "order")
    inlines = [ParticipantInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "conversation", "kind", "sender", "created_at")
    list_filter = ("kind",)
    raw_id_fields = ("conversation", "sender")
    list_select_related = ("sender",)
