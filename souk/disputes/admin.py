from django.contrib import admin

from souk.disputes.models import Decision, Dispute, Evidence, Offer


class OfferInline(admin.TabularInline):
    model = Offer
    extra = 0
    can_delete = False
    readonly_fields = ("party", "kind", "amount_minor", "note", "created_at")


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    can_delete = False
    readonly_fields = ("party", "file", "content_type", "size", "note", "created_at")


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    """Read-only: decisions go through the staff API (souk.disputes.services), never an edit here."""

    list_display = ("id", "order", "reason", "state", "due_at", "due_party", "opened_at")
    list_filter = ("state", "reason")
    inlines = (OfferInline, EvidenceInline)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ("dispute", "decided_by", "outcome", "amount_minor", "against_seller", "created_at")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
