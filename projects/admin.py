"""Admin of micro-projects. A council's rules (quorum, majority, support threshold,
secretary) are set here by city administrators, and each change is audited; everything
else is written by the services and only shown. Lists carry no personal data."""

from django.contrib import admin
from django.http import HttpRequest

from accounts import audit
from accounts.admin_base import ReadOnlyAdmin
from projects.models import (
    Acceptance,
    AgendaItem,
    Consultation,
    Council,
    Project,
    ProjectLine,
    Proposal,
)

COUNCIL_RULES = ["name", "quorum_percent", "majority", "support_threshold", "secretary"]


@admin.register(Council)
class CouncilAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "quorum_percent", "majority", "support_threshold"]
    list_select_related = ["community"]
    search_fields = ["name", "community__name"]
    autocomplete_fields = ["secretary"]
    raw_id_fields = ["community"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # a council with a history is never deleted

    def save_model(self, request: HttpRequest, obj: Council, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit.record(
            actor=request.user,
            verb="council.changed" if change else "council.created",
            target=obj,
            region=obj.community,
            data={
                "changed": sorted(set(form.changed_data) & set(COUNCIL_RULES)),
                **{
                    f: str(getattr(obj, f"{f}_id" if f == "secretary" else f))
                    for f in COUNCIL_RULES
                },
            },
        )


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    list_display = ["reference", "title", "community", "status", "support_count", "created_at"]
    list_filter = ["status", "category"]
    list_select_related = ["community"]
    search_fields = ["reference", "title"]
    exclude = ["proposed_by"]
    date_hierarchy = "created_at"


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    fields = [
        "proposal",
        "kind",
        "result",
        "votes_for",
        "votes_against",
        "votes_abstain",
        "electorate",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyAdmin):
    list_display = ["title", "council", "form", "starts_at", "status"]
    list_filter = ["status", "form"]
    list_select_related = ["council"]
    date_hierarchy = "starts_at"
    inlines = [AgendaItemInline]


class ProjectLineInline(admin.TabularInline):
    model = ProjectLine
    fields = ["kind", "description", "target"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ["reference", "title", "community", "status", "percent_complete", "deadline"]
    list_filter = ["status", "category", "implementer_kind"]
    list_select_related = ["community"]
    search_fields = ["reference", "title"]
    date_hierarchy = "submitted_at"
    inlines = [ProjectLineInline]


@admin.register(Acceptance)
class AcceptanceAdmin(ReadOnlyAdmin):
    list_display = ["project", "method", "accepted_at"]
    list_filter = ["method"]
    list_select_related = ["project"]
