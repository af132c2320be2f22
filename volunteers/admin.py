"""Admin for volunteering: read-only. Sign-ups, check-in and verified hours change only
through the services (the station pages), which lock the shift, keep ``taken`` exact, post
hour matching and write the audit trail. Volunteers' phone numbers are not listed."""

from django.contrib import admin

from accounts.admin_base import ReadOnlyAdmin
from volunteers.models import Shift, ShiftSignup, VolunteerProfile


@admin.register(VolunteerProfile)
class VolunteerProfileAdmin(ReadOnlyAdmin):
    list_display = ["display_name", "organisation", "weekdays", "weekends", "created_at"]
    list_filter = ["weekdays", "weekends"]
    search_fields = ["display_name", "user__email"]
    list_select_related = ["organisation"]
    exclude = ["phone"]


class SignupInline(admin.TabularInline):
    model = ShiftSignup
    extra = 0
    can_delete = False
    fields = ["volunteer", "status", "checked_in_at", "checked_out_at", "hours", "verified_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Shift)
class ShiftAdmin(ReadOnlyAdmin):
    list_display = ["title", "date", "starts", "station", "skill", "taken", "capacity", "status"]
    list_filter = ["status", "skill", "date"]
    search_fields = ["title", "place", "station__name"]
    list_select_related = ["station"]
    date_hierarchy = "date"
    inlines = [SignupInline]


@admin.register(ShiftSignup)
class ShiftSignupAdmin(ReadOnlyAdmin):
    list_display = ["shift", "volunteer", "status", "hours", "verified_at"]
    list_filter = ["status"]
    search_fields = ["volunteer__email", "shift__title"]
    list_select_related = ["shift", "volunteer"]
