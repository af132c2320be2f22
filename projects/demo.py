"""Demo data for community micro-projects in 胜和社区 (Shenghe), made through the services
(run by ``seed_demo`` after the stations demo). Loaded once.

- The council: 刘伟 (council@, its secretary) and four neighbours; quorum half the members,
  simple majority, five supporters table a proposal.
- Proposals in every state: gathering support, tabled (two, on next week's meeting),
  agreed (three), not agreed, merged into another, withdrawn by its proposer.
- Two consultations with computed results: a party-mass joint meeting two months ago
  (two projects agreed, handrails not agreed; votes online and from the paper count) and
  an online consultation last week (the playground accepted, the basketball court agreed,
  the summer club without quorum). A third is called for next week.
- Projects: street lights (open for support, part funded, 40 percent done), the
  playground (funded by a company and goods, completed, accepted by the council's vote,
  rated by three beneficiaries), the basketball court fence (awaiting town review).
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts import services as accounts
from accounts.models import Organisation, Region, RoleAssignment, User
from accounts.roles import Role
from feedback import services as feedback
from feedback.models import LinkChannel, RatingChannel
from marketplace import services as market
from marketplace.models import LineKind, Pledge
from marketplace.payments import services as payments
from marketplace.payments.offline import offline_confirm
from projects.models import (
    ConsultationForm,
    Council,
    ImplementerKind,
    ItemKind,
    MajorityRule,
    Proposal,
    VoteChannel,
    VoteChoice,
)
from projects.services import consultations, delivery, proposals
from projects.services.delivery import LineInput

SECRETARY = "council@linli.local"
NEIGHBOURS = [
    ("council.chen@linli.local", "陈美玲"),
    ("council.he@linli.local", "何志军"),
    ("council.lin@linli.local", "林晓燕"),
    ("council.huang@linli.local", "黄伟强"),
]
FOR, AGAINST, ABSTAIN = VoteChoice.FOR, VoteChoice.AGAINST, VoteChoice.ABSTAIN


def _user(email: str) -> User:
    return User.objects.get(email=email)


def _at(day_offset: int, hour: int, now: datetime) -> datetime:
    day = timezone.localdate(now) + timedelta(days=day_offset)
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _neighbours(admin: User, community: Region) -> list[User]:
    from allauth.account.models import EmailAddress

    from accounts.management.commands.seed_demo import DEMO_PASSWORD

    people = []
    for email, name in NEIGHBOURS:
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email=email, password=DEMO_PASSWORD, display_name=name
        )
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        if not RoleAssignment.objects.active().filter(user=user, region=community).exists():
            accounts.role_assign(
                actor=admin,
                user=user,
                role=Role.COUNCIL_MEMBER,
                region=community,
                reason="demo data",
            )
        people.append(user)
    return people


def _propose(actor: User, community: Region, when: datetime, **fields) -> Proposal:
    return proposals.proposal_create(actor=actor, community=community, now=when, **fields)


def _support(proposal: Proposal, people: list[User], when: datetime) -> Proposal:
    for person in people:
        proposal = proposals.proposal_support(
            actor=person, proposal=proposal, lives_here=True, now=when
        )
    return proposal


def _vote(meeting, proposal: Proposal, votes: list[tuple[User, str]], *, when, secretary=None):
    item = meeting.items.get(proposal=proposal)
    for member, choice in votes:
        if secretary is None:
            consultations.vote_cast(actor=member, item=item, choice=choice, now=when)
        else:
            consultations.vote_record(
                actor=secretary,
                item=item,
                member=member,
                choice=choice,
                channel=VoteChannel.PAPER,
                now=when,
            )
    return item


def _pay(pledge: Pledge, *, confirmer: User, receipt: str) -> None:
    payment = payments.payment_start(pledge=pledge, provider_id="offline")
    offline_confirm(actor=confirmer, payment=payment, receipt_number=receipt)


def seed_projects() -> bool:
    """Returns whether anything was loaded (False if the demo already has proposals)."""
    if Proposal.objects.exists():
        return False
    now = timezone.now()
    admin = _user("admin@linli.local")
    secretary = _user(SECRETARY)
    staff = _user("station.staff@linli.local")
    reviewer = _user("town.reviewer@linli.local")
    resident = _user("resident@linli.local")
    donor = _user("donor@linli.local")
    company_admin = _user("company@linli.local")
    volunteer = _user("volunteer@linli.local")
    shenghe = Region.objects.get(code="dg-nc-sh")
    station = shenghe.stations.first()
    company = Organisation.objects.get(memberships__user=company_admin, memberships__is_admin=True)

    # The station's worker covers Shenghe as well as Yuanmei.
    if not RoleAssignment.objects.active().filter(user=staff, region=shenghe).exists():
        accounts.role_assign(
            actor=admin, user=staff, role=Role.STATION_STAFF, region=shenghe, reason="demo data"
        )
    members = [secretary, *_neighbours(admin, shenghe)]
    Council.objects.create(
        community=shenghe,
        name="胜和社区居民议事会",
        quorum_percent=50,
        majority=MajorityRule.SIMPLE,
        support_threshold=5,
        secretary=secretary,
    )
    neighbours = [resident, donor, volunteer, members[1], members[2], members[3]]

    # --- Proposals, two to three months ago -----------------------------------------------
    early = now - timedelta(days=80)
    lights = _propose(
        resident,
        shenghe,
        early,
        title="胜和路背街小巷加装太阳能路灯",
        problem="胜和路以北三条小巷晚上没有路灯，老人和放学的孩子摔倒过好几次。",
        solution="在三条小巷安装 24 盏太阳能路灯，由社区驿站统一维护。",
        category="public_facility",
        estimated_budget=Decimal("26000.00"),
        beneficiaries="胜和路以北三条小巷的住户",
        beneficiary_count=1800,
    )
    playground = _propose(
        members[1],
        shenghe,
        early,
        title="翻新胜和花园儿童游乐场地面",
        problem="游乐场的塑胶地面开裂翘起，孩子容易绊倒，雨后积水。",
        solution="铲除旧地面，铺设安全地垫并修好排水。",
        category="public_facility",
        estimated_budget=Decimal("18000.00"),
        beneficiaries="胜和花园及周边小区的儿童和家长",
        beneficiary_count=400,
    )
    handrails = _propose(
        volunteer,
        shenghe,
        early,
        title="老旧楼道统一加装扶手",
        problem="胜和一村 12 栋老楼的楼道没有扶手。",
        solution="每栋楼道加装不锈钢扶手。",
        category="house_repair",
        estimated_budget=Decimal("60000.00"),
        beneficiaries="胜和一村老楼住户",
        beneficiary_count=500,
    )
    for proposal in (lights, playground, handrails):
        _support(proposal, [p for p in neighbours if p != proposal.proposed_by][:4], early)

    # --- Consultation 1: a party-mass joint meeting two months ago ------------------------
    first = consultations.consultation_create(
        actor=secretary,
        council=Council.objects.get(community=shenghe),
        form=ConsultationForm.PARTY_MASS,
        title="2026 年第三季度党群联席会议",
        place="胜和社区党群服务中心二楼会议室",
        starts_at=_at(-60, 19, now),
        ends_at=_at(-60, 21, now),
        now=now - timedelta(days=70),
    )
    during = _at(-60, 20, now)
    consultations.attendance_record(
        actor=secretary, consultation=first, members=members, attendance_count=28
    )
    _vote(first, lights, [(m, FOR) for m in members], when=during)
    _vote(first, playground, [(m, FOR) for m in members[:4]] + [(members[4], ABSTAIN)], when=during)
    _vote(
        first,
        handrails,
        [(members[0], FOR), (members[1], AGAINST), (members[2], AGAINST), (members[3], AGAINST)]
        + [(members[4], ABSTAIN)],
        when=during,
        secretary=secretary,
    )
    consultations.consultation_close(
        actor=secretary,
        consultation=first,
        summary="会议讨论了三项居民提议。楼道扶手预算较高，建议先申请旧楼改造专项资金。",
        now=_at(-60, 22, now),
    )

    # --- The two agreed projects: decided, approved by the town, published ----------------
    def decide(proposal: Proposal, meeting, **fields):
        return delivery.project_decide(
            actor=secretary, item=meeting.items.get(proposal=proposal), **fields
        )

    lights_project = decide(
        lights,
        first,
        description="在胜和路以北三条小巷安装 24 盏太阳能路灯，驿站负责日常巡查和维护。",
        beneficiaries="胜和路以北三条小巷的住户",
        beneficiary_count=1800,
        implementer_kind=ImplementerKind.CONTRACTOR,
        implementer_name="东莞市明光照明工程有限公司",
        delivery_way="公开比选施工单位，驿站和议事会成员共同监督施工，完工后议事会验收。",
        lines=[
            LineInput(kind=LineKind.MONEY, description="路灯及安装", target=Decimal("26000.00")),
            LineInput(
                kind=LineKind.SERVICE, description="施工期间志愿者疏导", target=Decimal("16")
            ),
        ],
    )
    playground_project = decide(
        playground,
        first,
        description="铲除开裂的旧地面，铺设 40 块安全地垫，疏通排水沟。",
        beneficiaries="胜和花园及周边小区的儿童和家长",
        beneficiary_count=400,
        implementer_kind=ImplementerKind.STATION,
        station=station,
        delivery_way="驿站组织施工队，志愿者协助，完工后议事会投票验收。",
        lines=[
            LineInput(
                kind=LineKind.MONEY, description="地面铲除和排水", target=Decimal("12000.00")
            ),
            LineInput(kind=LineKind.GOODS, description="安全地垫 1m×1m", target=Decimal("40")),
        ],
    )
    approved_on = _at(-55, 10, now)
    lights_project = delivery.project_approve(
        actor=reviewer, project=lights_project, now=approved_on
    )
    playground_project = delivery.project_approve(
        actor=reviewer, project=playground_project, now=approved_on
    )

    # Funding: the company pays the playground in full and gives the mats; the lights are
    # part funded by the company and a neighbour.
    money, mats = (
        playground_project.listing.lines.get(kind=LineKind.MONEY),
        playground_project.listing.lines.get(kind=LineKind.GOODS),
    )
    gift = market.pledge_create(
        donor=company_admin, line=money, quantity=money.target, organisation=company
    )
    _pay(gift, confirmer=reviewer, receipt="ICBC-PROJECT-0001")
    mats_gift = market.pledge_create(
        donor=company_admin, line=mats, quantity=mats.target, organisation=company
    )
    market.pledge_confirm(pledge=mats_gift, actor=staff)
    lights_money = lights_project.listing.lines.get(kind=LineKind.MONEY)
    gift = market.pledge_create(
        donor=company_admin, line=lights_money, quantity=Decimal("10000.00"), organisation=company
    )
    _pay(gift, confirmer=reviewer, receipt="ICBC-PROJECT-0002")
    gift = market.pledge_create(donor=donor, line=lights_money, quantity=Decimal("2000.00"))
    _pay(gift, confirmer=reviewer, receipt="ICBC-PROJECT-0003")

    # Progress.
    delivery.progress_post(
        actor=staff,
        project=playground_project,
        body="旧地面已铲除，排水沟疏通完毕。",
        percent=50,
        milestone="旧地面铲除",
        now=_at(-40, 16, now),
    )
    delivery.progress_post(
        actor=staff,
        project=playground_project,
        body="40 块安全地垫全部铺设完成，周边护栏重新刷漆。",
        percent=100,
        milestone="地垫铺设完成",
        now=_at(-12, 17, now),
    )
    delivery.progress_post(
        actor=secretary,
        project=lights_project,
        body="完成三条小巷的选址和电缆预埋，首批 10 盏灯已到货。",
        percent=40,
        milestone="选址和预埋完成",
        now=_at(-20, 11, now),
    )

    # --- More proposals, a month ago -------------------------------------------------------
    later = now - timedelta(days=30)
    court = _propose(
        members[3],
        shenghe,
        later,
        title="修补篮球场破损围网",
        problem="篮球场围网多处破洞，球经常滚到马路上。",
        solution="更换破损的围网并加固立柱。",
        category="public_facility",
        estimated_budget=Decimal("9000.00"),
        beneficiaries="在球场运动的青少年和居民",
        beneficiary_count=300,
    )
    summer = _propose(
        resident,
        shenghe,
        later,
        title="双职工家庭子女暑期托管班",
        problem="暑假期间不少孩子白天独自在家。",
        solution="在驿站开设为期六周的暑期托管班，由志愿者辅导功课。",
        category="service_youth",
        estimated_budget=Decimal("15000.00"),
        beneficiaries="社区双职工家庭的小学生",
        beneficiary_count=40,
    )
    for proposal in (court, summer):
        _support(proposal, [p for p in neighbours if p != proposal.proposed_by][:4], later)

    # --- Consultation 2: online, last week; the playground is accepted there ---------------
    second = consultations.consultation_create(
        actor=secretary,
        council=Council.objects.get(community=shenghe),
        form=ConsultationForm.ONLINE,
        title="2026 年 11 月网上协商",
        place="邻里平台网上协商",
        starts_at=_at(-7, 9, now),
        ends_at=_at(-4, 21, now),
        now=now - timedelta(days=10),
    )
    consultations.agenda_add(
        actor=secretary,
        consultation=second,
        proposal=playground,
        kind=ItemKind.ACCEPTANCE,
        now=now - timedelta(days=10),
    )
    during = _at(-6, 20, now)
    acceptance = second.items.get(proposal=playground, kind=ItemKind.ACCEPTANCE)
    for member in members[:4]:
        consultations.vote_cast(actor=member, item=acceptance, choice=FOR, now=during)
    _vote(second, court, [(m, FOR) for m in members[:3]] + [(members[3], AGAINST)], when=during)
    # Only two of five vote on the summer club: no quorum; it waits for the next meeting.
    _vote(second, summer, [(members[0], FOR), (members[1], FOR)], when=during)
    consultations.consultation_close(
        actor=secretary,
        consultation=second,
        summary="议事会成员在线查看了游乐场完工照片并投票验收。",
        now=_at(-3, 9, now),
    )
    delivery.project_decide(
        actor=secretary,
        item=second.items.get(proposal=court, kind=ItemKind.DECISION),
        description="更换 60 米破损围网，加固 8 根立柱。",
        beneficiaries="在球场运动的青少年和居民",
        beneficiary_count=300,
        implementer_kind=ImplementerKind.VOLUNTEERS,
        implementer_name="胜和社区志愿服务队",
        delivery_way="材料由捐赠解决，志愿服务队周末施工。",
        lines=[
            LineInput(kind=LineKind.MONEY, description="围网和立柱材料", target=Decimal("7500.00")),
            LineInput(kind=LineKind.SERVICE, description="志愿者施工", target=Decimal("24")),
        ],
    )

    # Three beneficiaries rate the playground: two by the survey link, one at a visit.
    playground_project.refresh_from_db()
    links = delivery.project_survey_send(
        actor=staff,
        project=playground_project,
        channel=LinkChannel.SMS,
        addresses=["+8613800000001", "+8613800000002", "+8613800000003"],
        language="zh-hans",
    )
    feedback.respond(token=links[0].raw_token, received=True, score=5, comment="孩子们很喜欢")
    feedback.respond(token=links[1].raw_token, received=True, score=4, comment="排水好多了")
    delivery.project_rating_record(
        actor=staff,
        project=playground_project,
        score=5,
        comment="每天傍晚都带孙子来玩",
        channel=RatingChannel.FOLLOW_UP_VISIT,
    )

    # --- Now: proposals still on their way --------------------------------------------------
    recent = now - timedelta(days=6)
    meals = _propose(
        members[2],
        shenghe,
        recent,
        title="独居长者每周两次送餐上门",
        problem="社区有 30 多位独居长者行动不便，吃饭成问题。",
        solution="与长者饭堂合作，每周二、五由志愿者送餐上门。",
        category="service_elderly",
        estimated_budget=Decimal("20000.00"),
        beneficiaries="社区独居长者",
        beneficiary_count=32,
    )
    _support(meals, [resident, donor, volunteer, members[1]], recent)
    sorting = _propose(
        volunteer,
        shenghe,
        recent,
        title="改造垃圾分类投放亭",
        problem="投放亭没有洗手池，夜间照明不足。",
        solution="加装洗手池和感应灯。",
        category="environment",
        estimated_budget=Decimal("6000.00"),
        beneficiaries="胜和二村住户",
        beneficiary_count=900,
    )
    _support(sorting, [resident], recent)
    shelter = _propose(
        donor,
        shenghe,
        recent,
        title="垃圾投放亭加装遮雨棚",
        problem="下雨天倒垃圾会淋湿。",
        solution="在投放亭上方加装遮雨棚。",
        category="environment",
        estimated_budget=Decimal("3000.00"),
        beneficiaries="胜和二村住户",
        beneficiary_count=900,
    )
    proposals.proposal_merge(
        actor=secretary, proposal=shelter, into=sorting, reason="同一个投放亭，合并为一个提议"
    )
    parking = _propose(
        resident,
        shenghe,
        recent,
        title="小区停车位重新划线",
        problem="停车位划线模糊。",
        solution="重新划线。",
        category="other",
        estimated_budget=Decimal("2000.00"),
        beneficiaries="小区车主",
        beneficiary_count=120,
    )
    proposals.proposal_withdraw(
        actor=resident, proposal=parking, reason="物业已答应自行处理，撤回提议"
    )

    # --- Consultation 3: next week, its agenda drawn from the tabled proposals ------------
    consultations.consultation_create(
        actor=secretary,
        council=Council.objects.get(community=shenghe),
        form=ConsultationForm.RESIDENTS_COUNCIL,
        title="2026 年 12 月居民议事会",
        place="胜和社区居委会一楼议事厅",
        starts_at=_at(7, 19, now),
        ends_at=_at(7, 21, now),
    )
    return True
