"""Reads of projects' delivery: the public list and page, the town's queue, and the
``access_*`` fetches of the staff pages (another area's project is a 404, never a 403).

Public reads load no personal data: ratings are an average and a count, photos are the
ones not hidden, people appear nowhere.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from accounts.models import Organisation, Station, User
from accounts.permissions import region_q
from accounts.roles import Perm
from feedback.models import Rating
from marketplace.models import LineKind
from projects import rules
from projects.models import (
    RUNNING,
    AgendaItem,
    ConsultationStatus,
    ItemKind,
    ItemResult,
    Photo,
    ProgressUpdate,
    Project,
    ProjectStatus,
)
from projects.services.delivery import may_post_progress

# The public list's status filter: a word each, "overdue" computed from the deadline.
STATUS_FILTERS = ("funding", "in_progress", "accepted", "cancelled", "overdue")


@dataclass(frozen=True)
class Ratings:
    average: Decimal | None
    count: int


@dataclass
class Funding:
    money_confirmed: Decimal = Decimal("0")
    money_target: Decimal = Decimal("0")
    lines: list = field(default_factory=list)

    @property
    def money_percent(self) -> int:
        if not self.money_target:
            return 0
        return int(self.money_confirmed * 100 / self.money_target)


def _average(total, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total or 0) / count).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def ratings_for(listing_ids: list[int]) -> dict[int, Ratings]:
    """Average and count of ratings per listing: one grouped query."""
    if not listing_ids:
        return {}
    rows = (
        Rating.objects.filter(listing_id__in=listing_ids)
        .values("listing_id")
        .annotate(total=Sum("score"), n=Count("pk"))
        .order_by()
    )
    return {row["listing_id"]: Ratings(_average(row["total"], row["n"]), row["n"]) for row in rows}


def funding_of(lines) -> Funding:
    funding = Funding(lines=list(lines))
    for line in funding.lines:
        if line.kind == LineKind.MONEY:
            funding.money_confirmed += line.confirmed
            funding.money_target += line.target
    return funding


def public_projects(*, area: Q, status: str = "", today=None) -> QuerySet[Project]:
    """Approved projects (cancelled ones too), newest approval first, in *area*."""
    today = today or timezone.localdate()
    projects = (
        Project.objects.public()
        .filter(area)
        .select_related("community__parent", "listing")
        .prefetch_related("listing__lines")
        .order_by("-approved_at", "-pk")
    )
    if status == "overdue":
        projects = projects.filter(status__in=RUNNING, deadline__lt=today)
    elif status in STATUS_FILTERS:
        projects = projects.filter(status=status)
    return projects


def decorate(projects: list[Project], today=None) -> None:
    """Give each project of a page its funding, overdue flag and ratings (one query)."""
    today = today or timezone.localdate()
    ratings = ratings_for([p.listing_id for p in projects if p.listing_id])
    for project in projects:
        project.funding = funding_of(project.listing.lines.all() if project.listing else [])
        project.overdue = project.is_overdue(today)
        project.ratings = ratings.get(project.listing_id, Ratings(None, 0))


def _visible_photos() -> Prefetch:
    return Prefetch("photos", queryset=Photo.objects.filter(hidden=False).order_by("pk"))


def public_project(reference: str) -> Project:
    """One approved project with everything its public page shows (a fixed few queries).

    Raises:
        Http404: unknown, or not approved by the town (not public yet).
    """
    project = (
        Project.objects.public()
        .select_related(
            "community__parent",
            "listing",
            "station",
            "organisation",
            "proposal",
            "decided_by__consultation",
        )
        .prefetch_related(
            "lines",
            "listing__lines",
            Prefetch(
                "updates",
                queryset=ProgressUpdate.objects.order_by("-posted_at", "-pk").prefetch_related(
                    _visible_photos()
                ),
            ),
        )
        .filter(reference=reference)
        .first()
    )
    if project is None:
        raise Http404
    return project


def acceptance_of(project: Project):
    """The project's acceptance with its visible photos, or None (two queries at most)."""
    from projects.models import Acceptance

    return (
        Acceptance.objects.filter(project=project)
        .select_related("item__consultation")
        .prefetch_related(_visible_photos())
        .first()
    )


# --- Staff -----------------------------------------------------------------------------


def review_queue(user: User) -> QuerySet[Project]:
    """Decisions awaiting the town's review in *user*'s area, oldest first."""
    return (
        Project.objects.filter(region_q(user, Perm.PROJECT_REVIEW, "community"))
        .filter(status=ProjectStatus.SUBMITTED)
        .select_related("community__parent")
        .order_by("submitted_at", "pk")
    )


def _project_for_staff(pk: int) -> Project:
    project = (
        Project.objects.select_related(
            "community__parent",
            "listing",
            "station",
            "organisation",
            "proposal",
            "decided_by__consultation__council",
        )
        .filter(pk=pk)
        .first()
    )
    if project is None:
        raise Http404
    return project


def access_review_project(user: User, pk: int) -> Project:
    """A project a town reviewer of its area may review or cancel.

    Raises:
        Http404: unknown, or not in *user*'s review area.
    """
    project = _project_for_staff(pk)
    if not rules.may_review(user, project.community):
        raise Http404
    return project


def access_managed_project(user: User, pk: int) -> Project:
    """An approved project its community's station staff or council secretary runs.

    Raises:
        Http404: unknown, not approved yet, or *user* neither runs it nor keeps its minutes.
    """
    project = _project_for_staff(pk)
    if project.listing_id is None or not may_post_progress(user, project):
        raise Http404
    return project


def access_revision(user: User, pk: int) -> Project:
    """A sent-back project the council's secretary revises.

    Raises:
        Http404: unknown, not sent back, or *user* does not keep the council's minutes.
    """
    project = _project_for_staff(pk)
    if project.status != ProjectStatus.SENT_BACK or not rules.may_keep_minutes(
        user, project.decided_by.consultation.council
    ):
        raise Http404
    return project


def access_decision_project(user: User, pk: int) -> Project:
    """A project as its council's minute keeper follows it (any status).

    Raises:
        Http404: unknown, or *user* does not keep the council's minutes.
    """
    project = _project_for_staff(pk)
    if not rules.may_keep_minutes(user, project.decided_by.consultation.council):
        raise Http404
    return project


def access_decision_item(user: User, pk: int) -> AgendaItem:
    """A passed decision item of a closed consultation whose minutes *user* keeps.

    Raises:
        Http404: unknown, not such an item, or not the minute keeper of its council.
    """
    item = (
        AgendaItem.objects.select_related("consultation__council__community__parent", "proposal")
        .filter(
            pk=pk,
            kind=ItemKind.DECISION,
            result=ItemResult.PASSED,
            consultation__status=ConsultationStatus.CLOSED,
        )
        .first()
    )
    if item is None or not rules.may_keep_minutes(user, item.consultation.council):
        raise Http404
    return item


def implementer_choices(community) -> tuple[list[Station], list[Organisation]]:
    """The community's stations and the verified organisations (two queries)."""
    stations = list(Station.objects.filter(community=community).order_by("name"))
    organisations = list(Organisation.objects.filter(is_verified=True).order_by("name"))
    return stations, organisations
