"""Views: decisions, town review, project pages, progress and acceptance (see
projects/services/delivery.py).

Public pages show people as counts only. Staff pages fetch through ``access_*`` selectors
(another area's project is a 404); a refused POST re-renders its page with the form as it
was sent and the service's message.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, re_path
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.errors import LinliError
from accounts.permissions import has_perm_anywhere
from accounts.roles import Perm
from projects import rules
from projects.filters import filter_regions
from projects.forms.delivery import (
    AcceptForm,
    CancelForm,
    DecisionForm,
    LineFormSet,
    ProgressForm,
    ProjectFilterForm,
    RatingForm,
    SendBackForm,
    SurveyForm,
)
from projects.models import RUNNING, Project, ProjectStatus
from projects.selectors import delivery as selectors
from projects.services import delivery as services

PAGE_SIZE = 20


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- The public -------------------------------------------------------------------------


@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    """Approved projects with their progress, funding, deadline and ratings."""
    form = ProjectFilterForm(request.GET or None, regions=filter_regions())
    projects = selectors.public_projects(area=form.area_q(), status=form.chosen_status())
    page = Paginator(projects, PAGE_SIZE).get_page(request.GET.get("page"))
    selectors.decorate(list(page))
    return render(
        request,
        "projects/delivery/list.html",
        {"form": form, "page": page, "query": _query_without_page(request), "section": "projects"},
    )


@require_GET
def project_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """One project: the decision, its consultation, funding, progress, acceptance, ratings."""
    project = selectors.public_project(reference)
    today = timezone.localdate()
    funding = selectors.funding_of(project.listing.lines.all())
    ratings = selectors.ratings_for([project.listing_id]).get(
        project.listing_id, selectors.Ratings(None, 0)
    )
    acceptance = (
        selectors.acceptance_of(project) if project.status == ProjectStatus.ACCEPTED else None
    )
    user = request.user
    return render(
        request,
        "projects/delivery/detail.html",
        {
            "project": project,
            "funding": funding,
            "ratings": ratings,
            "acceptance": acceptance,
            "updates": list(project.updates.all()),
            "overdue": project.is_overdue(today),
            "may_manage": services.may_post_progress(user, project),
            "may_review": rules.may_review(user, project.community),
            "may_hide_photos": rules.may_hide_photos(user, project.community),
            "section": "projects",
        },
    )


@require_GET
def project_for_listing(request: HttpRequest, reference: str) -> HttpResponse:
    """From a marketplace listing to its project's page (the listing page spends no query
    on finding the project's reference)."""
    project = (
        Project.objects.public().filter(listing__reference=reference).only("reference").first()
    )
    if project is None:
        raise Http404
    return redirect("projects:detail", reference=project.reference)


# --- The council's decision ---------------------------------------------------------------


def _decision_page(
    request: HttpRequest,
    *,
    template: str,
    community,
    context: dict[str, Any],
    initial: dict[str, Any] | None = None,
    initial_lines: list[dict[str, Any]] | None = None,
    save,
):
    stations, organisations = selectors.implementer_choices(community)
    data = request.POST if request.method == "POST" else None
    form = DecisionForm(data, initial=initial, stations=stations, organisations=organisations)
    lines = LineFormSet(data, prefix="lines", initial=initial_lines)
    status = 200
    if data is not None:
        valid = [form.is_valid(), lines.is_valid()]
        status = 400
        if all(valid):
            try:
                project = save(form.service_fields(), lines.lines())
            except LinliError as error:
                form.add_error(None, str(error))
                status = error.status
            else:
                messages.success(request, _("The decision was submitted to the town for review."))
                return redirect("projects:decided", pk=project.pk)
    return render(
        request,
        template,
        {"form": form, "lines": lines, **context},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The secretary writes down the decision on an item the council passed."""
    item = selectors.access_decision_item(request.user, pk)
    proposal = item.proposal
    return _decision_page(
        request,
        template="projects/delivery/decide.html",
        community=item.consultation.council.community,
        context={"item": item, "proposal": proposal},
        initial={
            "description": proposal.solution,
            "beneficiaries": proposal.beneficiaries,
            "beneficiary_count": proposal.beneficiary_count,
            "deadline_months": 6,
        },
        initial_lines=[
            {"kind": "money", "description": proposal.title, "target": proposal.estimated_budget}
        ]
        if proposal.estimated_budget
        else None,
        save=lambda fields, lines: services.project_decide(
            actor=request.user, item=item, lines=lines, **fields
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_revise(request: HttpRequest, pk: int) -> HttpResponse:
    """The secretary revises a decision the town sent back (its reason is shown)."""
    project = selectors.access_revision(request.user, pk)
    return _decision_page(
        request,
        template="projects/delivery/revise.html",
        community=project.community,
        context={"project": project, "reason": services.send_back_reason(project)},
        initial={
            "description": project.description,
            "beneficiaries": project.beneficiaries,
            "beneficiary_count": project.beneficiary_count,
            "implementer_kind": project.implementer_kind,
            "station": project.station_id,
            "organisation": project.organisation_id,
            "implementer_name": project.implementer_name,
            "delivery_way": project.delivery_way,
            "deadline_months": project.deadline_months,
        },
        initial_lines=[
            {"kind": line.kind, "description": line.description, "target": line.target}
            for line in project.lines.all()
        ],
        save=lambda fields, lines: services.project_revise(
            actor=request.user, project=project, lines=lines, **fields
        ),
    )


@login_required
@require_GET
def project_decided(request: HttpRequest, pk: int) -> HttpResponse:
    """What the secretary sees of a decision: its state, and the town's reason if sent back."""
    project = selectors.access_decision_project(request.user, pk)
    return render(
        request,
        "projects/delivery/decided.html",
        {
            "project": project,
            "lines": list(project.lines.all()),
            "reason": services.send_back_reason(project)
            if project.status == ProjectStatus.SENT_BACK
            else "",
        },
    )


# --- Town review --------------------------------------------------------------------------


@login_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    """Decisions awaiting review in the reviewer's area (no review role anywhere: 404)."""
    if not has_perm_anywhere(request.user, Perm.PROJECT_REVIEW):
        raise Http404
    page = Paginator(selectors.review_queue(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "projects/delivery/review_queue.html",
        {"page": page, "query": _query_without_page(request)},
    )


def _review_page(
    request: HttpRequest,
    project: Project,
    *,
    send_back_form: SendBackForm | None = None,
    cancel_form: CancelForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "projects/delivery/review.html",
        {
            "project": project,
            "lines": list(project.lines.all()),
            "item": project.decided_by,
            "send_back_form": send_back_form or SendBackForm(),
            "cancel_form": cancel_form or CancelForm(),
            "error": error,
        },
        status=status,
    )


@login_required
@require_GET
def project_review(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_page(request, selectors.access_review_project(request.user, pk))


@login_required
@require_POST
def project_approve(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.access_review_project(request.user, pk)
    try:
        project = services.project_approve(actor=request.user, project=project)
    except LinliError as error:
        return _review_page(request, project, error=str(error), status=error.status)
    messages.success(request, _("Approved: the project is published for support."))
    return redirect("projects:detail", reference=project.reference)


@login_required
@require_POST
def project_send_back(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.access_review_project(request.user, pk)
    form = SendBackForm(request.POST)
    if not form.is_valid():
        return _review_page(request, project, send_back_form=form, status=400)
    try:
        services.project_send_back(
            actor=request.user, project=project, reason=form.cleaned_data["reason"]
        )
    except LinliError as error:
        form.add_error(None, str(error))
        return _review_page(request, project, send_back_form=form, status=error.status)
    messages.success(request, _("The decision was sent back to the council."))
    return redirect("projects:review_queue")


@login_required
@require_POST
def project_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.access_review_project(request.user, pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _review_page(request, project, cancel_form=form, status=400)
    try:
        project = services.project_cancel(
            actor=request.user, project=project, reason=form.cleaned_data["reason"]
        )
    except LinliError as error:
        form.add_error(None, str(error))
        return _review_page(request, project, cancel_form=form, status=error.status)
    messages.success(request, _("The project was cancelled; its pledges are released."))
    if project.listing_id:
        return redirect("projects:detail", reference=project.reference)
    return redirect("projects:review_queue")


# --- Running the project ------------------------------------------------------------------


def _manage_page(
    request: HttpRequest, project: Project, *, status: int = 200, **forms: Any
) -> HttpResponse:
    user = request.user
    may_run = rules.may_run(user, project.community)
    accepted = project.status == ProjectStatus.ACCEPTED
    running = project.status in RUNNING
    return render(
        request,
        "projects/delivery/manage.html",
        {
            "project": project,
            "funding": selectors.funding_of(project.listing.lines.all()),
            "progress_form": forms.get("progress_form")
            or (ProgressForm(initial={"percent": project.percent_complete}) if running else None),
            "accept_form": forms.get("accept_form")
            or (AcceptForm() if running and may_run else None),
            "survey_form": forms.get("survey_form")
            or (SurveyForm() if accepted and may_run else None),
            "rating_form": forms.get("rating_form")
            or (RatingForm() if accepted and may_run else None),
        },
        status=status,
    )


@login_required
@require_GET
def project_manage(request: HttpRequest, pk: int) -> HttpResponse:
    return _manage_page(request, selectors.access_managed_project(request.user, pk))


@login_required
@require_POST
def progress_post(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.access_managed_project(request.user, pk)
    form = ProgressForm(request.POST, request.FILES)
    if not form.is_valid():
        return _manage_page(request, project, progress_form=form, status=400)
    data = form.cleaned_data
    try:
        services.progress_post(
            actor=request.user,
            project=project,
            body=data["body"],
            percent=data["percent"],
            milestone=data["milestone"],
            photos=form.photos(),
            no_personal_data=data["no_personal_data"],
        )
    except LinliError as error:
        form.add_error(None, str(error))
        return _manage_page(request, project, progress_form=form, status=error.status)
    messages.success(request, _("The progress update is published."))
    return redirect("projects:manage", pk=project.pk)


@login_required
@require_POST
def project_accept(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.access_managed_project(request.user, pk)
    form = AcceptForm(request.POST, request.FILES)
    if not form.is_valid():
        return _manage_page(request, project, accept_form=form, status=400)
    try:
        services.project_accept_record(
            actor=request.user,
            project=project,
            note=form.cleaned_data["note"],
            photos=form.photos(),
            no_personal_data=form.cleaned_data["no_personal_data"],
        )
    except LinliError as error:
        form.add_error(None, str(error))
        return _manage_page(request, project, accept_form=form, status=error.status)
    messages.success(request, _("The acceptance is recorded; beneficiaries can now rate it."))
    return redirect("projects:manage", pk=project.pk)


@login_required
@require_POST
def survey_send(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.access_managed_project(request.user, pk)
    form = SurveyForm(request.POST)
    if not form.is_valid():
        return _manage_page(request, project, survey_form=form, status=400)
    try:
        links = services.project_survey_send(
            actor=request.user,
            project=project,
            channel=form.cleaned_data["channel"],
            addresses=form.address_list(),
            language=translation.get_language() or "zh-hans",
        )
    except LinliError as error:
        form.add_error(None, str(error))
        return _manage_page(request, project, survey_form=form, status=error.status)
    messages.success(
        request,
        _("%(count)d survey links are on their way.") % {"count": len(links)},
    )
    return redirect("projects:manage", pk=project.pk)


@login_required
@require_POST
def rating_record(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.access_managed_project(request.user, pk)
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _manage_page(request, project, rating_form=form, status=400)
    data = form.cleaned_data
    try:
        services.project_rating_record(
            actor=request.user,
            project=project,
            score=data["score"],
            received=data["received"],
            comment=data["comment"],
            complaint=data["complaint"],
            channel=data["channel"],
        )
    except LinliError as error:
        form.add_error(None, str(error))
        return _manage_page(request, project, rating_form=form, status=error.status)
    messages.success(request, _("The rating is recorded."))
    return redirect("projects:manage", pk=project.pk)


urlpatterns = [
    path("projects/", project_list, name="list"),
    re_path(r"^projects/(?P<reference>MP[0-9]{4}-[0-9A-F]{6})/$", project_detail, name="detail"),
    path("projects/for-listing/<str:reference>/", project_for_listing, name="for_listing"),
    path("projects/council/items/<int:pk>/decide/", project_decide, name="decide"),
    path("projects/council/decisions/<int:pk>/", project_decided, name="decided"),
    path("projects/council/decisions/<int:pk>/revise/", project_revise, name="revise"),
    path("projects/review/", review_queue, name="review_queue"),
    path("projects/review/<int:pk>/", project_review, name="review"),
    path("projects/review/<int:pk>/approve/", project_approve, name="approve"),
    path("projects/review/<int:pk>/send-back/", project_send_back, name="send_back"),
    path("projects/review/<int:pk>/cancel/", project_cancel, name="cancel"),
    path("projects/station/<int:pk>/", project_manage, name="manage"),
    path("projects/station/<int:pk>/progress/", progress_post, name="progress_post"),
    path("projects/station/<int:pk>/accept/", project_accept, name="accept"),
    path("projects/station/<int:pk>/survey/", survey_send, name="survey_send"),
    path("projects/station/<int:pk>/rating/", rating_record, name="rating_record"),
]
