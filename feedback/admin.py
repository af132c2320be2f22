"""Read-only admin of ratings and cases: changes go through the services, which audit them.

Lists show no personal data: no comment, complaint or respondent, only ids and figures.
"""

from django.contrib import admin

from feedback.models import Case, Rating


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ["pk", "listing", "score", "received", "channel", "created_at"]
    list_filter = ["score", "channel", "received"]
    list_select_related = ["listing"]
    exclude = ["link"]


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["pk", "listing", "town", "status", "due_on", "opened_at"]
    list_filter = ["status"]
    list_select_related = ["listing", "town"]
    exclude = ["rating"]
