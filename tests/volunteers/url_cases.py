"""The volunteers app's part of the URL permission matrix (``tests/test_urls.py``):
``volunteers_world`` builds what the cases need; ``volunteers_cases`` lists one Case per
scoped URL."""

from typing import Any

from accounts.roles import Role


def volunteers_world(city, make_user) -> dict[str, Any]:
    """Shifts at the north station: one to sign up to, one with a sign-up to cancel, one to
    cancel and one to close, and sign-ups at each step of check-in and verification."""
    from datetime import time, timedelta

    from django.utils import timezone

    from volunteers import services as volunteers

    staff = make_user(Role.STATION_STAFF, city.north_a, email="shift.staff@example.org")

    def volunteer(email, area):
        user = make_user(email=email)
        volunteers.profile_save(user=user, display_name=email[:6], skills=[], areas=[area])
        return user

    def shift():
        return volunteers.shift_create(
            actor=staff,
            station=city.station_north,
            spec=volunteers.ShiftSpec(
                title="陪老人散步",
                date=timezone.localdate() + timedelta(days=2),
                starts=time(9, 0),
                ends=time(12, 0),
                place="驿站门口",
                skill="other",
                capacity=5,
            ),
        )

    north, south = (
        volunteer("vol.north@example.org", city.north),
        volunteer("vol.south@example.org", city.south),
    )
    open_shift, worked = shift(), shift()
    own = volunteers.shift_signup(volunteer=north, shift=shift())
    at_work = {}
    for step in ("check_in", "check_out", "verify"):
        person = volunteer(f"vol.{step}@example.org", city.north)
        signup = volunteers.shift_signup(volunteer=person, shift=worked)
        now = timezone.now()
        if step != "check_in":
            volunteers.check_in(actor=staff, signup=signup, now=now - timedelta(hours=3))
        if step == "verify":
            volunteers.check_out(actor=staff, signup=signup, now=now - timedelta(hours=1))
        at_work[step] = signup
    return {
        "shift_staff": staff,
        "vol_north": north,
        "vol_south": south,
        "open_shift": open_shift,
        "shift_to_cancel": shift(),
        "shift_to_close": shift(),
        "own_signup": own,
        "at_work": at_work,
    }


def volunteers_cases(w) -> list:
    from tests.test_urls import Case

    staff, south, stranger = w["shift_staff"], w["south_staff"], w["vol_south"]
    work = w["at_work"]
    return [
        Case(
            "volunteers:signup",
            {"pk": w["open_shift"].pk},
            allowed=w["vol_north"],
            wrong=stranger,  # a volunteer of another town
            method="post",
            ok=302,
        ),
        Case(
            "volunteers:cancel",
            {"pk": w["own_signup"].pk},
            allowed=w["vol_north"],
            wrong=stranger,
            method="post",
            ok=302,
        ),
        Case("volunteers:station_shifts", {}, allowed=staff, wrong=w["vol_north"]),
        Case("volunteers:shift", {"pk": w["open_shift"].pk}, allowed=staff, wrong=south),
        Case(
            "volunteers:shift_cancel",
            {"pk": w["shift_to_cancel"].pk},
            allowed=staff,
            wrong=south,
            method="post",
            ok=302,
            data={"reason": "下雨"},
        ),
        Case(
            "volunteers:shift_complete",
            {"pk": w["shift_to_close"].pk},
            allowed=staff,
            wrong=south,
            method="post",
            ok=302,
        ),
        *(
            Case(
                f"volunteers:{step}",
                {"pk": work[step].pk},
                allowed=staff,
                wrong=south,
                method="post",
                ok=302,
            )
            for step in ("check_in", "check_out", "verify")
        ),
        Case("volunteers:totals", {}, allowed=staff, wrong=w["vol_north"]),
        Case("volunteers:totals_csv", {}, allowed=staff, wrong=w["vol_north"]),
    ]
