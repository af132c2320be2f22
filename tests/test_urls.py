"""The URL permission matrix: every URL pattern is classified, and protected ones are walked.

A new URL that is not listed here fails ``test_every_url_is_classified``: decide who may
see it, add it to the matrix, and the walk tests then check that decision.
"""

from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation

from accounts import services
from accounts.models import Membership
from accounts.roles import Role

PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = "signed_in"  # any signed-in user; anonymous is sent to the login page
SCOPED = "scoped"  # signed in and the right role/area/owner; others get 404
STAFF = "staff"  # the Django and Wagtail admins: is_staff users only

# Our own and the libraries' named URLs, one decision each.
MATRIX: dict[str, str] = {
    # Operations and language
    "healthz": PUBLIC,
    "set_language": PUBLIC,
    # Editorial pages (Wagtail) and their documents
    "wagtail_serve": PUBLIC,
    "wagtailcore_authenticate_with_password": PUBLIC,
    "wagtailcore_login": PUBLIC,
    "wagtaildocs_serve": PUBLIC,
    "wagtaildocs_authenticate_with_password": PUBLIC,
    # allauth
    "account_login": PUBLIC,
    "account_logout": PUBLIC,
    "account_inactive": PUBLIC,
    "account_signup": PUBLIC,
    "account_email_verification_sent": PUBLIC,
    "account_confirm_email": PUBLIC,
    "account_reset_password": PUBLIC,
    "account_reset_password_done": PUBLIC,
    "account_reset_password_from_key": PUBLIC,
    "account_reset_password_from_key_done": PUBLIC,
    "account_request_login_code": PUBLIC,
    "account_confirm_login_code": PUBLIC,
    "account_reauthenticate": SIGNED_IN,
    "account_email": SIGNED_IN,
    "account_change_password": SIGNED_IN,
    "account_set_password": SIGNED_IN,
    # Station directory
    "accounts:stations": PUBLIC,
    "accounts:station": PUBLIC,
    # The signed-in user's own pages
    "accounts:dashboard": SIGNED_IN,
    "accounts:profile": SIGNED_IN,
    "accounts:invitation": SIGNED_IN,
    # Organisation members and administrators
    "accounts:organisation": SCOPED,
    "accounts:organisation_invite": SCOPED,
    "accounts:invitation_revoke": SCOPED,
    "accounts:membership_admin": SCOPED,
    "accounts:membership_remove": SCOPED,
    # Staff workspace, by role and area
    "accounts:workspace": SCOPED,
    "accounts:region": SCOPED,
    "accounts:audit": SCOPED,
    "accounts:region_role_assign": SCOPED,
    "accounts:role_revoke": SCOPED,
}
STAFF_PREFIXES = ("admin/", "cms/admin/")


def _walk(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            yield prefix + str(p.pattern), name


def all_patterns() -> list[tuple[str, str | None]]:
    with translation.override("zh-hans"):
        return list(_walk(get_resolver().url_patterns))


def classify(route: str, name: str | None) -> str | None:
    if route.startswith(STAFF_PREFIXES):
        return STAFF
    return MATRIX.get(name or "")


def test_every_url_is_classified():
    unclassified = [
        (route, name) for route, name in all_patterns() if classify(route, name) is None
    ]
    assert not unclassified, f"Classify these URLs in tests/test_urls.py MATRIX: {unclassified}"


def test_matrix_has_no_stale_entries():
    names = {name for _route, name in all_patterns()}
    assert not set(MATRIX) - names


# --- The walk ---------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    kwargs: dict[str, Any]
    allowed: Any  # a user who gets 200
    wrong: Any  # a signed-in user of the wrong area/owner/role: 404
    method: str = "get"
    ok: int = 200
    data: dict[str, Any] | None = None


@pytest.fixture
def world(city, make_user, superuser):
    """Users on both sides of every line the matrix draws."""
    org_admin = make_user(email="boss@example.org")
    organisation = services.organisation_create(
        actor=org_admin, name="华信", kind="company", region=city.north
    )
    member = make_user(email="member@example.org")
    Membership.objects.create(organisation=organisation, user=member)
    invitation = services.organisation_invite(
        actor=org_admin, organisation=organisation, email="new@example.org"
    )
    return {
        "city": city,
        "organisation": organisation,
        "org_admin": org_admin,
        "member": member,
        "outsider": make_user(email="outsider@example.org"),
        "invitation": invitation,
        "north_staff": make_user(Role.STATION_STAFF, city.north_a),
        "south_staff": make_user(Role.STATION_STAFF, city.south_a),
        "supervisor": make_user(Role.SUPERVISOR, city.north),
        "volunteer": make_user(Role.VOLUNTEER, city.city),
        "city_admin": make_user(Role.CITY_ADMIN, city.city),
        "membership": organisation.memberships.get(user=member),
    }


def scoped_cases(w) -> list[Case]:
    org, inv = w["organisation"], w["invitation"]
    return [
        Case("accounts:organisation", {"pk": org.pk}, allowed=w["member"], wrong=w["outsider"]),
        Case(
            "accounts:organisation_invite",
            {"pk": org.pk},
            allowed=w["org_admin"],
            wrong=w["member"],
        ),
        Case(
            "accounts:invitation_revoke",
            {"pk": org.pk, "invitation_pk": inv.pk},
            allowed=w["org_admin"],
            wrong=w["member"],
            method="post",
            ok=302,
        ),
        Case(
            "accounts:membership_admin",
            {"pk": org.pk, "member_pk": w["membership"].pk},
            allowed=w["org_admin"],
            wrong=w["member"],
            method="post",
            ok=302,
            data={"is_admin": "1"},
        ),
        Case(
            "accounts:membership_remove",
            {"pk": org.pk, "member_pk": w["membership"].pk},
            allowed=w["org_admin"],
            wrong=w["outsider"],
            method="post",
            ok=302,
        ),
        Case("accounts:workspace", {}, allowed=w["north_staff"], wrong=w["volunteer"]),
        Case(
            "accounts:region",
            {"pk": w["city"].north_a.pk},
            allowed=w["north_staff"],
            wrong=w["south_staff"],
        ),
        Case("accounts:audit", {}, allowed=w["supervisor"], wrong=w["north_staff"]),
        Case(
            "accounts:region_role_assign",
            {"pk": w["city"].north_a.pk},
            allowed=w["city_admin"],
            wrong=w["supervisor"],  # may read the area, may not give roles in it
            method="post",
            ok=302,
            data={"email": w["outsider"].email, "role": Role.VOLUNTEER, "reason": "test"},
        ),
        Case(
            "accounts:role_revoke",
            {"pk": w["north_staff"].role_assignments.get().pk},
            allowed=w["city_admin"],
            wrong=w["supervisor"],
            method="post",
            ok=302,
        ),
    ]


def test_every_scoped_url_is_walked(world):
    walked = {case.name for case in scoped_cases(world)}
    assert walked == {name for name, kind in MATRIX.items() if kind == SCOPED}


@pytest.mark.django_db
def test_scoped_urls_anonymous_wrong_area_right_role(client, world):
    for case in scoped_cases(world):
        url = reverse(case.name, kwargs=case.kwargs)
        method = getattr(client, case.method)

        def send(url=url, method=method, case=case):
            return method(url, case.data) if case.data else method(url)

        client.logout()
        response = send()
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], case.name
        client.force_login(case.wrong)
        assert send().status_code == 404, f"{case.name}: wrong area/owner must be 404"
        client.force_login(case.allowed)
        assert send().status_code == case.ok, case.name


@pytest.mark.django_db
def test_signed_in_urls_send_anonymous_to_login_and_serve_users(client, world):
    simple = {
        "accounts:dashboard": {},
        "accounts:profile": {},
        "accounts:invitation": {"token": world["invitation"].token},
        "account_email": {},
        "account_change_password": {},
    }
    assert set(simple) | {"account_reauthenticate", "account_set_password"} == {
        name for name, kind in MATRIX.items() if kind == SIGNED_IN
    }
    for name, kwargs in simple.items():
        url = reverse(name, kwargs=kwargs)
        client.logout()
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
        client.force_login(world["outsider"])
        assert client.get(url).status_code == 200, name
    # These two only redirect a signed-in user elsewhere (they have a password already /
    # reauthentication needs a recent login flow); anonymous still goes to login.
    for name in ("account_reauthenticate", "account_set_password"):
        client.logout()
        assert "/accounts/login/" in client.get(reverse(name))["Location"]


@pytest.mark.django_db
def test_public_urls_serve_anonymous(client, world):
    from cms.demo import seed_site

    seed_site()
    station = world["city"].station_north
    for url in [
        "/healthz",
        reverse("accounts:stations"),
        reverse("accounts:station", args=[station.pk]),
        "/zh-hans/",
        "/en/",
        reverse("account_login"),
        reverse("account_signup"),
        reverse("account_request_login_code"),
        reverse("account_reset_password"),
    ]:
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_admins_are_for_staff_only(client, world, superuser):
    for url in ("/admin/", "/admin/accounts/roleassignment/", "/cms/admin/"):
        client.logout()
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url
        client.force_login(world["supervisor"])  # a role is not admin access
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url
        client.force_login(superuser)
        assert client.get(url).status_code == 200, url
