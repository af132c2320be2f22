"""The projects app's proposals URLs in the permission matrix (``tests/test_urls.py``).

``signed_in_cases`` lists the signed-in URLs (anonymous → sign in; any signed-in user is
served) for ``test_signed_in_urls_send_anonymous_to_login_and_serve_users`` to walk.
"""

from typing import Any

MATRIX: dict[str, str] = {
    "projects:proposals": "public",
    "projects:proposal": "public",
    "projects:photo": "public",  # not hidden; the uploader confirmed no personal data
    "projects:proposal_create": "signed_in",
    "projects:proposal_support": "signed_in",  # POST
    "projects:proposal_unsupport": "signed_in",  # POST
    "projects:proposal_table": "scoped",
    "projects:proposal_merge": "scoped",
    "projects:proposal_withdraw": "scoped",
    "projects:photo_hide": "scoped",  # POST; council members, station staff, reviewers
}


def world(city, make_user, councils) -> dict[str, Any]:
    """Open north proposals to table, merge (one into another) and withdraw, and one to
    support, each made by the council's resident."""
    from projects.services.photos import photo_add
    from tests.projects.proposals_fixtures import propose
    from tests.stations.conftest import jpeg_bytes, upload

    def proposal(title: str):
        return propose(councils.resident, city.north_a, title=title)

    with_photo = proposal("有照片")
    photo = photo_add(
        actor=councils.resident,
        proposal=with_photo,
        upload=upload(jpeg_bytes()),
        no_personal_data=True,
    )
    return {
        "proposal_photo": photo,
        "proposal_to_table": proposal("待提交议事"),
        "proposal_to_merge": proposal("待合并"),
        "proposal_merge_into": proposal("合并目标"),
        "proposal_to_withdraw": proposal("待撤回"),
        "proposal_to_support": proposal("待支持"),
    }


def cases(w) -> list:
    from tests.test_urls import Case

    councils = w["councils"]
    member, south = councils.members[1], councils.south_members[0]
    return [
        Case(
            "projects:proposal_table",
            {"reference": w["proposal_to_table"].reference},
            allowed=member,
            wrong=south,
            method="post",
            ok=302,
        ),
        Case(
            "projects:proposal_merge",
            {"reference": w["proposal_to_merge"].reference},
            allowed=member,
            wrong=south,
            method="post",
            ok=302,
            data={"merge-into": w["proposal_merge_into"].reference, "merge-reason": "同一件事"},
        ),
        Case(
            "projects:proposal_withdraw",
            {"reference": w["proposal_to_withdraw"].reference},
            allowed=member,
            wrong=south,
            method="post",
            ok=302,
            data={"withdraw-reason": "物业已修好"},
        ),
        Case(
            "projects:photo_hide",
            {"token": w["proposal_photo"].token},
            allowed=councils.station,
            wrong=councils.south_station,
            method="post",
            ok=302,
            data={"reason": "照片里有门牌号"},
        ),
    ]


def signed_in_cases(w) -> list:
    """(name, kwargs, method, data, status for a signed-in user) of the signed-in URLs."""
    reference = {"reference": w["proposal_to_support"].reference}
    return [
        ("projects:proposal_create", {}, "get", None, 200),
        ("projects:proposal_support", reference, "post", {"lives_here": "on"}, 302),
        ("projects:proposal_unsupport", reference, "post", None, 302),
    ]
