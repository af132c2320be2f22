"""Demo data for the stations, volunteers and feedback apps, made through their services
(run by ``seed_demo`` after the funds demo, which delivers the handrails wish through the
delivery log). Loaded once.

- Volunteers: 黄敏 (volunteer@) keeps a profile; a counselling shift held last week for the
  station-route counselling wish has her hours checked and verified, and a shift next week
  waits for volunteers.
- Deliveries: the counselling wish is delivered by the station's own team (12 hours); its
  recipient confirms by the SMS link and rates 5. The hospice wish is part delivered.
- Follow-up and case: the handrails' recipient has no phone, so the station visited; she
  rated 2 and complained, which opened a case the town reviewer has taken up.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Region, Station, User
from feedback import services as feedback
from feedback.models import CaseStatus, FollowUp, Rating
from marketplace.models import LineKind, Listing
from stations import services
from volunteers import services as volunteers
from volunteers.models import Shift, Skill
from wishes.models import Wish

COUNSELLING = "失去孩子的母亲需要心理疏导"
HOSPICE = "晚期肿瘤老人的居家安宁疗护"
HANDRAILS = "独居老人家中加装扶手和防滑地面"


def _listing(title: str) -> Listing:
    wish = Wish.objects.get(title=title)
    return Listing.objects.of(wish).get()


def _at(day, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def seed_stations() -> bool:
    """Returns whether anything was loaded (False if the demo already has ratings)."""
    if Rating.objects.exists() or Shift.objects.exists():
        return False
    staff = User.objects.get(email="station.staff@linli.local")
    reviewer = User.objects.get(email="town.reviewer@linli.local")
    volunteer = User.objects.get(email="volunteer@linli.local")
    station = Station.objects.get(community__code="dg-nc-ym")
    counselling, hospice = _listing(COUNSELLING), _listing(HOSPICE)

    # A volunteer's profile, a shift she worked last week, and one that needs people.
    volunteers.profile_save(
        user=volunteer,
        display_name="黄敏",
        skills=[Skill.COUNSELLING, Skill.VISIT, Skill.OTHER],
        areas=[Region.objects.get(code="dg-nc")],
        availability="周末全天，工作日晚上",
        weekends=True,
    )
    last_week = timezone.localdate() - timedelta(days=7)
    worked = volunteers.shift_create(
        actor=staff,
        station=station,
        spec=volunteers.ShiftSpec(
            title="陪伴失独母亲外出散步、聊天",
            date=last_week,
            starts=time(14, 0),
            ends=time(17, 0),
            place="元美社区驿站",
            skill=Skill.COUNSELLING,
            capacity=2,
            listing_line=counselling.lines.get(kind=LineKind.SERVICE),
        ),
    )
    signup = volunteers.shift_signup(
        volunteer=volunteer, shift=worked, now=_at(last_week - timedelta(days=3), 9)
    )
    volunteers.check_in(actor=staff, signup=signup, now=_at(last_week, 14))
    volunteers.check_out(actor=staff, signup=signup, now=_at(last_week, 17))
    volunteers.hours_verify(actor=staff, signup=signup, now=_at(last_week, 18))
    next_week = timezone.localdate() + timedelta(days=7)
    volunteers.shift_create(
        actor=staff,
        station=station,
        spec=volunteers.ShiftSpec(
            title="为社区独居老人上门打扫卫生",
            date=next_week,
            starts=time(9, 0),
            ends=time(11, 30),
            place="元美社区（驿站集合）",
            skill=Skill.CLEANING,
            capacity=4,
        ),
    )

    # The station's team delivers the counselling; the mother confirms by the SMS link.
    delivery = services.delivery_log(
        actor=staff,
        line=counselling.lines.get(kind=LineKind.SERVICE),
        quantity=Decimal("12"),
        note="心理咨询师上门六次，每次两小时，志愿者陪同外出散步。",
    )
    feedback.respond(
        token=delivery.recipient_asked.raw_token,
        received=True,
        score=5,
        comment="咨询师很耐心，现在愿意出门走走了。谢谢驿站。",
    )
    # The hospice care is under way: ten of thirty hours so far.
    services.delivery_log(
        actor=staff,
        line=hospice.lines.get(kind=LineKind.SERVICE),
        quantity=Decimal("10"),
        note="社区卫生服务中心护士上门五次，做疼痛护理和陪伴。",
    )

    # The handrails (delivered by the funds demo): no phone on record, so a visit.
    visit = FollowUp.objects.get(listing=_listing(HANDRAILS))
    rating = feedback.follow_up_record(
        actor=staff,
        follow_up=visit,
        received=True,
        score=2,
        comment="扶手装好了，但卫生间的扶手偏高，老人够不着。",
        complaint="卫生间扶手安装位置偏高，希望施工单位上门调整。",
    )
    feedback.case_move(
        actor=reviewer,
        case=rating.case,
        to=CaseStatus.IN_PROGRESS,
        note="已联系施工单位，约定本周内上门调整扶手高度。",
    )
    return True
