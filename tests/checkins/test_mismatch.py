"""The classifier over every pair of readings (9 x 9), against the rule written out."""

import itertools

import pytest

from checkins.mismatch import Mismatch, Pattern, Reading, classify

STATES = ["regulated", "activated", "shutdown"]
NEEDS = ["connect", "space", "none"]
READINGS = [Reading(s, n) for s in STATES for n in NEEDS]


def expected(a: Reading, b: Reading) -> Mismatch | None:
    a_pursues = a.state == "activated" and a.need == "connect"
    b_pursues = b.state == "activated" and b.need == "connect"
    a_withdraws = a.state == "shutdown" or a.need == "space"
    b_withdraws = b.state == "shutdown" or b.need == "space"
    if a_pursues and b_withdraws:
        return Mismatch(Pattern.PURSUE_WITHDRAW, pursuer=0)
    if b_pursues and a_withdraws:
        return Mismatch(Pattern.PURSUE_WITHDRAW, pursuer=1)
    if a.state == "activated" and b.state == "activated":
        return Mismatch(Pattern.MUTUAL_ESCALATION)
    if a.state == "shutdown" and b.state == "shutdown":
        return Mismatch(Pattern.MUTUAL_WITHDRAWAL)
    return None


@pytest.mark.parametrize("a,b", list(itertools.product(READINGS, READINGS)))
def test_every_pair_of_readings(a, b):
    assert classify(a, b) == expected(a, b)


@pytest.mark.parametrize("a,b", list(itertools.product(READINGS, READINGS)))
def test_the_order_of_partners_only_swaps_the_roles(a, b):
    one, other = classify(a, b), classify(b, a)
    assert (one is None) == (other is None)
    if one is not None:
        assert one.pattern == other.pattern
        if one.pursuer is not None:
            assert other.pursuer == 1 - one.pursuer


def test_counts_over_the_whole_space():
    results = [classify(a, b) for a, b in itertools.product(READINGS, READINGS)]
    counts = {p: sum(1 for r in results if r and r.pattern == p) for p in Pattern}
    # pursuer readings: activated+connect (1 of 9); withdrawer readings: shutdown (3) or
    # space (+2 more) = 5 of 9. Pairs either way round, minus none overlapping: 2 * 5 = 10.
    assert counts[Pattern.PURSUE_WITHDRAW] == 10
    # both activated: 9 pairs of needs, minus the 2 that are pursue/withdraw (connect
    # against space, either way round).
    assert counts[Pattern.MUTUAL_ESCALATION] == 9 - 2
    # both shut down: 9 pairs, none of which has a pursuer.
    assert counts[Pattern.MUTUAL_WITHDRAWAL] == 9
    assert results.count(None) == 81 - 10 - 7 - 9


def test_regulated_pairs_never_flag():
    for a, b in itertools.product(READINGS, READINGS):
        if a.state == b.state == "regulated":
            assert classify(a, b) is None


def test_withdrawal_is_named_by_need_too():
    pursuer = Reading("activated", "connect")
    assert classify(pursuer, Reading("regulated", "space")).pattern == Pattern.PURSUE_WITHDRAW
    assert classify(pursuer, Reading("regulated", "none")) is None
    assert classify(Reading("activated", "connect"), Reading("shutdown", "connect")).pursuer == 0
