"""Counting one agenda item: quorum first, then the council's majority rule, in integers."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from projects.counting import count_result
from projects.models import ItemResult, MajorityRule

PASSED, REJECTED, NO_QUORUM = ItemResult.PASSED, ItemResult.REJECTED, ItemResult.NO_QUORUM
S, A, T = MajorityRule.SIMPLE, MajorityRule.ABSOLUTE, MajorityRule.TWO_THIRDS


def result(f, a, x, *, electorate=10, quorum=50, majority=S):
    return count_result(
        votes_for=f,
        votes_against=a,
        votes_abstain=x,
        electorate=electorate,
        quorum_percent=quorum,
        majority=majority,
    )


@pytest.mark.parametrize(
    ("votes", "kwargs", "expected"),
    [
        # Quorum not met: 4 of 10 voted, 50 percent needed.
        ((4, 0, 0), {}, NO_QUORUM),
        # Exactly the quorum: 5 of 10.
        ((3, 2, 0), {}, PASSED),
        # Quorum with rounding: 50 percent of 5 members needs 3 votes (2.5 rounds up).
        ((2, 0, 0), {"electorate": 5}, NO_QUORUM),
        ((2, 1, 0), {"electorate": 5}, PASSED),
        # Nobody entitled to vote: never a quorum.
        ((0, 0, 0), {"electorate": 0}, NO_QUORUM),
        ((0, 0, 0), {"electorate": 10}, NO_QUORUM),
        # A tie fails under the simple rule.
        ((3, 3, 0), {}, REJECTED),
        # Simple: abstentions do not count against.
        ((2, 1, 4), {}, PASSED),
        # Absolute: more than half of the votes cast, abstentions included.
        ((2, 1, 4), {"majority": A}, REJECTED),
        ((4, 1, 2), {"majority": A}, PASSED),
        ((3, 0, 3), {"majority": A}, REJECTED),  # exactly half is not more than half
        # Two thirds: at least two thirds of the votes cast.
        ((4, 2, 0), {"majority": T}, PASSED),  # exactly two thirds
        ((3, 2, 0), {"majority": T}, REJECTED),
        ((6, 1, 2), {"majority": T}, PASSED),
        ((5, 1, 3), {"majority": T}, REJECTED),
        # All abstain: quorum met, nothing passes.
        ((0, 0, 6), {}, REJECTED),
        ((0, 0, 6), {"majority": A}, REJECTED),
        ((0, 0, 6), {"majority": T}, REJECTED),
        # Full quorum rule: 100 percent needs everyone.
        ((9, 0, 0), {"quorum": 100}, NO_QUORUM),
        ((10, 0, 0), {"quorum": 100}, PASSED),
    ],
)
def test_named_cases(votes, kwargs, expected):
    assert result(*votes, **kwargs) == expected


def test_unknown_rule_and_negative_counts_are_refused():
    with pytest.raises(ValueError):
        result(1, 0, 0, majority="plurality")
    with pytest.raises(ValueError):
        result(-1, 0, 0)


counts = st.integers(min_value=0, max_value=60)


@given(
    f=counts,
    a=counts,
    x=counts,
    electorate=st.integers(min_value=0, max_value=200),
    quorum=st.integers(min_value=1, max_value=100),
    majority=st.sampled_from([S, A, T]),
)
def test_matches_the_rules_as_written(f, a, x, electorate, quorum, majority):
    cast = f + a + x
    got = result(f, a, x, electorate=electorate, quorum=quorum, majority=majority)
    if electorate == 0 or cast / electorate * 100 < quorum - 1e-9:
        assert got == NO_QUORUM
        return
    share = f / cast
    passed = {S: f > a, A: share > 0.5, T: share >= 2 / 3 - 1e-12}[majority]
    assert got == (PASSED if passed else REJECTED)


@given(f=counts, a=counts, x=counts, electorate=st.integers(1, 200), quorum=st.integers(1, 100))
def test_stricter_rules_never_pass_what_looser_ones_reject(f, a, x, electorate, quorum):
    """Two thirds implies absolute implies simple."""
    by_rule = {
        m: result(f, a, x, electorate=electorate, quorum=quorum, majority=m) for m in (S, A, T)
    }
    if by_rule[T] == PASSED:
        assert by_rule[A] == PASSED
    if by_rule[A] == PASSED:
        assert by_rule[S] == PASSED
    # Quorum does not depend on the rule.
    assert len({r == NO_QUORUM for r in by_rule.values()}) == 1


@given(f=counts, a=counts, x=counts, electorate=st.integers(1, 200), quorum=st.integers(1, 100))
def test_one_more_vote_for_never_turns_a_pass_into_a_fail(f, a, x, electorate, quorum):
    for m in (S, A, T):
        before = result(f, a, x, electorate=electorate, quorum=quorum, majority=m)
        after = result(f + 1, a, x, electorate=electorate, quorum=quorum, majority=m)
        if before == PASSED:
            assert after == PASSED
