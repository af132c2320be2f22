"""Pages of people, places and roles. Views parse input, call a selector or a service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import selectors, services
from accounts.errors import LinliError
from accounts.forms import (
    AuditFilterForm,
    InvitationForm,
    ProfileForm,
    RoleAssignForm,
    StationFilterForm,
)
from accounts.language import in_language
from accounts.models import Station
from accounts.permissions import has_perm, has_perm_anywhere
from accounts.roles import Perm

PAGE_SIZE = 20


def _page(request: HttpRequest, items, size: int = PAGE_SIZE):
    return Paginator(items, size).get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    """The current filters, for pagination links that keep them."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- Signed-in user ---------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """My Linli: who I am, which organisations I act for, which roles I hold."""
    return render(
        request,
        "accounts/dashboard.html",
        {
            "memberships": list(selectors.user_memberships(request.user)),
            "assignments": list(selectors.user_role_assignments(request.user)),
            "is_staff_member": has_perm_anywhere(request.user, Perm.WORKSPACE_VIEW),
            "sits_on_a_council": has_perm_anywhere(request.user, Perm.PROJECT_VOTE),
        },
    )


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = services.profile_update(user=request.user, **form.cleaned_data)
        messages.success(request, _("Your profile has been saved."))
        return in_language(redirect("accounts:profile"), user.preferred_language)
    return render(
        request, "accounts/profile_form.html", {"form": form}, status=400 if form.errors else 200
    )


# --- Organisations ----------------------------------------------------------------------


@login_required
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = selectors.access_organisation(request.user, pk)
    members = list(selectors.organisation_members(organisation))
    is_admin = any(m.user_id == request.user.pk and m.is_admin for m in members)
    return render(
        request,
        "accounts/organisation_detail.html",
        {
            "organisation": organisation,
            "members": members,
            "is_admin": is_admin,
            "invitations": list(selectors.organisation_open_invitations(organisation))
            if is_admin
            else [],
            "form": InvitationForm() if is_admin else None,
        },
    )


@login_required
def organisation_invite(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = selectors.access_organisation(request.user, pk, admin=True)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.organisation_invite(
                actor=request.user, organisation=organisation, **form.cleaned_data
            )
        except LinliError as error:
            form.add_error("email", str(error))
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("accounts:organisation", pk=organisation.pk)
    return render(
        request,
        "accounts/invitation_form.html",
        {"organisation": organisation, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def invitation_revoke(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    organisation = selectors.access_organisation(request.user, pk, admin=True)
    invitation = selectors.access_invitation(request.user, organisation, invitation_pk)
    services.invitation_revoke(actor=request.user, invitation=invitation)
    messages.success(
        request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email}
    )
    return redirect("accounts:organisation", pk=organisation.pk)


@require_POST
@login_required
def membership_remove(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    """An administrator removes a member, or a member leaves."""
    organisation = selectors.access_organisation(request.user, pk)
    membership = selectors.access_membership(organisation, member_pk)
    services.membership_remove(actor=request.user, membership=membership)
    if membership.user_id == request.user.pk:
        messages.success(
            request, _("You have left %(organisation)s.") % {"organisation": organisation.name}
        )
        return redirect("accounts:dashboard")
    messages.success(request, _("%(member)s was removed.") % {"member": membership.user})
    return redirect("accounts:organisation", pk=organisation.pk)


@require_POST
@login_required
def membership_admin(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    """An administrator makes a member an administrator, or takes it back."""
    organisation = selectors.access_organisation(request.user, pk, admin=True)
    membership = selectors.access_membership(organisation, member_pk)
    services.membership_set_admin(
        actor=request.user, membership=membership, is_admin=request.POST.get("is_admin") == "1"
    )
    messages.success(request, _("%(member)s's role was changed.") % {"member": membership.user})
    return redirect("accounts:organisation", pk=organisation.pk)


@login_required
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = selectors.invitation_by_token(token)
    if request.method == "POST":
        membership = services.invitation_accept(user=request.user, token=token)
        messages.success(
            request,
            _("Welcome to %(organisation)s.") % {"organisation": membership.organisation.name},
        )
        return redirect("accounts:organisation", pk=membership.organisation_id)
    return render(
        request,
        "accounts/invitation.html",
        {
            "invitation": invitation,
            "for_me": invitation.email.lower() == request.user.email.lower(),
        },
    )


# --- Public station directory ------------------------------------------------------------


@require_GET
def station_list(request: HttpRequest) -> HttpResponse:
    form = StationFilterForm(request.GET or None)
    town = form.cleaned_data["town"] if form.is_valid() and form.cleaned_data.get("town") else None
    page = _page(request, selectors.public_stations(town=town.pk if town else None))
    template = (
        "accounts/includes/station_results.html" if request.htmx else "accounts/station_list.html"
    )
    return render(
        request, template, {"form": form, "page": page, "query": _query_without_page(request)}
    )


@require_GET
def station_detail(request: HttpRequest, pk: int) -> HttpResponse:
    station = get_object_or_404(Station.objects.active().select_related("community__parent"), pk=pk)
    return render(request, "accounts/station_detail.html", {"station": station})


# --- Staff workspace --------------------------------------------------------------------


@login_required
def workspace(request: HttpRequest) -> HttpResponse:
    """The staff member's start page: the regions they look after."""
    regions = list(selectors.workspace_regions(request.user))
    if not regions:
        return render(request, "accounts/workspace_none.html", status=404)
    return render(
        request,
        "accounts/workspace.html",
        {
            "regions": regions,
            "assignments": list(selectors.user_role_assignments(request.user)),
            "can_audit": has_perm_anywhere(request.user, Perm.AUDIT_VIEW),
            "can_manage_funds": has_perm_anywhere(request.user, Perm.FUND_MANAGE),
            "can_log_deliveries": has_perm_anywhere(request.user, Perm.DELIVERY_LOG),
            "can_review": has_perm_anywhere(request.user, Perm.WISH_REVIEW),
            "can_review_projects": has_perm_anywhere(request.user, Perm.PROJECT_REVIEW),
        },
    )


def _region_page(request: HttpRequest, region, form: RoleAssignForm | None = None) -> HttpResponse:
    can_assign = has_perm(request.user, Perm.ROLE_ASSIGN, region)
    staff = [
        (assignment, has_perm(request.user, Perm.ROLE_ASSIGN, assignment.region))
        for assignment in selectors.region_staff(region)
    ]
    return render(
        request,
        "accounts/region_detail.html",
        {
            "region": region,
            "children": list(selectors.region_children(region)),
            "stations": list(selectors.region_stations(region)),
            "staff": staff,
            "can_audit": has_perm(request.user, Perm.AUDIT_VIEW, region),
            "assign_form": (form or RoleAssignForm()) if can_assign else None,
        },
        status=400 if form is not None and form.errors else 200,
    )


@login_required
def region_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _region_page(request, selectors.access_region(request.user, pk))


@require_POST
@login_required
def region_role_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """A city administrator gives a role in this region (audited by the service)."""
    region = selectors.access_region(request.user, pk, perm=Perm.ROLE_ASSIGN)
    form = RoleAssignForm(request.POST)
    if form.is_valid():
        try:
            services.role_assign(
                actor=request.user,
                user=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                region=region,
                reason=form.cleaned_data["reason"],
            )
        except LinliError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The role was given."))
            return redirect("accounts:region", pk=region.pk)
    return _region_page(request, region, form)


@require_POST
@login_required
def role_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.access_role_assignment(request.user, pk)
    services.role_revoke(
        actor=request.user, assignment=assignment, reason=request.POST.get("reason", "")
    )
    messages.success(request, _("The role was revoked."))
    back = request.POST.get("region")
    return (
        redirect("accounts:region", pk=int(back))
        if back and back.isdigit()
        else redirect("accounts:workspace")
    )


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not has_perm_anywhere(request.user, Perm.AUDIT_VIEW):
        return render(request, "accounts/workspace_none.html", status=404)
    form = AuditFilterForm(request.GET or None)
    verb = form.cleaned_data["verb"] if form.is_valid() else ""
    page = _page(request, selectors.audit_events(request.user, verb=verb), size=50)
    return render(
        request,
        "accounts/audit_log.html",
        {"form": form, "page": page, "query": _query_without_page(request)},
    )


# --- Operations -------------------------------------------------------------------------


@require_GET
def livez(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. No database, no template (also the benchmark's
    "bare Django view")."""
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability for the load balancer. No personal data."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
