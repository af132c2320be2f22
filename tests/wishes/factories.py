"""Wishes built through the services, in any status the test needs.

Distinctive personal data (``SECRET_*``) makes leaks easy to find: privacy tests search
every public response for these strings.
"""

from datetime import date, timedelta
from decimal import Decimal
from itertools import count

from django.utils import timezone

from accounts.models import Region, User
from wishes import services
from wishes.models import Channel, Household, Route, Status, Wish
from wishes.services import NeedLine

SECRET_NAME = "钱秘密"
SECRET_ID = "44190019470101123X"
SECRET_PHONE = "+8613912345678"
SECRET_ADDRESS = "幸福里秘密巷 99 号"
SECRET_NOTES = "家访发现隐私病情ZX-PRIVATE"
_ids = count(1)


def make_household(
    community: Region, actor: User, *, id_number: str | None = None, **fields
) -> Household:
    n = next(_ids)
    values = {
        "head_name": f"{SECRET_NAME}{n}",
        "id_number": SECRET_ID if id_number is None else id_number,
        "phone": SECRET_PHONE,
        "address": SECRET_ADDRESS,
        "community": community,
        "member_count": 3,
        "monthly_income_per_person": Decimal("600.00"),
        "disability_grade": 2,
        "serious_illness": True,
        "housing": "poor",
        "elderly_dependants": 1,
        "child_dependants": 1,
        "disabled_dependants": 0,
        "disaster_loss": Decimal("0.00"),
    }
    values.update(fields)
    return services.household_create(
        actor=actor, consent=True, consent_note="signed form", **values
    )


DEFAULT_NEEDS = [
    NeedLine(kind="money", amount=Decimal("1200.00")),
    NeedLine(kind="goods", item="轮椅", quantity=1, specification="折叠式"),
]


def make_wish(
    staff: User,
    community: Region,
    *,
    status: str = Status.ACCEPTED,
    reviewer: User | None = None,
    household: Household | None = None,
    route: str = Route.DIRECT,
    urgency: str = "urgent",
    title: str = "为独居老人添置轮椅",
    story: str = "老人腿脚不便，需要一台轮椅方便出门就医。",
    needs: list[NeedLine] | None = None,
    duplicate_reason: str = "",
) -> Wish:
    """A wish taken in by *staff* at *community*'s station, moved on to *status*."""
    household = household or make_household(community, staff)
    wish = services.wish_intake(
        actor=staff,
        household=household,
        channel=Channel.HOTLINE,
        title=title,
        story=story,
        category="elder_care",
        urgency=urgency,
        needs=needs or DEFAULT_NEEDS,
    )
    if status == Status.ACCEPTED:
        return wish
    wish = services.wish_verify(
        actor=staff, wish=wish, visited_on=timezone.localdate(), notes=SECRET_NOTES
    )
    if status == Status.VERIFIED:
        return wish
    if status == Status.REJECTED:
        return services.wish_reject(actor=reviewer, wish=wish, reason="不符合条件")
    target_route = {
        Status.REFERRED: Route.POLICY,
        Status.STATION_SERVICE: Route.STATION,
    }.get(status, route)
    wish = services.wish_approve(
        actor=reviewer,
        wish=wish,
        route=target_route,
        reason="符合条件",
        duplicate_reason=duplicate_reason or "复核确认",
        express_amount=Decimal("800.00") if target_route == Route.EXPRESS else None,
        policy_department="民政局" if target_route == Route.POLICY else "",
        policy_due_on=date.today() + timedelta(days=10) if target_route == Route.POLICY else None,
    )
    if status == Status.PUBLISHED:
        services.wish_publish(wish=wish, now=wish.notice_ends_at + timedelta(seconds=1))
        wish.refresh_from_db()
    return wish
