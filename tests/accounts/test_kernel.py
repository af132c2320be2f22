"""The shared kernel: money, working days, transitions, domain errors."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from accounts import workdays
from accounts.errors import InvalidTransition, LinliError
from accounts.models import AuditEvent, CalendarOverride, InvitationStatus
from accounts.money import format_cny, from_fen, money, to_fen
from accounts.services import INVITATION

# --- Money ------------------------------------------------------------------------------


def test_money_quantizes_half_up_to_two_places():
    assert money("12.345") == Decimal("12.35")
    assert money(7) == Decimal("7.00")
    assert money(Decimal("0.005")) == Decimal("0.01")


def test_money_refuses_float_and_nonsense():
    with pytest.raises(TypeError):
        money(0.1)
    with pytest.raises(ValueError):
        money("ten yuan")
    with pytest.raises(ValueError):
        money("NaN")


def test_fen_conversion_examples():
    assert to_fen(Decimal("12.34")) == 1234
    assert to_fen("0.01") == 1
    assert from_fen(1234) == Decimal("12.34")
    with pytest.raises(TypeError):
        from_fen(12.5)


@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_fen_round_trip(fen):
    assert to_fen(from_fen(fen)) == fen


@given(st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2))
def test_yuan_round_trip(amount):
    assert from_fen(to_fen(amount)) == amount


def test_format_cny_groups_digits():
    assert format_cny(Decimal("1234.5")) == "¥1,234.50"


# --- Working days -----------------------------------------------------------------------


@pytest.mark.django_db
def test_five_working_days_after_national_day_eve():
    # 1–7 Oct 2026 are off; Saturday 10 Oct is a make-up working day.
    assert workdays.add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 13)


@pytest.mark.django_db
def test_make_up_saturday_and_holiday_are_known():
    assert workdays.is_working_day(date(2026, 10, 10)) is True  # Saturday, make-up day
    assert workdays.is_working_day(date(2026, 10, 5)) is False  # National Day week
    assert workdays.is_working_day(date(2026, 11, 21)) is False  # ordinary Saturday
    assert workdays.is_working_day(date(2026, 11, 23)) is True


@pytest.mark.django_db
def test_zero_days_is_the_same_day_and_negative_is_refused():
    assert workdays.add_working_days(date(2026, 11, 20), 0) == date(2026, 11, 20)
    with pytest.raises(ValueError):
        workdays.add_working_days(date(2026, 11, 20), -1)


@pytest.mark.django_db
def test_override_table_wins_over_the_library():
    # Given a Monday declared a day off and the Saturday before declared a working day
    CalendarOverride.objects.create(date=date(2027, 3, 1), is_working_day=False, note="test")
    CalendarOverride.objects.create(date=date(2027, 2, 27), is_working_day=True, note="test")
    # Then counting from Friday 26 Feb: Sat 27 (1), Tue 2 Mar (2)
    assert workdays.add_working_days(date(2027, 2, 26), 2) == date(2027, 3, 2)
    assert workdays.is_working_day(date(2027, 3, 1)) is False
    assert workdays.working_days_between(date(2027, 2, 26), date(2027, 3, 2)) == 2


@pytest.mark.django_db
def test_add_working_days_costs_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        workdays.add_working_days(date(2026, 9, 30), 20)


@pytest.mark.django_db
def test_working_days_between_matches_add():
    start = date(2026, 9, 25)
    for n in range(0, 30):
        assert workdays.working_days_between(start, workdays.add_working_days(start, n)) == n
    assert workdays.working_days_between(start, start - timedelta(days=3)) == 0


# --- Transitions and errors -------------------------------------------------------------


def test_domain_error_formats_translated_message(english):
    error = InvalidTransition(current="accepted")
    assert str(error) == "This cannot be done while it is accepted."
    with translation.override("zh-hans"):
        assert str(error) == "当前状态为“accepted”，无法执行此操作。"
    assert error.status == 409 and error.code == "invalid_transition"
    assert LinliError("custom", code="x").code == "x"


@pytest.mark.django_db
def test_workflow_refuses_a_move_not_in_the_table(invitation):
    # Given an accepted invitation (terminal)
    invitation.status = InvitationStatus.ACCEPTED
    # When it is moved again, the table refuses and nothing is recorded
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidTransition):
        INVITATION.move(invitation, InvitationStatus.REVOKED, actor=None)
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_workflow_records_who_when_from_to_and_why(invitation, superuser):
    event = INVITATION.move(
        invitation, InvitationStatus.REVOKED, actor=superuser, reason="sent by mistake"
    )
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
    assert event.verb == "invitation.revoked"
    assert event.actor == superuser and event.reason == "sent by mistake"
    assert event.data == {"from": "pending", "to": "revoked"}
    assert event.target_id == str(invitation.pk)
