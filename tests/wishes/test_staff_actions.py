"""Each staff action end to end through its page, refused (404) for a role without the
permission, and bad input answered with 400, a translated message and the input kept."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.roles import Role
from tests.wishes.factories import make_household, make_wish
from wishes import services
from wishes.models import (
    AidRecord,
    Household,
    Objection,
    ObjectionStatus,
    Route,
    Status,
    Wish,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def more(city, make_user):
    class More:
        admin = make_user(Role.CITY_ADMIN, city.city, email="admin@example.org")
        supervisor = make_user(Role.SUPERVISOR, city.north, email="supervisor@example.org")

    return More


def _post(client, user, name, pk, data):
    client.force_login(user)
    return client.post(reverse(name, args=[pk]), data)


def _status(wish) -> str:
    return Wish.objects.values_list("status", flat=True).get(pk=wish.pk)


def _online_wish(city, people) -> Wish:
    household = make_household(city.north_a, people.resident)
    return services.wish_submit(
        user=people.resident,
        household=household,
        title="需要助听器",
        story="老人听力下降，需要一副助听器。",
        category="medical",
        urgency="normal",
        needs=[services.NeedLine(kind="money", amount=Decimal("900"))],
    )


# --- Station actions --------------------------------------------------------------------


def test_accept_makes_the_actor_first_responsible(client, city, people, more):
    wish = _online_wish(city, people)
    assert _post(client, more.supervisor, "wishes:accept", wish.pk, {}).status_code == 404
    assert _post(client, more.admin, "wishes:accept", wish.pk, {}).status_code == 404
    response = _post(client, people.north_staff, "wishes:accept", wish.pk, {})
    assert response.status_code == 302
    assert response["Location"] == reverse("wishes:staff_detail", args=[wish.pk])
    wish.refresh_from_db()
    assert wish.status == Status.ACCEPTED and wish.first_responsible == people.north_staff


def test_accept_twice_by_another_is_a_conflict_not_an_error(client, city, people):
    wish = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED)
    response = _post(client, people.north_reviewer, "wishes:accept", wish.pk, {})
    assert response.status_code == 409


def test_verify_records_the_visit(client, city, people, more):
    wish = make_wish(people.north_staff, city.north_a)
    data = {"visited_on": timezone.localdate().isoformat(), "notes": "家中情况属实"}
    assert _post(client, people.north_reviewer, "wishes:verify", wish.pk, data).status_code == 404
    assert _post(client, more.supervisor, "wishes:verify", wish.pk, data).status_code == 404
    response = _post(client, people.north_staff, "wishes:verify", wish.pk, data)
    assert response.status_code == 302 and _status(wish) == Status.VERIFIED
    assert wish.verification.notes == "家中情况属实"


def test_verify_with_empty_notes_keeps_the_input(client, city, people, english):
    wish = make_wish(people.north_staff, city.north_a)
    data = {"visited_on": "2020-01-02", "notes": "   "}
    response = _post(client, people.north_staff, "wishes:verify", wish.pk, data)
    assert response.status_code == 400
    assert "Please write down what the visit found." in response.text
    assert 'value="2020-01-02"' in response.text
    assert _status(wish) == Status.ACCEPTED


def test_refer_hands_the_wish_to_another_station(client, city, people, more):
    wish = make_wish(people.north_staff, city.north_a)
    data = {"to_station": city.station_south.pk, "reason": "户籍在南城"}
    assert _post(client, more.admin, "wishes:refer", wish.pk, data).status_code == 404
    response = _post(client, people.north_staff, "wishes:refer", wish.pk, data)
    # The wish left this station's area: back to the queue.
    assert response.status_code == 302 and response["Location"] == reverse("wishes:queue")
    wish.refresh_from_db()
    assert wish.station == city.station_south and wish.first_responsible == people.north_staff
    client.force_login(people.south_staff)
    assert client.get(reverse("wishes:staff_detail", args=[wish.pk])).status_code == 200


def test_refer_without_reason_is_400_and_keeps_the_choice(client, city, people, english):
    wish = make_wish(people.north_staff, city.north_a)
    data = {"to_station": city.station_south.pk, "reason": ""}
    response = _post(client, people.north_staff, "wishes:refer", wish.pk, data)
    assert response.status_code == 400 and "Please give a reason." in response.text
    assert f'<option value="{city.station_south.pk}" selected>' in response.text
    assert Wish.objects.get(pk=wish.pk).station == city.station_north


def test_refer_to_the_same_station_is_not_a_choice(client, city, people):
    wish = make_wish(people.north_staff, city.north_a)
    data = {"to_station": city.station_north.pk, "reason": "x"}
    response = _post(client, people.north_staff, "wishes:refer", wish.pk, data)
    assert response.status_code == 400


# --- Review -----------------------------------------------------------------------------


def _review(route=Route.DIRECT, **extra):
    return {"route": route, "reason": "符合条件", "duplicate_reason": "", **extra}


def test_review_approves_as_direct_onto_public_notice(client, city, people, more):
    wish = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED)
    assert _post(client, people.north_staff, "wishes:review", wish.pk, _review()).status_code == 404
    assert _post(client, more.supervisor, "wishes:review", wish.pk, _review()).status_code == 404
    assert (
        _post(client, people.south_reviewer, "wishes:review", wish.pk, _review()).status_code == 404
    )
    response = _post(client, people.north_reviewer, "wishes:review", wish.pk, _review())
    assert response.status_code == 302
    wish.refresh_from_db()
    assert wish.status == Status.NOTICE and wish.route == Route.DIRECT
    assert wish.reviewed_by == people.north_reviewer


def test_review_express_defaults_to_the_money_needed(client, city, people):
    wish = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED)
    client.force_login(people.north_reviewer)
    page = client.get(reverse("wishes:staff_detail", args=[wish.pk])).text
    assert 'name="express_amount" value="1200.00"' in page
    data = _review(Route.EXPRESS, express_amount="1200.00")
    assert _post(client, people.north_reviewer, "wishes:review", wish.pk, data).status_code == 302
    wish.refresh_from_db()
    assert wish.status == Status.NOTICE and wish.express_amount == Decimal("1200.00")


@pytest.mark.parametrize(
    ("data", "message", "kept"),
    [
        (
            _review(Route.EXPRESS, express_amount="-5"),
            "Ensure this value is greater than or equal to 0.01.",
            'value="-5"',
        ),
        (
            _review(Route.EXPRESS, express_amount=""),
            "The express route needs an amount.",
            "符合条件",
        ),
        (
            _review(Route.POLICY, policy_department="", policy_due_on="2099-01-01"),
            "A policy referral needs the responsible department.",
            'value="2099-01-01"',
        ),
        (
            _review(Route.POLICY, policy_department="民政局", policy_due_on=""),
            "A policy referral needs a date to answer by.",
            'value="民政局"',
        ),
        (_review("nowhere"), "Select a valid choice.", "符合条件"),
    ],
)
def test_review_bad_input_is_400_with_the_input_kept(
    client, city, people, english, data, message, kept
):
    wish = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED)
    response = _post(client, people.north_reviewer, "wishes:review", wish.pk, data)
    assert response.status_code == 400
    assert message in response.text and kept in response.text
    assert _status(wish) == Status.VERIFIED


def test_review_bad_input_in_chinese(client, city, people):
    """The default language: Django's own messages are translated; ours once the lead adds
    the new msgids to the catalogue."""
    wish = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED)
    data = _review(Route.EXPRESS, express_amount="-5")
    response = _post(client, people.north_reviewer, "wishes:review", wish.pk, data)
    assert response.status_code == 400 and 'lang="zh-hans"' in response.text
    assert "确保该值大于或等于0.01" in response.text


def test_review_policy_referral_then_answer(client, city, people, more):
    wish = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED)
    due = (timezone.localdate() + timedelta(days=10)).isoformat()
    data = _review(Route.POLICY, policy_department="民政局", policy_due_on=due)
    assert _post(client, people.north_reviewer, "wishes:review", wish.pk, data).status_code == 302
    assert _status(wish) == Status.REFERRED
    answer = {"answer": "已纳入低保"}
    assert _post(client, more.admin, "wishes:answer", wish.pk, answer).status_code == 404
    assert (
        _post(client, people.north_staff, "wishes:answer", wish.pk, {"answer": " "}).status_code
        == 400
    )
    assert _post(client, people.north_staff, "wishes:answer", wish.pk, answer).status_code == 302
    wish.refresh_from_db()
    assert wish.status == Status.RESOLVED and wish.policy_answer == "已纳入低保"


def test_review_warns_of_duplicates_and_requires_a_reason(client, city, people, english):
    household = make_household(city.north_a, people.north_staff)
    other = make_wish(people.north_staff, city.north_a, household=household)
    wish = make_wish(people.north_staff, city.north_a, household=household, status=Status.VERIFIED)
    client.force_login(people.north_reviewer)
    page = client.get(reverse("wishes:staff_detail", args=[wish.pk])).text
    assert "Possible duplicate aid." in page
    assert reverse("wishes:staff_detail", args=[other.pk]) in page
    assert 'name="duplicate_reason"' in page
    response = _post(client, people.north_reviewer, "wishes:review", wish.pk, _review())
    assert response.status_code == 400 and "record why this wish" in response.text
    assert _status(wish) == Status.VERIFIED
    data = _review(duplicate_reason="另一愿望为不同需求")
    assert _post(client, people.north_reviewer, "wishes:review", wish.pk, data).status_code == 302
    wish.refresh_from_db()
    assert wish.status == Status.NOTICE and wish.duplicate_reason == "另一愿望为不同需求"


def test_no_duplicate_field_without_duplicates(client, city, people):
    wish = make_wish(
        people.north_staff,
        city.north_a,
        status=Status.VERIFIED,
        household=make_household(city.north_a, people.north_staff, id_number=""),
    )
    client.force_login(people.north_reviewer)
    page = client.get(reverse("wishes:staff_detail", args=[wish.pk])).text
    assert 'name="duplicate_reason"' not in page


# --- Reject, send back, withdraw --------------------------------------------------------


def test_reject_by_reviewer_and_by_station_before_verification(client, city, people, more):
    accepted = make_wish(people.north_staff, city.north_a)
    verified = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED)
    data = {"reject-reason": "不符合条件"}
    # Station staff may decline before verification, not after: that is the reviewer's call.
    assert _post(client, people.north_staff, "wishes:reject", verified.pk, data).status_code == 404
    assert _post(client, more.supervisor, "wishes:reject", accepted.pk, data).status_code == 404
    assert _post(client, people.north_staff, "wishes:reject", accepted.pk, data).status_code == 302
    assert (
        _post(client, people.north_reviewer, "wishes:reject", verified.pk, data).status_code == 302
    )
    assert _status(accepted) == _status(verified) == Status.REJECTED


def test_reject_without_reason_is_400(client, city, people, english):
    wish = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED)
    response = _post(client, people.north_reviewer, "wishes:reject", wish.pk, {"reject-reason": ""})
    assert response.status_code == 400 and "Please give a reason." in response.text
    assert _status(wish) == Status.VERIFIED


def test_send_back_returns_to_the_station(client, city, people, more):
    wish = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED)
    data = {"send_back-reason": "请补充收入证明"}
    assert _post(client, people.north_staff, "wishes:send_back", wish.pk, data).status_code == 404
    assert _post(client, more.supervisor, "wishes:send_back", wish.pk, data).status_code == 404
    response = _post(client, people.north_reviewer, "wishes:send_back", wish.pk, data)
    assert response.status_code == 302 and _status(wish) == Status.ACCEPTED


def test_withdraw(client, city, people, more):
    wish = make_wish(people.north_staff, city.north_a)
    data = {"withdraw-reason": "本人撤回"}
    assert _post(client, more.admin, "wishes:withdraw", wish.pk, data).status_code == 404
    assert (
        _post(
            client, people.north_staff, "wishes:withdraw", wish.pk, {"withdraw-reason": ""}
        ).status_code
        == 400
    )
    assert _post(client, people.north_staff, "wishes:withdraw", wish.pk, data).status_code == 302
    assert _status(wish) == Status.WITHDRAWN


# --- Objections -------------------------------------------------------------------------


def _objection(city, people) -> Objection:
    wish = make_wish(
        people.north_staff, city.north_a, status=Status.NOTICE, reviewer=people.north_reviewer
    )
    return services.objection_file(user=people.resident, wish=wish, text="此户已有车辆")


def test_objection_dismissed(client, city, people, more):
    objection = _objection(city, people)
    prefix = f"objection-{objection.pk}"
    data = {f"{prefix}-decision": "dismiss", f"{prefix}-reason": "车辆为借用"}
    for user in (people.north_staff, more.supervisor, people.south_reviewer):
        assert _post(client, user, "wishes:objection_decide", objection.pk, data).status_code == 404
    client.force_login(people.north_reviewer)
    page = client.get(reverse("wishes:staff_detail", args=[objection.wish_id])).text
    assert reverse("wishes:objection_decide", args=[objection.pk]) in page
    response = _post(client, people.north_reviewer, "wishes:objection_decide", objection.pk, data)
    assert response.status_code == 302
    objection.refresh_from_db()
    assert (
        objection.status == ObjectionStatus.DISMISSED and _status(objection.wish) == Status.NOTICE
    )


def test_objection_upheld_withdraws_the_wish(client, city, people):
    objection = _objection(city, people)
    prefix = f"objection-{objection.pk}"
    data = {f"{prefix}-decision": "uphold", f"{prefix}-reason": "核实属实"}
    assert (
        _post(
            client, people.north_reviewer, "wishes:objection_decide", objection.pk, data
        ).status_code
        == 302
    )
    assert _status(objection.wish) == Status.WITHDRAWN


def test_objection_decision_needs_a_reason(client, city, people, english):
    objection = _objection(city, people)
    prefix = f"objection-{objection.pk}"
    data = {f"{prefix}-decision": "dismiss", f"{prefix}-reason": ""}
    response = _post(client, people.north_reviewer, "wishes:objection_decide", objection.pk, data)
    assert response.status_code == 400 and "Please give a reason." in response.text
    assert re.search(r'value="dismiss"[^>]* checked', response.text)


def test_objection_decide_unknown_is_404(client, city, people):
    client.force_login(people.north_reviewer)
    assert client.post(reverse("wishes:objection_decide", args=[999999])).status_code == 404


# --- Intake -----------------------------------------------------------------------------


def _intake_data(city, **extra):
    data = {
        "save": "1",
        "lookup_id": "",
        "channel": "hotline",
        "title": "为独居老人修缮屋顶",
        "story": "屋顶漏雨，老人独居无力修缮。",
        "category": "housing",
        "urgency": "urgent",
        "needs-TOTAL_FORMS": "3",
        "needs-INITIAL_FORMS": "0",
        "needs-MIN_NUM_FORMS": "0",
        "needs-MAX_NUM_FORMS": "10",
        "needs-0-kind": "service",
        "needs-0-skill": "泥瓦工",
        "needs-0-hours": "8",
        "head_name": "李秘密",
        "id_number": "441900194801011234",
        "phone": "13800138000",
        "address": "北一社区 1 号",
        "community": city.north_a.pk,
        "member_count": "1",
        "monthly_income_per_person": "500",
        "disability_grade": "0",
        "housing": "dangerous",
        "elderly_dependants": "0",
        "child_dependants": "0",
        "disabled_dependants": "0",
        "disaster_loss": "0",
        "consent": "on",
        "consent_note": "电话确认",
    }
    data.update(extra)
    return data


def test_intake_page_is_for_intake_staff_only(client, city, people, more):
    client.force_login(people.north_staff)
    page = client.get(reverse("wishes:intake"))
    assert page.status_code == 200
    # Communities offered are the staff member's own only.
    assert (
        f'value="{city.north_a.pk}"' in page.text and f'value="{city.south_a.pk}"' not in page.text
    )
    for user in (more.admin, more.supervisor, people.resident):
        client.force_login(user)
        assert client.get(reverse("wishes:intake")).status_code == 404


def test_intake_records_household_and_wish(client, city, people):
    client.force_login(people.north_staff)
    response = client.post(reverse("wishes:intake"), _intake_data(city))
    wish = Wish.objects.get(title="为独居老人修缮屋顶")
    assert response.status_code == 302
    assert response["Location"] == reverse("wishes:staff_detail", args=[wish.pk])
    assert wish.status == Status.ACCEPTED and wish.channel == "hotline"
    assert wish.first_responsible == people.north_staff
    assert wish.household.head_name == "李秘密" and wish.household.consent_at is not None


def test_intake_without_consent_is_400_and_keeps_everything(client, city, people, english):
    client.force_login(people.north_staff)
    data = _intake_data(city)
    del data["consent"]
    response = client.post(reverse("wishes:intake"), data)
    assert response.status_code == 400
    assert "Without the person&#x27;s consent" in response.text
    assert "为独居老人修缮屋顶" in response.text and "泥瓦工" in response.text
    assert "李秘密" in response.text
    assert not Wish.objects.exists() and not Household.objects.exists()


def test_intake_bad_need_and_empty_title(client, city, people, english):
    client.force_login(people.north_staff)
    data = _intake_data(city, title="  ", **{"needs-0-kind": "money", "needs-0-amount": "-3"})
    response = client.post(reverse("wishes:intake"), data)
    assert response.status_code == 400
    assert (
        "This field is required." in response.text
        or "Please give the wish a title." in response.text
    )
    assert 'value="-3"' in response.text
    assert not Wish.objects.exists() and not Household.objects.exists()


def _token(text: str) -> str:
    return re.search(r'name="household_token" value="([^"]+)"', text).group(1)


def test_intake_lookup_reuses_a_known_household(client, city, people):
    known = make_household(city.north_a, people.north_staff, id_number="44190019470101123X")
    client.force_login(people.north_staff)
    page = client.post(reverse("wishes:intake"), {"lookup": "1", "lookup_id": "44190019470101123x"})
    assert page.status_code == 200
    # Only the mask is shown; neither the number nor the name comes back.
    assert known.masked_id_number in page.text
    assert "44190019470101123" not in page.text and known.head_name not in page.text
    assert 'name="head_name"' not in page.text
    assert AuditEvent.objects.filter(verb="household.lookup", target_id=str(known.pk)).exists()
    data = _intake_data(city, household_token=_token(page.text))
    response = client.post(reverse("wishes:intake"), data)
    assert response.status_code == 302
    assert Wish.objects.get(title="为独居老人修缮屋顶").household == known
    assert Household.objects.count() == 1


def test_intake_lookup_token_cannot_be_forged_or_passed_on(client, city, people, make_user):
    make_household(city.north_a, people.north_staff, id_number="44190019470101123X")
    client.force_login(people.north_staff)
    page = client.post(reverse("wishes:intake"), {"lookup": "1", "lookup_id": "44190019470101123X"})
    token = _token(page.text)
    colleague = make_user(Role.STATION_STAFF, city.north_a)
    client.force_login(colleague)
    response = client.post(reverse("wishes:intake"), _intake_data(city, household_token=token))
    assert response.status_code == 400 and not Wish.objects.exists()
    response = client.post(reverse("wishes:intake"), _intake_data(city, household_token="x:y"))
    assert response.status_code == 400 and "为独居老人修缮屋顶" in response.text


def test_intake_lookup_does_not_find_another_areas_household(client, city, people):
    make_household(city.south_a, people.south_staff, id_number="44190019470101123X")
    client.force_login(people.north_staff)
    page = client.post(reverse("wishes:intake"), {"lookup": "1", "lookup_id": "44190019470101123X"})
    assert page.status_code == 200 and 'name="head_name"' in page.text
    assert 'name="household_token"' not in page.text
    # The number typed is carried into the new household's form.
    assert 'name="id_number" value="44190019470101123X"' in page.text
    assert not AuditEvent.objects.filter(verb="household.lookup").exists()


def test_intake_lookup_with_a_malformed_id_is_400(client, city, people, english):
    client.force_login(people.north_staff)
    page = client.post(reverse("wishes:intake"), {"lookup": "1", "lookup_id": "12345"})
    assert page.status_code == 400 and "A resident ID number has 18 characters" in page.text


# --- Personal data ----------------------------------------------------------------------


def test_household_page_shows_private_data_and_audits_each_view(
    client, city, people, more, english
):
    from tests.wishes.factories import SECRET_ADDRESS, SECRET_ID, SECRET_NAME, SECRET_NOTES

    wish = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED)
    for user in (people.north_staff, more.supervisor):
        client.force_login(user)
        response = client.get(reverse("wishes:household", args=[wish.pk]))
        assert response.status_code == 200
        text = response.text
        assert SECRET_NAME in text and SECRET_ADDRESS in text and SECRET_NOTES in text
        assert "4419**********123X" in text and SECRET_ID not in text
        assert response["Cache-Control"] == "no-store"
    events = AuditEvent.objects.filter(verb="household.view", target_id=str(wish.household_id))
    assert [e.actor for e in events.order_by("pk")] == [people.north_staff, more.supervisor]
    assert all(SECRET_NAME not in str(e.data) for e in events)


def test_supervisor_sees_no_action_forms(client, city, people, more):
    wish = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED)
    client.force_login(more.supervisor)
    text = client.get(reverse("wishes:household", args=[wish.pk])).text
    assert reverse("wishes:aid_record", args=[wish.pk]) not in text
    data = {"received_on": "2024-01-01", "value": "100", "source": "charity", "description": "米面"}
    assert _post(client, more.supervisor, "wishes:aid_record", wish.pk, data).status_code == 404
    assert not AidRecord.objects.exists()


def test_aid_record_lowers_the_need_index(client, city, people):
    wish = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED)
    before = wish.need_index
    data = {
        "received_on": timezone.localdate().isoformat(),
        "value": "5000",
        "source": "government",
        "description": "临时救助金",
    }
    response = _post(client, people.north_staff, "wishes:aid_record", wish.pk, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("wishes:household", args=[wish.pk])
    wish.refresh_from_db()
    assert AidRecord.objects.get().wish == wish and wish.need_index < before


def test_aid_record_bad_input_is_400(client, city, people, english):
    wish = make_wish(people.north_staff, city.north_a)
    data = {"received_on": "2024-01-01", "value": "-1", "source": "charity", "description": "米面"}
    response = _post(client, people.north_staff, "wishes:aid_record", wish.pk, data)
    assert response.status_code == 400 and 'value="米面"' in response.text
    assert "Ensure this value is greater than or equal to 0.01." in response.text
    assert not AidRecord.objects.exists()


# --- The formula ------------------------------------------------------------------------


def _weights_data(**extra):
    from wishes.need_index import DEFAULT_WEIGHTS

    data = {}
    for key, value in DEFAULT_WEIGHTS.items():
        if isinstance(value, dict):
            for sub, number in value.items():
                data[f"{key}__{sub}"] = str(number)
        else:
            data[key] = str(value)
    data["note"] = "提高残疾权重"
    data.update(extra)
    return data


def test_formula_page_for_every_staff_role(client, city, people, more, english):
    for user in (people.north_staff, people.north_reviewer, more.supervisor, more.admin):
        client.force_login(user)
        response = client.get(reverse("wishes:formula"))
        assert response.status_code == 200 and "Weights in force (version 1)" in response.text
        assert ('name="note"' in response.text) == (user == more.admin)
    client.force_login(people.resident)
    assert client.get(reverse("wishes:formula")).status_code == 404


def test_formula_publish_by_city_admin(
    client, city, people, more, django_capture_on_commit_callbacks
):
    from wishes.models import NeedIndexFormula

    wish = make_wish(people.north_staff, city.north_a)
    data = _weights_data(disability__1="25", income_gap="35.5")
    assert _post_formula(client, people.north_reviewer, data).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_formula(client, more.admin, data)
    assert response.status_code == 302
    formula = NeedIndexFormula.objects.current()
    assert formula.version == 2 and formula.weights["disability"]["1"] == 25
    assert formula.weights["income_gap"] == "35.5" and formula.note == "提高残疾权重"
    assert formula.weights["minimum_living_standard"] == "1330.00"
    wish.refresh_from_db()
    assert wish.need_index_version == 2


def _post_formula(client, user, data):
    client.force_login(user)
    return client.post(reverse("wishes:formula"), data)


def test_formula_bad_input_is_400_and_keeps_it(client, city, people, more, english):
    from wishes.models import NeedIndexFormula

    services.formula_current()
    response = _post_formula(client, more.admin, _weights_data(aid_cap="-2", note=""))
    assert response.status_code == 400
    assert "Please say what changed and why." in response.text
    assert 'value="-2"' in response.text
    assert NeedIndexFormula.objects.count() == 1
