"""Demo wishes for ``seed_demo``: realistic needs in every status, in 南城街道 (Nancheng).

Every step goes through the services, so the demo has the same audit trail, scores,
deadlines and messages as real use. The people are fictional and look it: names use 某 (the
usual placeholder), ID numbers start with 99 (no such province), phones are 138 0013 80xx
and addresses say 演示 (demo).

Places: 元美社区 has a station (``station.staff@linli.local``); 石鼓社区 has none, so the
Yuanmei station serves it; 胜和社区 has its own station. The town reviewer
(``town.reviewer@linli.local``) reviews them all.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Region, Station, User
from wishes import services
from wishes.models import Route, Status, Wish
from wishes.selectors import duplicates_of
from wishes.services import NeedLine

STAFF = "station.staff@linli.local"
REVIEWER = "town.reviewer@linli.local"
RESIDENT = "resident@linli.local"
DONOR = "donor@linli.local"

# The same (fictional) person appears in two households: a duplicate-aid warning shows.
SHARED_ID = "990101195204180031"


def _money(amount: str) -> NeedLine:
    return NeedLine(kind="money", amount=Decimal(amount))


def _goods(item: str, quantity: int, specification: str = "") -> NeedLine:
    return NeedLine(kind="goods", item=item, quantity=quantity, specification=specification)


def _service(skill: str, hours: str) -> NeedLine:
    return NeedLine(kind="service", skill=skill, hours=Decimal(hours))


@dataclass
class Demo:
    """One demo wish: who, what, and how far it has come."""

    status: str
    community: str  # region code
    household: dict[str, Any]
    title: str
    story: str
    category: str
    urgency: str
    needs: list[NeedLine]
    channel: str = "hotline"
    route: str = ""
    express_amount: str | None = None
    policy_department: str = ""
    notes: str = "入户核实：家庭情况与申请一致，已查看相关证明材料。"
    reason: str = ""  # the reviewer's reason, or the rejection / withdrawal reason
    objection: str = ""  # filed during the notice period
    objection_outcome: str = ""  # "", "dismissed" or "upheld"
    policy_answer: str = ""
    aid: list[tuple[int, str, str, str]] = field(default_factory=list)  # days ago, ¥, source, what
    refer_to: str = ""  # community code of another station


def _household(n: int, **fields: Any) -> dict[str, Any]:
    """Fictional personal data for demo household *n*, with the hardship facts given."""
    return {
        "id_number": f"99010119500101{n:03d}X",
        "phone": "",
        "address": f"演示路 {n} 号（演示地址）",
        "member_count": 1,
        "monthly_income_per_person": Decimal("900.00"),
        **fields,
    }


DEMOS = [
    Demo(
        status=Status.SUBMITTED,
        community="dg-nc-ym",
        household=_household(
            1,
            head_name="赵某兰（演示）",
            member_count=2,
            monthly_income_per_person=Decimal("1100.00"),
            child_dependants=1,
        ),
        title="留守儿童下学期的学杂费",
        story="孩子父母在外地打工，收入不稳定，由奶奶照顾。下学期的学杂费和校服费还差一部分，希望得到帮助。",
        category="education",
        urgency="normal",
        needs=[_money("1800.00"), _goods("校服", 2, "身高 140 cm")],
        channel="web",
    ),
    Demo(
        status=Status.ACCEPTED,
        community="dg-nc-ym",
        household=_household(
            2,
            head_name="陈某英（演示）",
            phone="+8613800138001",
            monthly_income_per_person=Decimal("700.00"),
            disability_grade=3,
        ),
        title="为独居老人添置一台轮椅",
        story="老人今年八十二岁，独自居住，腿脚不便，去医院复诊要靠邻居搀扶。希望有一台轻便的折叠轮椅。",
        category="elder_care",
        urgency="urgent",
        needs=[_goods("轮椅", 1, "轻便折叠式，带刹车")],
    ),
    Demo(
        status=Status.ACCEPTED,
        community="dg-nc-ym",
        household=_household(
            3, head_name="黄某强（演示）", monthly_income_per_person=Decimal("1000.00")
        ),
        title="搬家后需要继续跟进的助餐需求",
        story="老人行动不便，每天做饭困难，希望社区长者饭堂能送餐上门。家属已帮老人搬到胜和社区居住。",
        category="daily_living",
        urgency="normal",
        needs=[_service("送餐上门", "60")],
        refer_to="dg-nc-sh",
        reason="申请人已搬到胜和社区居住，转胜和社区驿站跟进。",
    ),
    Demo(
        status=Status.VERIFIED,
        community="dg-nc-sg",
        household=_household(
            4,
            head_name="林某生（演示）",
            id_number=SHARED_ID,
            member_count=3,
            monthly_income_per_person=Decimal("650.00"),
            serious_illness=True,
            elderly_dependants=1,
        ),
        title="术后医疗费用缺口",
        story="家中主要劳动力做了心脏搭桥手术，医保报销后仍有一部分自付费用，家里积蓄已经用完。",
        category="medical",
        urgency="urgent",
        needs=[_money("8500.00")],
        channel="home_visit",
    ),
    Demo(
        status=Status.VERIFIED,
        community="dg-nc-ym",
        household=_household(
            5,
            head_name="吴某芳（演示）",
            member_count=3,
            monthly_income_per_person=Decimal("500.00"),
            child_dependants=2,
        ),
        title="失业母亲参加育婴师技能培训",
        story="单亲妈妈，原工厂停工后一直没有稳定工作。想参加育婴师培训并考取证书，需要培训费和培训期间的托管帮助。",
        category="employment",
        urgency="normal",
        needs=[_money("2600.00"), _service("培训期间儿童托管", "40")],
        channel="grid_worker",
    ),
    Demo(
        status=Status.REFERRED,
        community="dg-nc-ym",
        household=_household(
            6,
            head_name="周某福（演示）",
            monthly_income_per_person=Decimal("300.00"),
            disability_grade=2,
            housing="poor",
        ),
        title="无收入独居老人的基本生活保障",
        story="老人无子女、无固定收入，靠邻居接济生活。经核实符合特困人员供养条件，需要民政部门办理。",
        category="daily_living",
        urgency="urgent",
        needs=[_money("1330.00")],
        channel="grid_worker",
        route=Route.POLICY,
        policy_department="南城街道社会事务办（民政）",
        reason="符合特困人员供养政策，转民政部门办理。",
    ),
    Demo(
        status=Status.NOTICE,
        community="dg-nc-ym",
        household=_household(
            7,
            head_name="梁某华（演示）",
            member_count=4,
            monthly_income_per_person=Decimal("800.00"),
            housing="dangerous",
            elderly_dependants=2,
            child_dependants=1,
            disaster_loss=Decimal("4500.00"),
        ),
        title="台风过后修缮漏雨的屋顶",
        story="上个月台风吹翻了部分瓦片，雨天屋内漏水严重，一家四口只能挤在一个房间。需要请人修缮屋顶并更换瓦片。",
        category="housing",
        urgency="urgent",
        needs=[_money("6000.00"), _service("屋面修缮", "16")],
        channel="home_visit",
        route=Route.DIRECT,
        reason="房屋受损情况属实，适合社会力量认领。",
        objection="听说这户人家已经拿到了保险理赔，请核实是否重复救助。",
    ),
    Demo(
        status=Status.NOTICE,
        community="dg-nc-sg",
        household=_household(
            8,
            head_name="何某玲（演示）",
            member_count=3,
            monthly_income_per_person=Decimal("750.00"),
            disabled_dependants=1,
            child_dependants=1,
        ),
        title="为听障儿童配一副助听器",
        story="孩子七岁，双耳中度听力损失，医院建议尽快佩戴助听器以免影响语言发育。家里负担不起。",
        category="medical",
        urgency="normal",
        needs=[_goods("助听器", 1, "儿童双耳数字助听器，按医院验配单")],
        route=Route.DIRECT,
        reason="经医院验配确认，适合社会认领。",
    ),
    Demo(
        status=Status.PUBLISHED,
        community="dg-nc-ym",
        household=_household(
            9,
            head_name="刘某梅（演示）",
            member_count=2,
            monthly_income_per_person=Decimal("600.00"),
            child_dependants=1,
        ),
        title="留守儿童的学费和学习用品",
        story="孩子父母长期在外务工，由外婆抚养。外婆年纪大、收入低，孩子下学期的学费和学习用品需要帮助。",
        category="education",
        urgency="normal",
        needs=[_money("2400.00"), _goods("书包和文具", 1, "小学四年级")],
        route=Route.DIRECT,
        reason="情况属实，发布供爱心企业认领。",
        objection="这家人好像有车，是否真的困难？",
        objection_outcome="dismissed",
        aid=[(120, "500.00", "government", "春季学期教育资助")],
    ),
    Demo(
        status=Status.PUBLISHED,
        community="dg-nc-sg",
        household=_household(
            10,
            head_name="罗某明（演示）",
            member_count=3,
            monthly_income_per_person=Decimal("400.00"),
            housing="none",
            disaster_loss=Decimal("12000.00"),
            child_dependants=1,
        ),
        title="火灾后急需的生活物资和过渡租房",
        story="出租屋因电线老化失火，衣物和家具全部烧毁，一家三口暂住亲戚家。急需基本生活用品和一个月的过渡房租。",
        category="daily_living",
        urgency="emergency",
        needs=[_money("2000.00"), _goods("被褥和日用品", 3, "三人份")],
        route=Route.EXPRESS,
        express_amount="2000.00",
        reason="突发火灾，走速递通道由专项资金先行解决。",
    ),
    Demo(
        status=Status.STATION_SERVICE,
        community="dg-nc-ym",
        household=_household(
            11,
            head_name="孙某娟（演示）",
            phone="+8613800138011",
            member_count=2,
            monthly_income_per_person=Decimal("1200.00"),
        ),
        title="失去孩子的母亲需要心理疏导",
        story="年初孩子因病去世，母亲长期失眠、不愿出门。家属希望有专业心理咨询师定期上门陪伴疏导。",
        category="psychological",
        urgency="urgent",
        needs=[_service("心理咨询", "12")],
        channel="walk_in",
        route=Route.STATION,
        reason="由驿站社工联系心理咨询师上门服务。",
    ),
    Demo(
        status=Status.STATION_SERVICE,
        community="dg-nc-ym",
        household=_household(
            12,
            head_name="马某德（演示）",
            member_count=2,
            monthly_income_per_person=Decimal("850.00"),
            serious_illness=True,
            elderly_dependants=1,
        ),
        title="晚期肿瘤老人的居家安宁疗护",
        story="老人肺癌晚期，希望在家中度过最后的时光。老伴年迈，需要专业人员上门做疼痛护理和陪伴。",
        category="hospice",
        urgency="emergency",
        needs=[_service("安宁疗护上门护理", "30"), _goods("护理床", 1, "电动，带防褥疮床垫")],
        channel="consultation",
        route=Route.STATION,
        reason="驿站联合社区卫生服务中心安排上门安宁疗护。",
    ),
    Demo(
        status=Status.RESOLVED,
        community="dg-nc-ym",
        household=_household(
            13,
            head_name="郑某军（演示）",
            member_count=4,
            monthly_income_per_person=Decimal("900.00"),
            child_dependants=2,
        ),
        title="农民工追讨被拖欠的工资",
        story="在工地干了八个月，老板拖欠工资两万多元，多次讨要无果。家中两个孩子要上学，希望得到法律援助。",
        category="rights",
        urgency="urgent",
        needs=[_service("法律援助", "10")],
        channel="hotline",
        route=Route.POLICY,
        policy_department="南城街道劳动监察中队、法律援助工作站",
        reason="属于劳动保障监察和法律援助范围。",
        policy_answer="已立案督办，施工单位已支付拖欠工资 21,600 元，法律援助工作站跟进结案。",
    ),
    Demo(
        status=Status.REJECTED,
        community="dg-nc-sg",
        household=_household(
            14,
            head_name="钱某（演示）",
            member_count=3,
            monthly_income_per_person=Decimal("4200.00"),
        ),
        title="更换一部新手机",
        story="手机屏幕摔坏了，孩子上网课不方便，想换一部新手机。",
        category="other",
        urgency="normal",
        needs=[_money("3000.00")],
        channel="wechat",
        reason="家庭人均收入远高于低保标准，且有稳定工作，不属于困难救助范围。建议自行解决。",
    ),
    Demo(
        status=Status.WITHDRAWN,
        community="dg-nc-ym",
        household=_household(15, head_name="冯某珍（演示）", disability_grade=4),
        title="老人助行器",
        story="老人走路不稳，需要一个带轮子的助行器。",
        category="elder_care",
        urgency="normal",
        needs=[_goods("助行器", 1, "四轮带座椅")],
        reason="家属已自行购买，申请人要求撤回。",
    ),
    Demo(
        status=Status.WITHDRAWN,
        community="dg-nc-sg",
        household=_household(
            16,
            head_name="林某生之女（演示）",
            id_number=SHARED_ID,
            member_count=2,
            monthly_income_per_person=Decimal("1000.00"),
        ),
        title="父亲住院期间的护工费用",
        story="父亲住院期间需要护工照顾，子女都要上班，希望资助部分护工费。",
        category="medical",
        urgency="urgent",
        needs=[_money("3000.00")],
        route=Route.DIRECT,
        reason="同意发布。",
        objection="同一位老人在石鼓社区已经有医疗费用心愿，并且已获慈善会资助，属于重复申请。",
        objection_outcome="upheld",
        aid=[(60, "3000.00", "charity", "市慈善会大病救助金")],
    ),
]


def _user(email: str) -> User:
    return User.objects.get(email=email)


def demo_people() -> dict[str, User]:
    """The demo's station staff, town reviewer, resident and donor, as ``_run`` takes them."""
    return {
        "staff": _user(STAFF),
        "reviewer": _user(REVIEWER),
        "resident": _user(RESIDENT),
        "donor": _user(DONOR),
    }


def _run(demo: Demo, *, staff: User, reviewer: User, resident: User, donor: User) -> Wish:
    community = Region.objects.get(code=demo.community)
    online = demo.status == Status.SUBMITTED
    household_actor = resident if online else staff
    fields = {"community": community, **demo.household}
    # A person may already be on file in another household (the shared ID): that is the
    # duplicate the reviewer is warned about, not a reason to skip them here.
    household = services.household_create(
        actor=household_actor, consent=True, consent_note="签署书面同意书（演示）", **fields
    )
    common = {
        "household": household,
        "title": demo.title,
        "story": demo.story,
        "category": demo.category,
        "urgency": demo.urgency,
        "needs": demo.needs,
    }
    if online:
        return services.wish_submit(user=resident, **common)
    wish = services.wish_intake(actor=staff, channel=demo.channel, **common)
    for days_ago, value, source, description in demo.aid:
        # Aid received before this wish: recorded by the town, which sees the whole town.
        services.aid_record(
            actor=reviewer,
            household=household,
            received_on=timezone.localdate() - timedelta(days=days_ago),
            value=Decimal(value),
            source=source,
            description=description,
        )
    if demo.refer_to:
        services.wish_refer(
            actor=staff,
            wish=wish,
            to_station=Station.objects.filter(community__code=demo.refer_to).get(),
            reason=demo.reason,
        )
        return wish
    if demo.status == Status.ACCEPTED:
        return wish
    if demo.status == Status.WITHDRAWN and not demo.route:
        return services.wish_withdraw(actor=staff, wish=wish, reason=demo.reason)
    wish = services.wish_verify(
        actor=staff,
        wish=wish,
        visited_on=timezone.localdate() - timedelta(days=1),
        notes=demo.notes,
    )
    if demo.status == Status.VERIFIED:
        return wish
    if demo.status == Status.REJECTED:
        return services.wish_reject(actor=reviewer, wish=wish, reason=demo.reason)
    duplicate_reason = (
        "同一人另有心愿或救助记录，经复核本次需求不同，同意继续办理。"
        if duplicates_of(wish).any()
        else ""
    )
    wish = services.wish_approve(
        actor=reviewer,
        wish=wish,
        route=demo.route,
        reason=demo.reason,
        duplicate_reason=duplicate_reason,
        express_amount=Decimal(demo.express_amount) if demo.express_amount else None,
        policy_department=demo.policy_department,
        policy_due_on=(timezone.localdate() + timedelta(days=15))
        if demo.route == Route.POLICY
        else None,
    )
    if demo.objection:
        objection = services.objection_file(
            user=donor if demo.status == Status.NOTICE else resident, wish=wish, text=demo.objection
        )
        if demo.objection_outcome:
            services.objection_decide(
                actor=reviewer,
                objection=objection,
                uphold=demo.objection_outcome == "upheld",
                reason=(
                    "经核实属重复申请，撤回本心愿。"
                    if demo.objection_outcome == "upheld"
                    else "经入户核实，车辆为亲属所有，家庭确有困难，异议不成立。"
                ),
            )
    if demo.status == Status.PUBLISHED:
        # The demo cannot wait five days: let its notice have ended an hour ago (demo data
        # only), then publish it as the periodic task would.
        ended = timezone.now() - timedelta(hours=1)
        Wish.objects.filter(pk=wish.pk).update(
            notice_ends_at=ended, reviewed_at=ended - timedelta(days=settings.WISH_NOTICE_DAYS)
        )
        wish.refresh_from_db()
        services.wish_publish(wish=wish)
    if demo.status == Status.RESOLVED:
        services.policy_answer(actor=staff, wish=wish, answer=demo.policy_answer)
    wish.refresh_from_db()
    return wish


def seed_wishes() -> int:
    """Load the demo wishes, once. Returns how many were made (0 if wishes already exist)."""
    if Wish.objects.exists():
        return 0
    people = demo_people()
    with transaction.atomic():
        services.formula_current()  # version 1, published with the platform
        wishes = [_run(demo, **people) for demo in DEMOS]
    return len(wishes)
