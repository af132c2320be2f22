"""Admin for the marketplace: read-only views of listings, claims and pledges. Changes go
through the services (staff pages come with the rest of the marketplace issue)."""

from django.contrib import admin

from marketplace.models import Claim, Listing, ListingLine, Pledge


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ListingLineInline(admin.TabularInline):
    model = ListingLine
    extra = 0
    fields = ["kind", "description", "target", "confirmed"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Listing)
class ListingAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "title",
        "kind",
        "status",
        "community",
        "need_index",
        "published_at",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["reference", "title"]
    list_select_related = ["community"]
    inlines = [ListingLineInline]


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ["listing", "donor", "organisation", "status", "created_at", "expires_at"]
    list_filter = ["status"]
    list_select_related = ["listing", "donor", "organisation"]


@admin.register(Pledge)
class PledgeAdmin(ReadOnlyAdmin):
    list_display = ["reference", "line", "donor", "quantity", "status", "created_at", "expires_at"]
    list_filter = ["status"]
    search_fields = ["reference"]
    list_select_related = ["line__listing", "donor"]
