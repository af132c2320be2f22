"""Admin for wishes: read-mostly. Lifecycle changes go through the staff pages (services);
the admin lets city staff publish need-index formulas and inspect records."""

from django.contrib import admin

from wishes.models import NeedIndexFormula, Objection, Wish, WishNeed


class WishNeedInline(admin.TabularInline):
    model = WishNeed
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Wish)
class WishAdmin(admin.ModelAdmin):
    """No household, visit notes or files here: private data is read on the audited staff pages."""

    list_display = [
        "reference",
        "title",
        "status",
        "route",
        "urgency",
        "need_index",
        "station",
        "due_on",
    ]
    list_filter = ["status", "route", "urgency", "category", "channel"]
    search_fields = ["reference", "title"]
    list_select_related = ["station"]
    exclude = ["household"]
    readonly_fields = [f.name for f in Wish._meta.fields if f.name != "household"]
    inlines = [WishNeedInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(NeedIndexFormula)
class NeedIndexFormulaAdmin(admin.ModelAdmin):
    list_display = ["version", "published_at", "published_by", "note"]
    readonly_fields = ["version", "weights", "note", "published_at", "published_by"]

    def has_add_permission(self, request):
        return False  # published on the staff page, through the audited service

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Objection)
class ObjectionAdmin(admin.ModelAdmin):
    list_display = ["wish", "status", "filed_at", "decided_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in Objection._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
