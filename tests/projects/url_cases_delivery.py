"""The projects app's delivery URLs in the permission matrix (``tests/test_urls.py``)."""

from typing import Any

MATRIX: dict[str, str] = {
    "projects:list": "public",
    "projects:detail": "public",  # approved projects only; people appear as counts
    "projects:for_listing": "public",  # a redirect from a project's listing to its page
    # The council's secretary: the decision, its state, its revision
    "projects:decide": "scoped",
    "projects:decided": "scoped",
    "projects:revise": "scoped",
    # Town reviewers of the area
    "projects:review_queue": "scoped",
    "projects:review": "scoped",
    "projects:approve": "scoped",
    "projects:send_back": "scoped",
    "projects:cancel": "scoped",
    # Station staff of the community (progress also the council's secretary)
    "projects:manage": "scoped",
    "projects:progress_post": "scoped",
    "projects:accept": "scoped",
    "projects:survey_send": "scoped",
    "projects:rating_record": "scoped",
}


def world(city, make_user, councils) -> dict[str, Any]:
    """A passed decision item, projects awaiting review, sent back, approved, funded and
    accepted, all in the north community."""
    from projects.services import delivery
    from tests.projects.delivery_fixtures import approved, decide, funded, passed_item

    donor = make_user(email="delivery.donor@example.org")
    sent_back = decide(councils, city)
    delivery.project_send_back(actor=councils.reviewer, project=sent_back, reason="细化预算")
    accepted = []
    for _ in range(2):
        project = funded(councils, city, donor)
        delivery.project_accept_record(actor=councils.station, project=project, note="合格")
        accepted.append(project)
    return {
        "delivery_item": passed_item(councils),
        "delivery_submitted": {
            name: decide(councils, city) for name in ("review", "approve", "back")
        },
        "delivery_sent_back": sent_back,
        "delivery_to_cancel": approved(councils, city),
        "delivery_running": approved(councils, city),
        "delivery_funded": funded(councils, city, donor),
        "delivery_accepted": accepted,
    }


def cases(w) -> list:
    from tests.test_urls import Case

    c = w["councils"]
    secretary, south_secretary = c.secretary, c.south_members[0]
    reviewer, south_reviewer = c.reviewer, c.south_reviewer
    station, south_station = c.station, c.south_station
    submitted = w["delivery_submitted"]
    running, funded = w["delivery_running"], w["delivery_funded"]
    first, second = w["delivery_accepted"]
    return [
        Case(
            "projects:decide",
            {"pk": w["delivery_item"].pk},
            allowed=secretary,
            wrong=south_secretary,
        ),
        Case(
            "projects:decided",
            {"pk": w["delivery_sent_back"].pk},
            allowed=secretary,
            wrong=south_secretary,
        ),
        Case(
            "projects:revise",
            {"pk": w["delivery_sent_back"].pk},
            allowed=secretary,
            wrong=c.members[1],
        ),
        Case("projects:review_queue", {}, allowed=reviewer, wrong=station),
        Case(
            "projects:review",
            {"pk": submitted["review"].pk},
            allowed=reviewer,
            wrong=south_reviewer,
        ),
        Case(
            "projects:approve",
            {"pk": submitted["approve"].pk},
            allowed=reviewer,
            wrong=south_reviewer,
            method="post",
            ok=302,
        ),
        Case(
            "projects:send_back",
            {"pk": submitted["back"].pk},
            allowed=reviewer,
            wrong=south_reviewer,
            method="post",
            ok=302,
            data={"reason": "请补充受益人数"},
        ),
        Case(
            "projects:cancel",
            {"pk": w["delivery_to_cancel"].pk},
            allowed=reviewer,
            wrong=south_reviewer,
            method="post",
            ok=302,
            data={"reason": "场地拆迁"},
        ),
        Case("projects:manage", {"pk": running.pk}, allowed=station, wrong=south_station),
        Case(
            "projects:progress_post",
            {"pk": running.pk},
            allowed=secretary,
            wrong=south_station,
            method="post",
            ok=302,
            data={"body": "材料到了", "percent": "10"},
        ),
        Case(
            "projects:accept",
            {"pk": funded.pk},
            allowed=station,
            wrong=south_station,
            method="post",
            ok=302,
            data={"note": "验收合格"},
        ),
        Case(
            "projects:survey_send",
            {"pk": first.pk},
            allowed=station,
            wrong=south_station,
            method="post",
            ok=302,
            data={"channel": "sms", "addresses": "13800138000"},
        ),
        Case(
            "projects:rating_record",
            {"pk": second.pk},
            allowed=station,
            wrong=south_station,
            method="post",
            ok=302,
            data={"score": "5", "received": "on", "channel": "phone"},
        ),
    ]


def signed_in_cases(w) -> list:
    """No page of this part is open to any signed-in user."""
    return []
