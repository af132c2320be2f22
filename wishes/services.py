"""Write operations of the wish lifecycle.

Each service: guard (permission in the wish's area, state) → one transaction with the wish
row locked → change → audit (through the ``WISH`` workflow) → requester told after commit.
A wish's area for permissions is its responsible station's community, so a referral moves
the wish into the new station's queue.
"""

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import audit
from accounts.errors import NotPermitted
from accounts.models import Region, Station, User
from accounts.permissions import has_perm
from accounts.roles import Perm
from accounts.transitions import Workflow
from accounts.workdays import add_working_days
from wishes import need_index
from wishes.exceptions import (
    ConsentRequired,
    DuplicateReasonRequired,
    NoStation,
    NotOnNotice,
    ObjectionAlreadyFiled,
    ReasonRequired,
    RouteDetailsMissing,
)
from wishes.models import (
    AidRecord,
    Channel,
    Household,
    NeedIndexFormula,
    NeedKind,
    Objection,
    ObjectionStatus,
    Referral,
    Route,
    Status,
    Verification,
    Wish,
    WishNeed,
)

WISH = Workflow(
    "wish",
    {
        Status.SUBMITTED: {Status.ACCEPTED, Status.REJECTED, Status.WITHDRAWN},
        Status.ACCEPTED: {Status.VERIFIED, Status.REJECTED, Status.WITHDRAWN},
        Status.VERIFIED: {
            Status.ACCEPTED,  # sent back for more verification
            Status.NOTICE,
            Status.REFERRED,
            Status.STATION_SERVICE,
            Status.REJECTED,
            Status.WITHDRAWN,
        },
        Status.NOTICE: {Status.PUBLISHED, Status.WITHDRAWN},
        Status.REFERRED: {Status.RESOLVED, Status.WITHDRAWN},
        Status.PUBLISHED: {Status.RESOLVED, Status.WITHDRAWN},
        Status.STATION_SERVICE: {Status.RESOLVED, Status.WITHDRAWN},
    },
)


@dataclass(frozen=True)
class NeedLine:
    """One line of what is needed, as entered (validated by the form and the database)."""

    kind: str
    amount: Decimal | None = None
    item: str = ""
    quantity: int | None = None
    specification: str = ""
    skill: str = ""
    hours: Decimal | None = None


def wish_region(wish: Wish) -> Region:
    """The region whose staff look after *wish*: its responsible station's community."""
    return wish.station.community


def _require(actor: User, perm: Perm, wish: Wish) -> None:
    if not has_perm(actor, perm, wish_region(wish)):
        raise NotPermitted()


def _lock(wish: Wish) -> Wish:
    """Lock the wish's own row only (``of``): on PostgreSQL ``select_related`` would lock
    its station, community and household too, and the express services go on to lock
    funds and listings whose writers record audit events in that community (a deadlock
    the matching race tests found)."""
    return (
        Wish.objects.select_for_update(of=("self",))
        .select_related("station__community", "household")
        .get(pk=wish.pk)
    )


def _notify(wish: Wish, event: str) -> None:
    from wishes.tasks import requester_notify  # tasks call services: import late, no cycle

    requester_notify.delay_on_commit(wish.pk, event)


def _close(
    wish: Wish, to: str, *, actor: User, reason: str, data: dict | None = None, **changes: Any
) -> None:
    """Move *wish* to a final status, with what the requester is told, and tell them.

    Caller holds the wish's row lock.
    """
    for field, value in changes.items():
        setattr(wish, field, value)
    wish.closed_at = timezone.now()
    WISH.move(
        wish,
        to,
        actor=actor,
        region=wish_region(wish),
        reason=reason,
        update_fields=["closed_at", *changes],
        data=data,
    )
    _notify(wish, str(to))


def _new_reference() -> str:
    return f"W{timezone.localdate():%y%m}-{secrets.token_hex(3).upper()}"


def _deadline(urgency: str, start: date) -> date:
    return add_working_days(start, settings.WISH_DEADLINE_WORKING_DAYS[urgency])


def station_for(community: Region) -> Station:
    """The station that takes a community's wishes: its own, else one in the same town.

    Raises:
        NoStation: none is open nearby.
    """
    station = (
        Station.objects.active().filter(community=community).order_by("pk").first()
        or Station.objects.active()
        .filter(community__parent_id=community.parent_id)
        .order_by("pk")
        .first()
    )
    if station is None:
        raise NoStation()
    return station


# --- Households and the need index ------------------------------------------------------


def household_create(*, actor: User, consent: bool, consent_note: str, **fields: Any) -> Household:
    """Record a household. Consent to data processing must be given first.

    Raises:
        ConsentRequired: no recorded consent.
    """
    if not consent:
        raise ConsentRequired()
    id_number = fields.pop("id_number", "") or ""
    household = Household(
        **fields,
        id_number=id_number,
        id_hash=Household.hash_id_number(id_number),
        consent_at=timezone.now(),
        consent_note=consent_note,
        created_by=actor,
    )
    household.save()
    audit.record(actor=actor, verb="household.create", target=household, region=household.community)
    return household


def aid_received(household: Household, *, window_days: int, today: date | None = None) -> Decimal:
    since = (today or timezone.localdate()) - timedelta(days=window_days)
    total = sum(
        household.aid.filter(received_on__gte=since).values_list("value", flat=True), Decimal(0)
    )
    return Decimal(total)


def formula_current() -> NeedIndexFormula:
    """The formula in force; version 1 (the published defaults) if none was published yet."""
    formula = NeedIndexFormula.objects.current()
    if formula is None:
        try:
            formula, _ = NeedIndexFormula.objects.get_or_create(
                version=1, defaults={"weights": need_index.DEFAULT_WEIGHTS, "note": "initial"}
            )
        except IntegrityError:  # created concurrently
            formula = NeedIndexFormula.objects.get(version=1)
    return formula


def wish_score(wish: Wish, *, formula: NeedIndexFormula | None = None) -> Wish:
    """Compute and store *wish*'s need index with the formula in force (or the one given)."""
    formula = formula or formula_current()
    household = wish.household
    facts = need_index.Facts(
        monthly_income_per_person=household.monthly_income_per_person,
        disability_grade=household.disability_grade,
        serious_illness=household.serious_illness,
        housing=household.housing,
        dependants=household.elderly_dependants
        + household.child_dependants
        + household.disabled_dependants,
        disaster_loss=household.disaster_loss,
        urgency=wish.urgency,
        aid_received=aid_received(household, window_days=int(formula.weights["aid_window_days"])),
    )
    score, contributions = need_index.compute(facts, formula.weights)
    wish.need_index = score
    wish.need_index_version = formula.version
    wish.need_index_explanation = [c.as_json() for c in contributions]
    wish.save(update_fields=["need_index", "need_index_version", "need_index_explanation"])
    return wish


def household_rescore(household: Household) -> int:
    """Re-score every open wish of *household* (after aid, or a change of its facts)."""
    formula = formula_current()
    wishes = list(household.wishes.open().select_related("household"))
    for wish in wishes:
        wish_score(wish, formula=formula)
    return len(wishes)


def aid_record(
    *,
    actor: User,
    household: Household,
    received_on: date,
    value: Decimal,
    source: str,
    description: str,
    wish: Wish | None = None,
) -> AidRecord:
    """Record aid a household received; its open wishes drop in the ranking at once.

    Raises:
        NotPermitted: *actor* may not see this household's private record.
    """
    # Reading private data is not enough: a supervisor reads everything and decides nothing.
    regions = [household.community] + ([wish_region(wish)] if wish is not None else [])
    if not any(
        has_perm(actor, Perm.PRIVATE_VIEW, region)
        and (has_perm(actor, Perm.WISH_INTAKE, region) or has_perm(actor, Perm.WISH_REVIEW, region))
        for region in regions
    ):
        raise NotPermitted()
    with transaction.atomic():
        Household.objects.select_for_update().get(pk=household.pk)
        record = AidRecord.objects.create(
            household=household,
            received_on=received_on,
            value=value,
            source=source,
            description=description,
            wish=wish,
            recorded_by=actor,
        )
        audit.record(
            actor=actor,
            verb="aid.record",
            target=household,
            region=household.community,
            data={"aid": record.pk, "value": str(value), "source": source},
        )
        household_rescore(household)
    return record


def formula_publish(*, actor: User, weights: dict[str, Any], note: str) -> NeedIndexFormula:
    """Publish a new version of the need-index weights; open wishes are re-scored.

    Raises:
        NotPermitted: *actor* is not a city administrator.
        need_index.FormulaError: the weights are incomplete or negative.
    """
    city = Region.objects.filter(parent__isnull=True).order_by("pk").first()
    if city is None or not has_perm(actor, Perm.FORMULA_PUBLISH, city):
        raise NotPermitted()
    need_index.validate_weights(weights)
    with transaction.atomic():
        latest = NeedIndexFormula.objects.select_for_update().order_by("-version").first()
        formula = NeedIndexFormula.objects.create(
            version=(latest.version + 1) if latest else 1,
            weights=weights,
            note=note,
            published_by=actor,
        )
        audit.record(actor=actor, verb="formula.publish", target=formula, region=city, reason=note)
        from wishes.tasks import wishes_rescore_open

        wishes_rescore_open.delay_on_commit()
    return formula


# --- Intake -----------------------------------------------------------------------------


def _create_wish(*, household: Household, needs: list[NeedLine], **fields: Any) -> Wish:
    if not needs:
        raise RouteDetailsMissing(details="at least one need")
    for _attempt in range(3):
        try:
            with transaction.atomic():
                wish = Wish.objects.create(
                    reference=_new_reference(), household=household, **fields
                )
                break
        except IntegrityError:  # a reference collision: draw again
            continue
    else:  # pragma: no cover - three collisions in a row
        raise IntegrityError("could not allocate a wish reference")
    WishNeed.objects.bulk_create([WishNeed(wish=wish, **vars(line)) for line in needs])
    wish_score(wish)
    return wish


def wish_submit(
    *,
    user: User,
    household: Household,
    title: str,
    story: str,
    category: str,
    urgency: str,
    needs: list[NeedLine],
) -> Wish:
    """A person (or a relative) raises a wish online; a station accepts it next."""
    with transaction.atomic():
        station = station_for(household.community)
        wish = _create_wish(
            household=household,
            needs=needs,
            title=title.strip(),
            story=story.strip(),
            category=category,
            urgency=urgency,
            channel=Channel.WEB,
            status=Status.SUBMITTED,
            community=household.community,
            station=station,
            raised_by=user,
        )
        audit.record(actor=user, verb="wish.submitted", target=wish, region=wish_region(wish))
        _notify(wish, "submitted")
    return wish


def wish_intake(
    *,
    actor: User,
    household: Household,
    channel: str,
    title: str,
    story: str,
    category: str,
    urgency: str,
    needs: list[NeedLine],
    station: Station | None = None,
) -> Wish:
    """Station staff take a wish in on someone's behalf; they become first-responsible.

    Raises:
        NotPermitted: *actor* may not take in wishes for that station.
    """
    station = station or station_for(household.community)
    if not has_perm(actor, Perm.WISH_INTAKE, station.community):
        raise NotPermitted()
    now = timezone.now()
    with transaction.atomic():
        wish = _create_wish(
            household=household,
            needs=needs,
            title=title.strip(),
            story=story.strip(),
            category=category,
            urgency=urgency,
            channel=channel,
            status=Status.ACCEPTED,
            community=household.community,
            station=station,
            first_responsible=actor,
            accepted_at=now,
            due_on=_deadline(urgency, timezone.localdate(now)),
        )
        audit.record(
            actor=actor,
            verb="wish.accepted",
            target=wish,
            region=wish_region(wish),
            data={"channel": channel},
        )
        _notify(wish, "accepted")
    return wish


def wish_accept(*, actor: User, wish: Wish) -> Wish:
    """A station accepts a wish raised online: its deadline starts, the actor is responsible."""
    _require(actor, Perm.WISH_INTAKE, wish)
    with transaction.atomic():
        wish = _lock(wish)
        if wish.status == Status.ACCEPTED and wish.first_responsible_id == actor.pk:
            return wish
        if wish.status != Status.SUBMITTED:
            # The table allows verified -> accepted (a send-back), but accepting must not
            # take over a wish another officer already answers for.
            from accounts.errors import InvalidTransition

            raise InvalidTransition(current=wish.get_status_display())
        now = timezone.now()
        wish.first_responsible = actor
        wish.accepted_at = now
        wish.due_on = _deadline(wish.urgency, timezone.localdate(now))
        WISH.move(
            wish,
            Status.ACCEPTED,
            actor=actor,
            region=wish_region(wish),
            update_fields=["first_responsible", "accepted_at", "due_on"],
        )
        _notify(wish, "accepted")
    return wish


def wish_refer(*, actor: User, wish: Wish, to_station: Station, reason: str) -> Referral:
    """Hand a wish to another station (in this town or another); history and the
    first-responsible officer stay with it.

    Raises:
        NotPermitted: *actor* may not take in wishes at the current station.
        ReasonRequired: no reason given.
    """
    _require(actor, Perm.WISH_INTAKE, wish)
    if not reason.strip():
        raise ReasonRequired()
    with transaction.atomic():
        wish = _lock(wish)
        if wish.status not in (Status.SUBMITTED, Status.ACCEPTED, Status.VERIFIED):
            from accounts.errors import InvalidTransition

            raise InvalidTransition(current=wish.get_status_display())
        referral = Referral.objects.create(
            wish=wish,
            from_station=wish.station,
            to_station=to_station,
            reason=reason.strip(),
            referred_by=actor,
        )
        from_region = wish_region(wish)
        wish.station = to_station
        wish.save(update_fields=["station"])
        audit.record(
            actor=actor,
            verb="wish.referred_to_station",
            target=wish,
            region=from_region,
            reason=reason,
            data={"from": referral.from_station_id, "to": to_station.pk},
        )
        _notify(wish, "referred_to_station")
    return referral


# --- Verification and review ------------------------------------------------------------


def wish_verify(*, actor: User, wish: Wish, visited_on: date, notes: str) -> Wish:
    """Station staff record the home visit; the wish is verified and scored afresh.

    Raises:
        NotPermitted: *actor* may not verify wishes at this station.
        ReasonRequired: no visit notes.
    """
    _require(actor, Perm.WISH_VERIFY, wish)
    if not notes.strip():
        raise ReasonRequired()
    with transaction.atomic():
        wish = _lock(wish)
        Verification.objects.update_or_create(
            wish=wish,
            defaults={
                "visited_on": visited_on,
                "notes": notes.strip(),
                "verified_by": actor,
                "verified_at": timezone.now(),
            },
        )
        WISH.move(wish, Status.VERIFIED, actor=actor, region=wish_region(wish))
        wish_score(wish)
        _notify(wish, "verified")
    return wish


def wish_send_back(*, actor: User, wish: Wish, reason: str) -> Wish:
    """A reviewer asks the station to verify again."""
    _require(actor, Perm.WISH_REVIEW, wish)
    if not reason.strip():
        raise ReasonRequired()
    with transaction.atomic():
        wish = _lock(wish)
        WISH.move(wish, Status.ACCEPTED, actor=actor, region=wish_region(wish), reason=reason)
    return wish


def wish_approve(
    *,
    actor: User,
    wish: Wish,
    route: str,
    reason: str = "",
    duplicate_reason: str = "",
    express_amount: Decimal | None = None,
    policy_department: str = "",
    policy_due_on: date | None = None,
) -> Wish:
    """A town reviewer approves a verified wish and routes it.

    Express and direct wishes go on public notice first; policy referrals wait for the
    department's answer; station wishes go to the station's own team.

    Raises:
        NotPermitted: *actor* may not review wishes here.
        DuplicateReasonRequired: other open or recent aid exists and no reason was recorded.
        RouteDetailsMissing: express without amount, policy without department or date.
    """
    from wishes.selectors import duplicates_of

    _require(actor, Perm.WISH_REVIEW, wish)
    route = Route(route)
    if route == Route.EXPRESS and not (express_amount and express_amount > 0):
        raise RouteDetailsMissing(details=str(Wish._meta.get_field("express_amount").verbose_name))
    if route == Route.POLICY and not (policy_department.strip() and policy_due_on):
        raise RouteDetailsMissing(
            details=str(Wish._meta.get_field("policy_department").verbose_name)
        )
    with transaction.atomic():
        wish = _lock(wish)
        if duplicates_of(wish).any() and not duplicate_reason.strip():
            raise DuplicateReasonRequired()
        now = timezone.now()
        wish.route = route
        wish.reviewed_by = actor
        wish.reviewed_at = now
        wish.decision_reason = reason.strip()
        wish.duplicate_reason = duplicate_reason.strip()
        fields = ["route", "reviewed_by", "reviewed_at", "decision_reason", "duplicate_reason"]
        if route == Route.EXPRESS:
            wish.express_amount = express_amount
            fields.append("express_amount")
        if route == Route.POLICY:
            wish.policy_department = policy_department.strip()
            wish.policy_due_on = policy_due_on
            fields += ["policy_department", "policy_due_on"]
        if route in (Route.EXPRESS, Route.DIRECT):
            wish.notice_ends_at = now + timedelta(days=settings.WISH_NOTICE_DAYS)
            fields.append("notice_ends_at")
            target = Status.NOTICE
        elif route == Route.POLICY:
            target = Status.REFERRED
        else:
            target = Status.STATION_SERVICE
            _publish_listing(wish, offered=False)  # served and rated like any listing
        WISH.move(
            wish,
            target,
            actor=actor,
            region=wish_region(wish),
            reason=reason,
            update_fields=fields,
            data={"route": str(route), "duplicate_override": bool(wish.duplicate_reason)},
        )
        _notify(wish, str(target))
    return wish


def wish_reject(*, actor: User, wish: Wish, reason: str) -> Wish:
    """Decline a wish; the requester is told why.

    Raises:
        NotPermitted: *actor* may neither review here nor (for a wish not yet verified)
            take in wishes at its station.
        ReasonRequired: no reason given.
    """
    if not reason.strip():
        raise ReasonRequired()
    may_review = has_perm(actor, Perm.WISH_REVIEW, wish_region(wish))
    if not may_review and not (
        wish.status in (Status.SUBMITTED, Status.ACCEPTED)
        and has_perm(actor, Perm.WISH_INTAKE, wish_region(wish))
    ):
        raise NotPermitted()
    with transaction.atomic():
        wish = _lock(wish)
        _close(
            wish,
            Status.REJECTED,
            actor=actor,
            reason=reason,
            decision_reason=reason.strip(),
            reviewed_by=actor,
            reviewed_at=timezone.now(),
        )
    return wish


def wish_withdraw(*, actor: User, wish: Wish, reason: str) -> Wish:
    """The requester (or staff on their word) withdraws a wish."""
    if wish.raised_by_id != actor.pk:
        _require(actor, Perm.WISH_INTAKE, wish)
    if not reason.strip():
        raise ReasonRequired()
    with transaction.atomic():
        wish = _lock(wish)
        if wish.status == Status.WITHDRAWN:
            return wish
        _close(wish, Status.WITHDRAWN, actor=actor, reason=reason, decision_reason=reason.strip())
    return wish


def policy_answer(*, actor: User, wish: Wish, answer: str) -> Wish:
    """Record the department's answer to a policy referral; the wish is resolved."""
    _require(actor, Perm.WISH_INTAKE, wish)
    if not answer.strip():
        raise ReasonRequired()
    with transaction.atomic():
        wish = _lock(wish)
        _close(wish, Status.RESOLVED, actor=actor, reason=answer, policy_answer=answer.strip())
    return wish


# --- Public notice ----------------------------------------------------------------------


def objection_file(*, user: User, wish: Wish, text: str) -> Objection:
    """Anyone signed in may object while a wish is on public notice.

    Raises:
        NotOnNotice: the notice period is not running.
        ObjectionAlreadyFiled: this person already has an open objection to it.
        ReasonRequired: empty objection.
    """
    if not text.strip():
        raise ReasonRequired()
    with transaction.atomic():
        wish = _lock(wish)
        if wish.status != Status.NOTICE:
            raise NotOnNotice()
        if wish.objections.filter(filed_by=user, status=ObjectionStatus.OPEN).exists():
            raise ObjectionAlreadyFiled()
        objection = Objection.objects.create(wish=wish, filed_by=user, text=text.strip())
        audit.record(actor=user, verb="objection.file", target=objection, region=wish_region(wish))
    return objection


def objection_decide(*, actor: User, objection: Objection, uphold: bool, reason: str) -> Objection:
    """A reviewer answers an objection: upheld withdraws the wish, dismissed lets it go on.

    Raises:
        NotPermitted: *actor* may not review wishes here.
        ReasonRequired: no reason given.
    """
    wish = objection.wish
    _require(actor, Perm.WISH_REVIEW, wish)
    if not reason.strip():
        raise ReasonRequired()
    with transaction.atomic():
        wish = _lock(wish)
        objection = Objection.objects.select_for_update().get(pk=objection.pk)
        if objection.status != ObjectionStatus.OPEN:
            return objection
        objection.status = ObjectionStatus.UPHELD if uphold else ObjectionStatus.DISMISSED
        objection.decided_by = actor
        objection.decided_at = timezone.now()
        objection.decision_reason = reason.strip()
        objection.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        audit.record(
            actor=actor,
            verb=f"objection.{objection.status}",
            target=objection,
            region=wish_region(wish),
            reason=reason,
        )
        if uphold and wish.status == Status.NOTICE:
            _close(
                wish,
                Status.WITHDRAWN,
                actor=actor,
                reason=reason,
                data={"objection": objection.pk},
                decision_reason=reason.strip(),
            )
    return objection


def wish_publish(*, wish: Wish, now=None) -> bool:
    """Publish one wish whose notice period is over and has no open objection.

    Returns False (and changes nothing) if it is not due, or objections are open.
    """
    now = now or timezone.now()
    with transaction.atomic():
        wish = _lock(wish)
        if wish.status != Status.NOTICE or wish.notice_ends_at is None or wish.notice_ends_at > now:
            return False
        if wish.objections.filter(status=ObjectionStatus.OPEN).exists():
            return False
        wish.published_at = now
        WISH.move(
            wish,
            Status.PUBLISHED,
            actor=None,
            region=wish_region(wish),
            update_fields=["published_at"],
        )
        if wish.route == Route.DIRECT:
            _publish_listing(wish)
        _notify(wish, "published")
    return True


def _publish_listing(wish: Wish, *, offered: bool = True) -> None:
    """A direct wish becomes a claimable listing with its needs lines (in the caller's
    transaction); a station-route wish a listing not *offered* to donors, which the
    station's team delivers. Express wishes are paid from the public fund: no listing."""
    from marketplace.services import LineSpec, listing_publish

    lines = []
    for need in wish.needs.all():
        if need.kind == NeedKind.MONEY:
            lines.append(LineSpec(kind="money", target=need.amount))
        elif need.kind == NeedKind.GOODS:
            what = f"{need.item} ({need.specification})" if need.specification else need.item
            lines.append(LineSpec(kind="goods", target=Decimal(need.quantity), description=what))
        else:
            lines.append(LineSpec(kind="service", target=need.hours, description=need.skill))
    listing_publish(
        source=wish,
        kind="wish",
        title=wish.title,
        story=wish.story,
        category=wish.category,
        urgency=wish.urgency,
        community=wish.community,
        station=wish.station,
        need_index=wish.need_index,
        deadline=wish.due_on,
        lines=lines,
        offered=offered,
    )


def wishes_publish_due(*, now=None) -> int:
    """Periodic: publish every wish whose notice has ended without open objections."""
    now = now or timezone.now()
    due = Wish.objects.filter(status=Status.NOTICE, notice_ends_at__lte=now).order_by("pk")
    return sum(wish_publish(wish=wish, now=now) for wish in due.only("pk"))


def money_needed(wish: Wish) -> Decimal:
    return sum(
        (n.amount for n in wish.needs.all() if n.kind == NeedKind.MONEY and n.amount), Decimal(0)
    )


# --- Express funding -------------------------------------------------------------------------


def wish_express_pay(
    *,
    actor: User,
    wish: Wish,
    fund,
    payee_name: str,
    payee_account: str,
    payment_reference: str,
):
    """Pay a published express wish from *fund* (a town reviewer, within its deadline):
    the fund's free balance is checked under its lock, the payment is posted to the ledger,
    and the wish is resolved, all in one transaction. Returns the fund grant.

    Raises:
        NotPermitted: may not review wishes here, or does not manage the fund.
        NotExpress: the wish is not a published express wish (or was paid already).
        InsufficientFunds, OutsideRegion, PayeeRequired, ReferenceRequired.
    """
    from marketplace.funds import NotExpress, fund_grant

    _require(actor, Perm.WISH_REVIEW, wish)
    with transaction.atomic():
        wish = _lock(wish)
        if wish.status != Status.PUBLISHED or wish.route != Route.EXPRESS:
            raise NotExpress()
        grant = fund_grant(
            actor=actor,
            fund=fund,
            source=wish,
            region=wish.community,
            amount=wish.express_amount,
            payee_name=payee_name,
            payee_account=payee_account,
            payment_reference=payment_reference,
            memo=wish.reference,
        )
        _close(
            wish,
            Status.RESOLVED,
            actor=actor,
            reason="",
            data={"grant": grant.pk, "fund": fund.pk, "amount": str(grant.amount)},
        )
    return grant


def wish_delivered(*, actor: User, wish: Wish, listing_reference: str) -> Wish:
    """The wish's listing was delivered in full (by the station's delivery log): the wish
    is resolved and the requester told. Idempotent; call inside the delivery's transaction.
    """
    with transaction.atomic():
        wish = _lock(wish)
        if wish.status == Status.RESOLVED:
            return wish
        _close(wish, Status.RESOLVED, actor=actor, reason="", data={"listing": listing_reference})
    return wish


def express_fallback_allowed(wish: Wish, listing, *, today=None) -> bool:
    """A direct wish whose listing is still open past its deadline with nothing confirmed
    and no donor holding it may move to express funding."""
    from marketplace.models import ClaimStatus, ListingStatus, PledgeStatus

    today = today or timezone.localdate()
    return (
        wish.status == Status.PUBLISHED
        and wish.route == Route.DIRECT
        and listing is not None
        and listing.status == ListingStatus.OPEN
        and listing.deadline is not None
        and listing.deadline < today
        and not listing.claims.filter(
            status=ClaimStatus.ACTIVE, expires_at__gt=timezone.now()
        ).exists()
        and not listing.lines.filter(pledges__status=PledgeStatus.CONFIRMED).exists()
    )


def wish_express_fallback(*, actor: User, wish: Wish, amount: Decimal, reason: str) -> Wish:
    """Nobody took up a direct wish by its deadline: withdraw its listing from donors
    (pending pledges are cancelled) and route it to express funding, so nobody is forgotten.

    Raises:
        NotPermitted: may not review wishes here.
        ReasonRequired: no reason given.
        RouteDetailsMissing: no amount.
        InvalidTransition: the wish's listing is not open past its deadline, or someone
            has pledged or claimed it.
    """

    from accounts.errors import InvalidTransition
    from marketplace.models import Listing
    from marketplace.staff_services import listing_cancel

    _require(actor, Perm.WISH_REVIEW, wish)
    if not reason.strip():
        raise ReasonRequired()
    if not (amount and amount > 0):
        raise RouteDetailsMissing(details=str(Wish._meta.get_field("express_amount").verbose_name))
    with transaction.atomic():
        wish = _lock(wish)
        listing = Listing.objects.of(wish).first()
        if not express_fallback_allowed(wish, listing):
            raise InvalidTransition(current=wish.get_status_display())
        listing_cancel(actor=actor, listing=listing, reason=reason)
        wish.route = Route.EXPRESS
        wish.express_amount = amount
        wish.save(update_fields=["route", "express_amount"])
        audit.record(
            actor=actor,
            verb="wish.express_fallback",
            target=wish,
            region=wish_region(wish),
            reason=reason,
            data={"listing": listing.pk, "amount": str(amount)},
        )
    return wish
