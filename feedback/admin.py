"""Read-only admin of ratings and cases: changes go through the services, which audit them.

Lists show no personal data: no comment, complaint or respondent, only ids and figures.
"""

from django.contrib import admin

from accounts.admin_base import ReadOnlyAdmin
from feedback.models import Case, Rating


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
