"""The projects app's consultations URLs in the permission matrix (``tests/test_urls.py``).

The cases run on a council of their own (the north_b community's), so that meetings the
other parts' worlds call on the north council cannot take these proposals.
"""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.roles import Role

MATRIX: dict[str, str] = {
    "projects:consultations": "public",
    "projects:consultation": "public",
    "projects:ballot": "scoped",  # members of the meeting's council
    "projects:council": "scoped",  # members, secretaries and station staff of a council
    "projects:consultation_create": "scoped",
    "projects:consultation_manage": "scoped",  # whoever keeps the minutes
    "projects:agenda_add": "scoped",
    "projects:agenda_remove": "scoped",
    "projects:attendance": "scoped",
    "projects:vote_record": "scoped",
    "projects:consultation_close": "scoped",
    "projects:consultation_cancel": "scoped",
}


def world(city, make_user, councils) -> dict[str, Any]:
    from projects.models import Council
    from projects.services import consultations as services
    from projects.services import proposals
    from tests.projects.proposals_fixtures import propose

    members = [
        make_user(Role.COUNCIL_MEMBER, city.north_b, email=f"cons.member{i}@example.org")
        for i in range(3)
    ]
    council = Council.objects.create(
        community=city.north_b, name="北二社区居民议事会", secretary=members[0]
    )
    now = timezone.now()
    hour = timedelta(hours=1)

    def tabled(title):
        proposal = propose(members[1], city.north_b, title=title)
        proposals.proposal_table(actor=members[1], proposal=proposal)
        return proposal

    def call(starts, ends, title):
        return services.consultation_create(
            actor=members[0],
            council=council,
            form="residents_council",
            title=title,
            place="北二社区活动室",
            starts_at=starts,
            ends_at=ends,
            now=starts - hour,
        )

    voted = tabled("小广场路灯")
    open_meeting = call(now - hour, now + hour, "路灯议事会")  # takes the tabled proposal
    ended = call(now - 3 * hour, now - 2 * hour, "上周议事会")
    upcoming = call(now + 24 * hour, now + 26 * hour, "下周议事会")
    kept, removed = tabled("健身器材"), tabled("垃圾分类亭")  # both go on the upcoming one
    to_cancel = call(now + 48 * hour, now + 50 * hour, "待取消的议事会")
    # Taken off again: tabled and waiting, for the case that adds it back.
    services.agenda_remove(actor=members[0], item=upcoming.items.get(proposal=kept))
    return {
        "cons_members": members,
        "cons_council": council,
        "cons_open": open_meeting,
        "cons_open_item": open_meeting.items.get(proposal=voted),
        "cons_ended": ended,
        "cons_upcoming": upcoming,
        "cons_kept": kept,
        "cons_removed_item": upcoming.items.get(proposal=removed),
        "cons_to_cancel": to_cancel,
    }


def cases(w) -> list:
    from tests.test_urls import Case

    members, north = w["cons_members"], w["councils"]
    secretary, member = members[0], members[1]
    wrong_member = north.members[1]  # a member of another council
    wrong_secretary = north.secretary
    open_meeting = w["cons_open"]

    def post(name, pk, data=None):
        return Case(
            name,
            {"pk": pk},
            allowed=secretary,
            wrong=wrong_secretary,
            method="post",
            ok=302,
            data=data,
        )

    return [
        Case("projects:ballot", {"pk": open_meeting.pk}, allowed=member, wrong=wrong_member),
        Case("projects:council", {}, allowed=member, wrong=north.resident),
        Case(
            "projects:consultation_create",
            {"pk": w["cons_council"].pk},
            allowed=member,
            wrong=wrong_member,
        ),
        Case(
            "projects:consultation_manage",
            {"pk": open_meeting.pk},
            allowed=secretary,
            wrong=wrong_secretary,
        ),
        post(
            "projects:agenda_add",
            w["cons_upcoming"].pk,
            {"proposal": w["cons_kept"].pk, "kind": "decision"},
        ),
        post("projects:agenda_remove", w["cons_removed_item"].pk),
        post(
            "projects:attendance",
            open_meeting.pk,
            {"members": [members[1].pk, members[2].pk], "attendance_count": "12"},
        ),
        post(
            "projects:vote_record",
            open_meeting.pk,
            {
                "item": w["cons_open_item"].pk,
                "member": members[2].pk,
                "choice": "for",
                "channel": "hands",
            },
        ),
        post("projects:consultation_close", w["cons_ended"].pk, {"summary": ""}),
        post("projects:consultation_cancel", w["cons_to_cancel"].pk, {"reason": "场地不可用"}),
    ]


def signed_in_cases(w) -> list:
    """No page of this part is open to any signed-in user."""
    return []
