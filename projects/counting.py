"""Counting a council's vote on one agenda item: pure integer arithmetic, no database."""

from projects.models import ItemResult, MajorityRule


def count_result(
    *,
    votes_for: int,
    votes_against: int,
    votes_abstain: int,
    electorate: int,
    quorum_percent: int,
    majority: str,
) -> ItemResult:
    """The result of one item from its counts and the council's rules.

    Quorum: the votes cast (abstentions included) reach *quorum_percent* of the
    *electorate*; with nobody entitled to vote there is no quorum. Majorities: SIMPLE, more
    for than against (a tie fails); ABSOLUTE, more than half of the votes cast;
    TWO_THIRDS, at least two thirds of the votes cast.

    Raises:
        ValueError: a negative count or an unknown majority rule.
    """
    if min(votes_for, votes_against, votes_abstain, electorate, quorum_percent) < 0:
        raise ValueError("counts cannot be negative")
    if majority not in MajorityRule.values:
        raise ValueError(f"unknown majority rule {majority!r}")
    cast = votes_for + votes_against + votes_abstain
    if electorate == 0 or cast == 0 or cast * 100 < quorum_percent * electorate:
        return ItemResult.NO_QUORUM
    if majority == MajorityRule.SIMPLE:
        passed = votes_for > votes_against
    elif majority == MajorityRule.ABSOLUTE:
        passed = votes_for * 2 > cast
    else:  # two thirds
        passed = votes_for * 3 >= cast * 2
    return ItemResult.PASSED if passed else ItemResult.REJECTED
