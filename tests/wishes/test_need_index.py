"""The need index: the pure formula, the published document, and re-scoring through services."""

import re
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from accounts.errors import NotPermitted
from accounts.models import AuditEvent
from accounts.roles import Role
from tests.wishes.factories import make_household, make_wish
from wishes import services
from wishes.models import NeedIndexFormula, Status, Wish
from wishes.need_index import (
    DEFAULT_WEIGHTS,
    FACTOR_LABELS,
    Facts,
    FormulaError,
    compute,
    validate_weights,
)

DOC = Path(settings.BASE_DIR) / "docs" / "need-index.md"

# Nothing to count: income at the standard, no disability, illness, loss, dependants or aid.
NONE = Facts(
    monthly_income_per_person=Decimal("1330.00"),
    disability_grade=0,
    serious_illness=False,
    housing="adequate",
    dependants=0,
    disaster_loss=Decimal("0"),
    urgency="normal",
    aid_received=Decimal("0"),
)
# The worked example of docs/need-index.md.
EXAMPLE = Facts(
    monthly_income_per_person=Decimal("800.00"),
    disability_grade=2,
    serious_illness=True,
    housing="dangerous",
    dependants=3,
    disaster_loss=Decimal("4500.00"),
    urgency="urgent",
    aid_received=Decimal("2000.00"),
)


def score(facts: Facts, weights=DEFAULT_WEIGHTS) -> Decimal:
    return compute(facts, weights)[0]


def points(facts: Facts, factor: str) -> Decimal:
    return {c.factor: c.points for c in compute(facts, DEFAULT_WEIGHTS)[1]}[factor]


# --- Each factor alone ------------------------------------------------------------------


def test_no_hardship_scores_zero():
    total, contributions = compute(NONE, DEFAULT_WEIGHTS)
    assert total == Decimal("0.00")
    assert [c.points for c in contributions] == [Decimal("0.00")] * 8


@pytest.mark.parametrize(
    ("change", "factor", "expected"),
    [
        ({"monthly_income_per_person": Decimal("0")}, "income_gap", "30.00"),
        ({"monthly_income_per_person": Decimal("665")}, "income_gap", "15.00"),
        ({"monthly_income_per_person": Decimal("5000")}, "income_gap", "0.00"),  # never negative
        ({"disability_grade": 1}, "disability", "20.00"),
        ({"disability_grade": 2}, "disability", "15.00"),
        ({"disability_grade": 3}, "disability", "10.00"),
        ({"disability_grade": 4}, "disability", "5.00"),
        ({"serious_illness": True}, "serious_illness", "15.00"),
        ({"housing": "poor"}, "housing", "5.00"),
        ({"housing": "dangerous"}, "housing", "12.00"),
        ({"housing": "none"}, "housing", "15.00"),
        ({"dependants": 1}, "dependants", "3.00"),
        ({"dependants": 4}, "dependants", "12.00"),
        ({"dependants": 9}, "dependants", "12.00"),  # capped
        ({"disaster_loss": Decimal("4500")}, "disaster_loss", "4.50"),
        ({"disaster_loss": Decimal("10000")}, "disaster_loss", "10.00"),
        ({"disaster_loss": Decimal("250000")}, "disaster_loss", "10.00"),  # capped
        ({"urgency": "urgent"}, "urgency", "5.00"),
        ({"urgency": "emergency"}, "urgency", "10.00"),
    ],
)
def test_each_factor_alone(change, factor, expected):
    facts = replace(NONE, **change)
    assert points(facts, factor) == Decimal(expected)
    assert score(facts) == Decimal(expected)  # nothing else counted


@pytest.mark.parametrize(
    ("aid", "expected"),
    [("500", "-1.00"), ("2000", "-4.00"), ("15000", "-30.00"), ("1000000", "-30.00")],
)
def test_aid_takes_points_off_up_to_its_cap(aid, expected):
    facts = replace(NONE, urgency="emergency", housing="none", aid_received=Decimal(aid))
    assert points(facts, "aid_received") == Decimal(expected)


def test_the_score_is_clamped_at_zero():
    facts = replace(NONE, urgency="urgent", aid_received=Decimal("15000"))
    total, contributions = compute(facts, DEFAULT_WEIGHTS)
    assert sum(c.points for c in contributions) == Decimal("-25.00")
    assert total == Decimal("0.00")


def test_the_score_is_clamped_at_one_hundred():
    worst = Facts(
        monthly_income_per_person=Decimal("0"),
        disability_grade=1,
        serious_illness=True,
        housing="none",
        dependants=10,
        disaster_loss=Decimal("99999"),
        urgency="emergency",
        aid_received=Decimal("0"),
    )
    total, contributions = compute(worst, DEFAULT_WEIGHTS)
    assert sum(c.points for c in contributions) == Decimal("112.00")
    assert total == Decimal("100.00")


def test_each_factor_is_rounded_half_up_and_the_score_is_their_sum():
    # 30 × (1 − 800/1330) = 11.9548… → 11.95; 30 × (1 − 1/1330) = 29.9774… → 29.98
    assert points(replace(NONE, monthly_income_per_person=Decimal("800")), "income_gap") == Decimal(
        "11.95"
    )
    assert points(replace(NONE, monthly_income_per_person=Decimal("1")), "income_gap") == Decimal(
        "29.98"
    )
    # ¥5 of loss is exactly 0.005 points: half up gives 0.01 (banker's rounding would give 0).
    assert points(replace(NONE, disaster_loss=Decimal("5")), "disaster_loss") == Decimal("0.01")
    total, contributions = compute(EXAMPLE, DEFAULT_WEIGHTS)
    assert total == sum(c.points for c in contributions)
    assert all(c.points == c.points.quantize(Decimal("0.01")) for c in contributions)


def test_the_explanation_lists_every_factor_in_order():
    _total, contributions = compute(EXAMPLE, DEFAULT_WEIGHTS)
    assert [c.factor for c in contributions] == list(FACTOR_LABELS)
    assert contributions[0].as_json() == {
        "factor": "income_gap",
        "value": "¥800.00",
        "points": "11.95",
    }


def test_other_weights_change_the_score():
    weights = {**DEFAULT_WEIGHTS, "urgency": {"normal": 0, "urgent": 20, "emergency": 40}}
    assert score(replace(NONE, urgency="urgent"), weights) == Decimal("20.00")


# --- Validating weights before publication ----------------------------------------------


def test_the_published_defaults_are_valid():
    assert validate_weights(dict(DEFAULT_WEIGHTS)) == DEFAULT_WEIGHTS


@pytest.mark.parametrize(
    "change",
    [
        {"serious_illness": -1},
        {"aid_cap": "-5"},
        {"income_gap": "thirty"},
        {"income_gap": None},
        {"disability": {"1": 20, "2": 15, "3": 10}},  # a grade missing
        {"disability": {"1": 20, "2": 15, "3": 10, "4": -5}},
        {"housing": 5},  # a table replaced by a number
        {"minimum_living_standard": "0"},
    ],
    ids=repr,
)
def test_bad_weights_are_refused(change):
    with pytest.raises(FormulaError):
        validate_weights({**DEFAULT_WEIGHTS, **change})


def test_missing_weights_are_refused():
    weights = dict(DEFAULT_WEIGHTS)
    del weights["aid_window_days"]
    with pytest.raises(FormulaError, match="aid_window_days"):
        validate_weights(weights)


# --- Properties -------------------------------------------------------------------------

money = st.decimals(
    min_value=0, max_value=1_000_000, places=2, allow_nan=False, allow_infinity=False
)
facts_strategy = st.builds(
    Facts,
    monthly_income_per_person=money,
    disability_grade=st.integers(0, 4),
    serious_illness=st.booleans(),
    housing=st.sampled_from(["adequate", "poor", "dangerous", "none"]),
    dependants=st.integers(0, 30),
    disaster_loss=money,
    urgency=st.sampled_from(["normal", "urgent", "emergency"]),
    aid_received=money,
)


@given(facts_strategy)
def test_the_score_is_always_between_0_and_100(facts):
    total = score(facts)
    assert Decimal(0) <= total <= Decimal(100)
    assert total == total.quantize(Decimal("0.01"))


@given(facts_strategy, money)
def test_more_aid_never_raises_the_score(facts, more):
    assert score(replace(facts, aid_received=facts.aid_received + more)) <= score(facts)


@given(facts_strategy, money)
def test_more_income_never_raises_the_score(facts, more):
    richer = replace(facts, monthly_income_per_person=facts.monthly_income_per_person + more)
    assert score(richer) <= score(facts)


# --- The published document matches the code --------------------------------------------


def _section(title: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(title)
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _flat(weights: dict) -> dict[str, Decimal]:
    flat = {}
    for key, value in weights.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{sub}": Decimal(str(v)) for sub, v in value.items()})
        else:
            flat[key] = Decimal(str(value))
    return flat


def test_the_document_lists_the_version_1_weights_exactly():
    rows = re.findall(
        r"^\| `([a-z0-9_.]+)` \| (-?[0-9.]+) \|", _section("### Version 1 weights"), re.M
    )
    assert {key: Decimal(value) for key, value in rows} == _flat(DEFAULT_WEIGHTS)


def test_the_documents_worked_example_is_what_the_code_computes():
    section = _section("## A worked example")
    rows = re.findall(r"^\| `([a-z_]+)` .*\| (-?[0-9.]+) \|$", section, re.M)
    total, contributions = compute(EXAMPLE, DEFAULT_WEIGHTS)
    assert [(c.factor, str(c.points)) for c in contributions] == rows
    assert re.search(r"Need index 救助指数 = ([0-9.]+)", section).group(1) == str(total)
    after = compute(replace(EXAMPLE, aid_received=Decimal("12000.00")), DEFAULT_WEIGHTS)[0]
    assert re.search(r"After more aid 再获救助后 = ([0-9.]+)", section).group(1) == str(after)
    assert (total, after) == (Decimal("68.45"), Decimal("48.45"))


def test_the_documents_window_and_caps_match_the_weights():
    text = DOC.read_text(encoding="utf-8")
    assert f"last {DEFAULT_WEIGHTS['aid_window_days']} days" in text
    assert f"at most minus {DEFAULT_WEIGHTS['aid_cap']}" in text
    assert f"at most {DEFAULT_WEIGHTS['dependants_cap']} (four people)" in text


# --- Through the services ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_wish_stores_its_score_version_and_explanation(city, people):
    wish = make_wish(people.north_staff, city.north_a)
    # make_household: ¥600, grade 2, seriously ill, poor housing, 2 dependants; urgent.
    assert wish.need_index == Decimal("62.47")
    assert wish.need_index_version == 1
    assert [row["factor"] for row in wish.need_index_explanation] == list(FACTOR_LABELS)
    assert wish.need_index_explanation[0] == {
        "factor": "income_gap",
        "value": "¥600.00",
        "points": "16.47",
    }


@pytest.mark.django_db
def test_recording_aid_lowers_the_households_open_wishes_and_re_ranks(city, people):
    staff = people.north_staff
    needy = make_household(city.north_a, staff, id_number="")
    other = make_household(city.north_a, staff, id_number="", disability_grade=3)
    first = make_wish(staff, city.north_a, household=needy)
    second = make_wish(staff, city.north_a, household=needy, status=Status.VERIFIED)
    closed = make_wish(staff, city.north_a, household=needy)
    services.wish_withdraw(actor=staff, wish=closed, reason="家属已解决")
    rival = make_wish(staff, city.north_a, household=other)
    ranked = lambda: list(  # noqa: E731
        Wish.objects.open().order_by("-need_index", "pk").values_list("pk", flat=True)
    )
    assert ranked() == [first.pk, second.pk, rival.pk]  # 62.47, 62.47, 57.47

    services.aid_record(
        actor=staff,
        household=needy,
        received_on=timezone.localdate() - timedelta(days=10),
        value=Decimal("5000.00"),
        source="government",
        description="临时救助金",
    )

    for wish in (first, second):
        wish.refresh_from_db()
        assert wish.need_index == Decimal("52.47")  # 10 points off for ¥5,000
        assert wish.need_index_explanation[-1]["points"] == "-10.00"
    closed.refresh_from_db()
    assert closed.need_index == Decimal("62.47")  # a closed wish keeps its score
    assert ranked() == [rival.pk, first.pk, second.pk]
    assert AuditEvent.objects.filter(verb="aid.record", target_id=str(needy.pk)).exists()


@pytest.mark.django_db
def test_aid_outside_the_window_does_not_count(city, people):
    wish = make_wish(people.north_staff, city.north_a)
    before = wish.need_index
    window = DEFAULT_WEIGHTS["aid_window_days"]
    services.aid_record(
        actor=people.north_staff,
        household=wish.household,
        received_on=timezone.localdate() - timedelta(days=window + 1),
        value=Decimal("5000.00"),
        source="charity",
        description="去年的助学金",
    )
    wish.refresh_from_db()
    assert wish.need_index == before
    services.aid_record(
        actor=people.north_staff,
        household=wish.household,
        received_on=timezone.localdate() - timedelta(days=window),  # the window's first day
        value=Decimal("1000.00"),
        source="charity",
        description="半年前的慰问金",
    )
    wish.refresh_from_db()
    assert wish.need_index == before - 2


@pytest.mark.django_db
def test_aid_is_recorded_only_by_staff_of_the_area(city, people):
    wish = make_wish(people.north_staff, city.north_a)
    with pytest.raises(NotPermitted):
        services.aid_record(
            actor=people.south_staff,
            household=wish.household,
            received_on=timezone.localdate(),
            value=Decimal("100.00"),
            source="other",
            description="x",
        )
    assert not wish.household.aid.exists()


@pytest.mark.django_db
def test_a_city_admin_publishes_version_2_and_open_wishes_are_re_scored(
    city, people, make_user, django_capture_on_commit_callbacks
):
    admin = make_user(Role.CITY_ADMIN, city.city)
    open_wish = make_wish(people.north_staff, city.north_a)  # urgent
    closed = make_wish(people.north_staff, city.north_a)
    services.wish_withdraw(actor=people.north_staff, wish=closed, reason="不再需要")
    weights = {**DEFAULT_WEIGHTS, "urgency": {"normal": 0, "urgent": 15, "emergency": 25}}

    with django_capture_on_commit_callbacks(execute=True):
        formula = services.formula_publish(actor=admin, weights=weights, note="紧急程度加权")

    assert formula.version == 2 and formula.published_by == admin
    assert services.formula_current() == formula
    open_wish.refresh_from_db()
    assert (open_wish.need_index, open_wish.need_index_version) == (Decimal("72.47"), 2)
    assert open_wish.need_index_explanation[6] == {
        "factor": "urgency",
        "value": "urgent",
        "points": "15.00",
    }
    closed.refresh_from_db()
    assert (closed.need_index, closed.need_index_version) == (Decimal("62.47"), 1)
    event = AuditEvent.objects.get(verb="formula.publish")
    assert event.actor == admin and event.reason == "紧急程度加权"
    # Later wishes are scored with version 2 straight away.
    assert make_wish(people.north_staff, city.north_a).need_index_version == 2


@pytest.mark.django_db
def test_only_city_admins_publish_formulas(city, people, make_user):
    services.formula_current()  # version 1
    for actor in (
        people.north_staff,
        people.north_reviewer,
        make_user(Role.SUPERVISOR, city.city),
        make_user(Role.CITY_ADMIN, city.north),  # an admin role held below the city
    ):
        with pytest.raises(NotPermitted):
            services.formula_publish(actor=actor, weights=dict(DEFAULT_WEIGHTS), note="x")
    assert list(NeedIndexFormula.objects.values_list("version", flat=True)) == [1]


@pytest.mark.django_db
def test_invalid_weights_publish_nothing(city, make_user):
    admin = make_user(Role.CITY_ADMIN, city.city)
    with pytest.raises(FormulaError):
        services.formula_publish(
            actor=admin, weights={**DEFAULT_WEIGHTS, "aid_cap": -1}, note="bad"
        )
    assert not NeedIndexFormula.objects.filter(version__gt=1).exists()
    assert not AuditEvent.objects.filter(verb="formula.publish").exists()
