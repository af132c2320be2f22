"""Community micro-projects (微实事): proposals, councils, consultations, votes, projects.

The life of one project::

    Proposal (residents support it) -> tabled on a Consultation's agenda (an AgendaItem)
      -> council members vote (Vote, one per member per item) -> result computed at close
      -> passed: the decision fixes a Project (lines, beneficiaries, implementer, deadline)
      -> town review -> published as a marketplace Listing (kind "project")
      -> ProgressUpdates -> accepted (验收: a council vote or a staff record) -> rated.

Personal data stays off public pages: supporters, voters and attendance are shown as
counts; minutes are built from these rows, never from names.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organisation, Region, Station
from marketplace.models import LineKind, Listing, ListingStatus
from wishes.models import private_storage


class Category(models.TextChoices):
    ENVIRONMENT = "environment", _("Environment")
    HOUSE_REPAIR = "house_repair", _("House repair")
    PUBLIC_FACILITY = "public_facility", _("Public facility")
    SERVICE_ELDERLY = "service_elderly", _("Service for elderly people")
    SERVICE_YOUTH = "service_youth", _("Service for children and young people")
    SERVICE_DISABLED = "service_disabled", _("Service for disabled people")
    OTHER = "other", pgettext_lazy("project category", "Other")


# --- Councils -----------------------------------------------------------------------------


class MajorityRule(models.TextChoices):
    SIMPLE = "simple", _("More votes for than against")
    ABSOLUTE = "absolute", _("More than half of the votes cast")
    TWO_THIRDS = "two_thirds", _("At least two thirds of the votes cast")


class Council(models.Model):
    """A community's council (议事会). Its members are the people holding the council
    member role on exactly its community; its rules are data."""

    community = models.OneToOneField(
        Region,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="council",
        limit_choices_to={"level": "community"},
    )
    name = models.CharField(_("name"), max_length=100)
    quorum_percent = models.PositiveSmallIntegerField(
        _("quorum (percent of members)"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("How many of the members must vote (for, against or abstain)."),
    )
    majority = models.CharField(
        _("majority rule"), max_length=12, choices=MajorityRule.choices, default=MajorityRule.SIMPLE
    )
    support_threshold = models.PositiveSmallIntegerField(
        _("supporters needed"),
        default=10,
        validators=[MinValueValidator(1)],
        help_text=_("A proposal with this many supporters goes on the next consultation."),
    )
    secretary = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("secretary"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Keeps the minutes: attendance, paper and hand-count votes, decisions."),
    )

    class Meta:
        verbose_name = _("council")
        verbose_name_plural = _("councils")
        ordering = ["community__path"]
        constraints = [
            models.CheckConstraint(
                name="council_quorum_1_to_100",
                condition=Q(quorum_percent__gte=1, quorum_percent__lte=100),
            ),
            models.CheckConstraint(
                name="council_threshold_positive", condition=Q(support_threshold__gte=1)
            ),
        ]

    def __str__(self) -> str:
        return self.name


# --- Proposals ----------------------------------------------------------------------------


class ProposalStatus(models.TextChoices):
    OPEN = "open", _("Gathering support")
    TABLED = "tabled", _("Tabled for consultation")
    APPROVED = "approved", _("Agreed by the council")
    REJECTED = "rejected", _("Not agreed")
    MERGED = "merged", _("Merged")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ProposalQuerySet(models.QuerySet):
    def public(self) -> "ProposalQuerySet":
        """What anyone may see: everything but withdrawn proposals."""
        return self.exclude(status=ProposalStatus.WITHDRAWN)

    def within(self, path: str) -> "ProposalQuerySet":
        return self.filter(community__path__startswith=path)


class Proposal(models.Model):
    """An idea for the community, raised by a resident, council member or grid worker."""

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    community = models.ForeignKey(
        Region,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="proposals",
        limit_choices_to={"level": "community"},
    )
    title = models.CharField(_("title"), max_length=80)
    problem = models.TextField(_("problem"), max_length=2000)
    solution = models.TextField(_("proposed solution"), max_length=2000)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    estimated_budget = models.DecimalField(
        _("estimated budget (yuan)"), max_digits=12, decimal_places=2
    )
    beneficiaries = models.CharField(_("who benefits"), max_length=200)
    beneficiary_count = models.PositiveIntegerField(_("how many people benefit"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="proposals",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ProposalStatus.choices,
        default=ProposalStatus.OPEN,
        db_index=True,
    )
    # Kept under the proposal's row lock; always equals the count of its supports (tested).
    support_count = models.PositiveIntegerField(_("supporters"), default=0)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        related_name="merged_from",
        null=True,
        blank=True,
    )
    tabled_at = models.DateTimeField(_("tabled"), null=True, blank=True)
    created_at = models.DateTimeField(_("proposed"), default=timezone.now)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="proposal_budget_not_negative", condition=Q(estimated_budget__gte=0)
            ),
            models.CheckConstraint(
                name="proposal_merged_has_target",
                condition=(
                    Q(status="merged", merged_into__isnull=False)
                    | (~Q(status="merged") & Q(merged_into__isnull=True))
                ),
            ),
            models.CheckConstraint(
                name="proposal_not_merged_into_itself", condition=~Q(merged_into=models.F("pk"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class Support(models.Model):
    """A resident's support for a proposal: one per person per proposal."""

    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.CASCADE, related_name="supports"
    )
    supporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supporter"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Set when the support came with a proposal merged into this one.
    carried_from = models.ForeignKey(
        Proposal,
        verbose_name=_("carried over from"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("supported"), default=timezone.now)

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "supporter"], name="support_once"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}/{self.supporter_id}"


# --- Consultations and votes --------------------------------------------------------------


class ConsultationForm(models.TextChoices):
    PARTY_MASS = "party_mass", _("Party-mass joint meeting")
    RESIDENTS_COUNCIL = "residents_council", _("Residents' council")
    PUBLIC_HEARING = "public_hearing", _("Public hearing")
    ONLINE = "online", _("Online consultation")


class ConsultationStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CLOSED = "closed", _("Results final")
    CANCELLED = "cancelled", pgettext_lazy("consultation", "Cancelled")


class ConsultationQuerySet(models.QuerySet):
    def within(self, path: str) -> "ConsultationQuerySet":
        return self.filter(council__community__path__startswith=path)


class Consultation(models.Model):
    """A council's consultation meeting (协商会议). Members vote online between
    ``starts_at`` and ``ends_at``; the secretary records paper and hand-count votes until
    the meeting is closed, when the results are computed."""

    council = models.ForeignKey(
        Council, verbose_name=_("council"), on_delete=models.PROTECT, related_name="consultations"
    )
    form = models.CharField(_("form"), max_length=20, choices=ConsultationForm.choices)
    title = models.CharField(_("title"), max_length=100)
    place = models.CharField(_("place"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("voting closes"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ConsultationStatus.choices,
        default=ConsultationStatus.SCHEDULED,
        db_index=True,
    )
    attendance_count = models.PositiveIntegerField(
        _("people present"),
        null=True,
        blank=True,
        help_text=_("Everyone at the meeting, residents included."),
    )
    summary = models.TextField(
        _("summary for the minutes"),
        max_length=4000,
        blank=True,
        help_text=_("Published with the minutes: write no names, addresses or phone numbers."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("called by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)

    objects = ConsultationQuerySet.as_manager()

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="consultation_ends_after_start", condition=Q(ends_at__gt=models.F("starts_at"))
            ),
            models.CheckConstraint(
                name="consultation_closed_has_time",
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def voting_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status == ConsultationStatus.SCHEDULED and self.starts_at <= now < self.ends_at


class Attendance(models.Model):
    """A council member present at a consultation (recorded by the secretary)."""

    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.CASCADE,
        related_name="attendances",
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["consultation", "member"], name="attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.consultation_id}/{self.member_id}"


class ItemKind(models.TextChoices):
    DECISION = "decision", _("Decide the project")
    ACCEPTANCE = "acceptance", _("Accept the finished work")


class ItemResult(models.TextChoices):
    PENDING = "pending", _("Voting")
    PASSED = "passed", _("Passed")
    REJECTED = "rejected", _("Not passed")
    NO_QUORUM = "no_quorum", _("No quorum")


class AgendaItem(models.Model):
    """One question put to the council at a consultation: decide a proposal, or accept
    a finished project. The counts are computed from the votes at close, never typed."""

    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.CASCADE,
        related_name="items",
    )
    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.PROTECT, related_name="items"
    )
    kind = models.CharField(
        _("question"), max_length=10, choices=ItemKind.choices, default=ItemKind.DECISION
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    result = models.CharField(
        _("result"), max_length=10, choices=ItemResult.choices, default=ItemResult.PENDING
    )
    votes_for = models.PositiveIntegerField(_("for"), default=0)
    votes_against = models.PositiveIntegerField(_("against"), default=0)
    votes_abstain = models.PositiveIntegerField(_("abstain"), default=0)
    electorate = models.PositiveIntegerField(_("members entitled to vote"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "proposal", "kind"], name="agenda_item_once"
            ),
            models.CheckConstraint(
                name="agenda_item_result_has_counts",
                condition=Q(result="pending")
                | Q(electorate__isnull=False, decided_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consultation_id}/{self.proposal_id} {self.kind}"

    @property
    def votes_cast(self) -> int:
        return self.votes_for + self.votes_against + self.votes_abstain


class VoteChoice(models.TextChoices):
    FOR = "for", pgettext_lazy("vote", "For")
    AGAINST = "against", pgettext_lazy("vote", "Against")
    ABSTAIN = "abstain", pgettext_lazy("vote", "Abstain")


class VoteChannel(models.TextChoices):
    ONLINE = "online", _("Online")
    PAPER = "paper", _("Paper ballot")
    HANDS = "hands", _("Show of hands")


class Vote(models.Model):
    """A member's vote on one agenda item: one per member per item (the database says so);
    a member may change it while voting is open."""

    item = models.ForeignKey(
        AgendaItem, verbose_name=_("agenda item"), on_delete=models.CASCADE, related_name="votes"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    choice = models.CharField(_("vote"), max_length=8, choices=VoteChoice.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=VoteChannel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    cast_at = models.DateTimeField(_("cast"), default=timezone.now)
    changed_at = models.DateTimeField(_("changed"), null=True, blank=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["cast_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["item", "member"], name="vote_one_per_member"),
            models.CheckConstraint(
                name="vote_recorded_has_secretary",
                condition=Q(channel="online") | Q(recorded_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}/{self.member_id} {self.choice}"


# --- Projects -----------------------------------------------------------------------------


class ImplementerKind(models.TextChoices):
    STATION = "station", _("Community station")
    ORGANISATION = "organisation", _("Organisation")
    CONTRACTOR = "contractor", _("Contractor")
    VOLUNTEERS = "volunteers", _("Volunteers")


class ProjectStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Awaiting town review")
    SENT_BACK = "sent_back", _("Sent back to the council")
    FUNDING = "funding", _("Open for support")
    IN_PROGRESS = "in_progress", _("In progress")
    ACCEPTED = "accepted", _("Completed and accepted")
    CANCELLED = "cancelled", pgettext_lazy("project", "Cancelled")


# Statuses in which the work runs against its deadline.
RUNNING = (ProjectStatus.FUNDING, ProjectStatus.IN_PROGRESS)
# A running project may be accepted once its listing has everything it needs.
ACCEPTABLE_LISTING = (
    ListingStatus.FULLY_PLEDGED,
    ListingStatus.IN_DELIVERY,
    ListingStatus.DELIVERED,
)


class ProjectQuerySet(models.QuerySet):
    def public(self) -> "ProjectQuerySet":
        """Projects the town approved (with a listing), cancelled ones included."""
        return self.filter(listing__isnull=False)

    def within(self, path: str) -> "ProjectQuerySet":
        return self.filter(community__path__startswith=path)

    def overdue(self, today=None) -> "ProjectQuerySet":
        return self.filter(status__in=RUNNING, deadline__lt=today or timezone.localdate())


class Project(models.Model):
    """What a consultation decided for a proposal, and then the work itself."""

    proposal = models.OneToOneField(
        Proposal, verbose_name=_("proposal"), on_delete=models.PROTECT, related_name="project"
    )
    decided_by = models.OneToOneField(
        AgendaItem,
        verbose_name=_("decided at"),
        on_delete=models.PROTECT,
        related_name="decided_project",
    )
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    community = models.ForeignKey(
        Region, verbose_name=_("community"), on_delete=models.PROTECT, related_name="projects"
    )
    title = models.CharField(_("title"), max_length=80)
    description = models.TextField(_("what will be done"), max_length=4000)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    beneficiaries = models.CharField(_("who benefits"), max_length=200)
    beneficiary_count = models.PositiveIntegerField(_("how many people benefit"))
    implementer_kind = models.CharField(
        _("implemented by"), max_length=12, choices=ImplementerKind.choices
    )
    station = models.ForeignKey(
        Station,
        verbose_name=_("station"),
        on_delete=models.PROTECT,
        related_name="projects",
        null=True,
        blank=True,
        help_text=_("The station that follows the project, logs delivery and asks for ratings."),
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="projects",
        null=True,
        blank=True,
    )
    implementer_name = models.CharField(
        _("contractor or team"),
        max_length=120,
        blank=True,
        help_text=_("The contractor's company name or the volunteer team's name."),
    )
    delivery_way = models.TextField(_("how it is delivered"), max_length=2000)
    deadline_months = models.PositiveSmallIntegerField(
        _("months to complete"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text=_("Counted from the town's approval."),
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ProjectStatus.choices,
        default=ProjectStatus.SUBMITTED,
        db_index=True,
    )
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True, db_index=True)
    listing = models.OneToOneField(
        Listing,
        verbose_name=_("listing"),
        on_delete=models.PROTECT,
        related_name="project",
        null=True,
        blank=True,
    )
    percent_complete = models.PositiveSmallIntegerField(_("percent complete"), default=0)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("public reason for cancelling"), max_length=300, blank=True)
    reminded_at = models.DateTimeField(_("deadline reminder sent"), null=True, blank=True)
    overdue_notified_at = models.DateTimeField(_("overdue notice sent"), null=True, blank=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="project_percent_0_to_100",
                condition=Q(percent_complete__gte=0, percent_complete__lte=100),
            ),
            models.CheckConstraint(
                name="project_published_has_listing_and_deadline",
                condition=~Q(status__in=["funding", "in_progress", "accepted"])
                | Q(listing__isnull=False, deadline__isnull=False, approved_at__isnull=False),
            ),
            models.CheckConstraint(
                name="project_cancelled_has_reason",
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""),
            ),
            models.CheckConstraint(
                name="project_implementer_named",
                condition=(
                    Q(implementer_kind="station", station__isnull=False)
                    | Q(implementer_kind="organisation", organisation__isnull=False)
                    | (
                        Q(implementer_kind__in=["contractor", "volunteers"])
                        & ~Q(implementer_name="")
                    )
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def is_overdue(self, today=None) -> bool:
        return (
            self.status in RUNNING
            and self.deadline is not None
            and self.deadline < (today or timezone.localdate())
        )

    @property
    def implementer_label(self) -> str:
        if self.implementer_kind == ImplementerKind.STATION and self.station_id:
            return str(self.station)
        if self.implementer_kind == ImplementerKind.ORGANISATION and self.organisation_id:
            return str(self.organisation)
        return self.implementer_name


class ProjectLine(models.Model):
    """One line of the decided budget: money (yuan), goods (a count) or service (hours)."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="lines"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=LineKind.choices)
    description = models.CharField(_("what"), max_length=200)
    target = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(name="project_line_positive", condition=Q(target__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.description} {self.target}"


class ProgressUpdate(models.Model):
    """A public note on the work: what was done, a milestone, how far along it is."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="updates"
    )
    body = models.TextField(_("what was done"), max_length=2000)
    milestone = models.CharField(_("milestone"), max_length=80, blank=True)
    percent = models.PositiveSmallIntegerField(
        _("percent complete"), validators=[MaxValueValidator(100)]
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    posted_at = models.DateTimeField(_("posted"), default=timezone.now)

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["-posted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="progress_percent_0_to_100", condition=Q(percent__gte=0, percent__lte=100)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.percent}%"


class AcceptanceMethod(models.TextChoices):
    COUNCIL_VOTE = "council_vote", _("Council vote")
    STAFF_RECORD = "staff_record", _("Station staff record")


class Acceptance(models.Model):
    """The community accepted the finished work (验收)."""

    project = models.OneToOneField(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="acceptance"
    )
    method = models.CharField(_("how"), max_length=12, choices=AcceptanceMethod.choices)
    item = models.OneToOneField(
        AgendaItem,
        verbose_name=_("vote"),
        on_delete=models.PROTECT,
        related_name="acceptance",
        null=True,
        blank=True,
    )
    note = models.TextField(
        _("evidence"),
        max_length=2000,
        blank=True,
        help_text=_("What was checked on site. Published: write no names or phone numbers."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    accepted_at = models.DateTimeField(_("accepted"), default=timezone.now)

    class Meta:
        verbose_name = _("acceptance")
        verbose_name_plural = _("acceptances")
        constraints = [
            models.CheckConstraint(
                name="acceptance_vote_or_record",
                condition=(
                    Q(method="council_vote", item__isnull=False)
                    | (Q(method="staff_record", recorded_by__isnull=False) & ~Q(note=""))
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.method}"


def photo_path(instance: "Photo", filename: str) -> str:
    # Never the uploaded name: it may carry personal data.
    return f"projects/{instance.proposal_id}/{instance.token}.{instance.extension}"


class Photo(models.Model):
    """A photo of a proposal's site, of progress, or of the acceptance: re-encoded without
    EXIF or GPS. Public (the uploader confirms it shows no personal data); staff can hide it."""

    proposal = models.ForeignKey(
        Proposal, verbose_name=_("proposal"), on_delete=models.CASCADE, related_name="photos"
    )
    update = models.ForeignKey(
        ProgressUpdate,
        verbose_name=_("progress update"),
        on_delete=models.CASCADE,
        related_name="photos",
        null=True,
        blank=True,
    )
    acceptance = models.ForeignKey(
        Acceptance,
        verbose_name=_("acceptance"),
        on_delete=models.CASCADE,
        related_name="photos",
        null=True,
        blank=True,
    )
    token = models.CharField(max_length=32, unique=True, editable=False)
    extension = models.CharField(max_length=5, editable=False)
    file = models.FileField(
        _("file"), upload_to=photo_path, storage=private_storage, max_length=200
    )
    content_type = models.CharField(max_length=40, editable=False)
    size = models.PositiveIntegerField(_("size (bytes)"), editable=False)
    description = models.CharField(_("description"), max_length=120, blank=True)
    hidden = models.BooleanField(_("hidden"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="photo_one_context",
                condition=Q(update__isnull=True) | Q(acceptance__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.token
