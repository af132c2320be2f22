"""Admin pages. Writes that matter go through the services, so the admin is audited too."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.errors import NotPermitted
from accounts.exceptions import RoleAlreadyHeld
from accounts.models import (
    AuditEvent,
    CalendarOverride,
    Invitation,
    Membership,
    Organisation,
    Region,
    RoleAssignment,
    Station,
    User,
)
from accounts.permissions import has_perm
from accounts.roles import Perm


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "phone", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "display_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("display_name", "phone", "preferred_language")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "name_en", "code"]
    readonly_fields = ["path"]

    def get_readonly_fields(self, request, obj=None):
        # Codes, levels and parents make the path; they are fixed once the region exists.
        return ["path", "code", "level", "parent"] if obj else ["path"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.region_create(
            actor=request.user,
            name=obj.name,
            name_en=obj.name_en,
            code=obj.code,
            level=obj.level,
            parent=obj.parent,
        )
        obj.pk, obj.path = created.pk, created.path

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "phone", "is_active"]
    list_filter = ["is_active", "community__parent"]
    search_fields = ["name", "name_en", "address"]
    list_select_related = ["community"]
    autocomplete_fields = ["community"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region", "is_verified", "created_at"]
    list_filter = ["kind", "is_verified"]
    search_fields = ["name"]
    list_select_related = ["region"]
    autocomplete_fields = ["region"]
    inlines = [MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "status", "invited_by", "created_at", "expires_at"]
    list_filter = ["status"]
    search_fields = ["email", "organisation__name"]
    list_select_related = ["organisation", "invited_by"]
    readonly_fields = [f.name for f in Invitation._meta.fields]

    def has_add_permission(self, request):
        return False  # invitations are sent by organisation administrators on the site


class RoleAssignmentForm(forms.ModelForm):
    """Checks in the form what the service would refuse, so the admin answers with a message."""

    request = None

    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "region"]

    def clean(self):
        data = super().clean()
        region = data.get("region")
        if region is not None and not has_perm(self.request.user, Perm.ROLE_ASSIGN, region):
            raise forms.ValidationError(NotPermitted.message)
        if (
            RoleAssignment.objects.active()
            .filter(user=data.get("user"), role=data.get("role"), region=region)
            .exists()
        ):
            raise forms.ValidationError(RoleAlreadyHeld.message)
        return data


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    """Granting and revoking roles; each is an audited service call."""

    list_display = ["user", "role", "region", "granted_by", "granted_at", "revoked_at"]
    list_filter = ["role", "region__level", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "user__display_name", "region__name"]
    list_select_related = ["user", "region", "granted_by"]
    autocomplete_fields = ["user", "region"]
    fields = ["user", "role", "region"]
    actions = ["revoke_selected"]

    def get_readonly_fields(self, request, obj=None):
        return (
            ["user", "role", "region", "granted_by", "granted_at", "revoked_at", "revoked_by"]
            if obj
            else []
        )

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj) if obj else self.fields

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = type(
                "BoundRoleAssignmentForm", (RoleAssignmentForm,), {"request": request}
            )
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return
        created = services.role_assign(
            actor=request.user, user=obj.user, role=obj.role, region=obj.region, reason="admin"
        )
        obj.pk = created.pk

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the record stays

    @admin.action(description=_("Revoke the selected roles"))
    def revoke_selected(self, request, queryset):
        for assignment in queryset.select_related("region", "user"):
            services.role_revoke(actor=request.user, assignment=assignment, reason="admin")
        self.message_user(request, _("Roles revoked."), messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail can be searched, never changed."""

    list_display = ["created_at", "actor_label", "verb", "target_label", "region", "ip"]
    list_filter = ["verb"]
    search_fields = ["actor_label", "verb", "target_label", "reason"]
    date_hierarchy = "created_at"
    list_select_related = ["region"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "is_working_day", "note"]
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        created = services.calendar_override_set(
            actor=request.user, day=obj.date, is_working_day=obj.is_working_day, note=obj.note
        )
        obj.pk = created.pk
