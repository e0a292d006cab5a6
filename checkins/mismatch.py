"""The mismatch classifier: a pure function over two partners' current states.

The three stuck dialogues that Emotionally Focused Therapy describes, named after the cycle
and never after a culprit:

- pursue/withdraw: one partner is activated and reaching for connection (pursue) while the
  other is shut down, or needs space whatever their state (withdraw). Reaching out and
  stepping back are both ways of seeking safety.
- mutual escalation: both are activated.
- mutual withdrawal: both are shut down.

When more than one fits, pursue/withdraw wins: it is the most specific, and the one a pause
and a planned return help most with.
"""

from dataclasses import dataclass
from enum import StrEnum


class Pattern(StrEnum):
    PURSUE_WITHDRAW = "pursue_withdraw"
    MUTUAL_ESCALATION = "mutual_escalation"
    MUTUAL_WITHDRAWAL = "mutual_withdrawal"


@dataclass(frozen=True)
class Reading:
    """One partner's current state and need, as far as the classifier cares."""

    state: str
    need: str


@dataclass(frozen=True)
class Mismatch:
    pattern: Pattern
    # For pursue/withdraw: 0 if the first reading pursues, 1 if the second does.
    pursuer: int | None = None

    @property
    def withdrawer(self) -> int | None:
        return None if self.pursuer is None else 1 - self.pursuer


def _pursues(reading: Reading) -> bool:
    return reading.state == "activated" and reading.need == "connect"


def _withdraws(reading: Reading) -> bool:
    return reading.state == "shutdown" or reading.need == "space"


def classify(first: Reading, second: Reading) -> Mismatch | None:
    """The stuck pattern two current readings form, or None when there is none."""
    if _pursues(first) and _withdraws(second):
        return Mismatch(Pattern.PURSUE_WITHDRAW, pursuer=0)
    if _pursues(second) and _withdraws(first):
        return Mismatch(Pattern.PURSUE_WITHDRAW, pursuer=1)
    if first.state == second.state == "activated":
        return Mismatch(Pattern.MUTUAL_ESCALATION)
    if first.state == second.state == "shutdown":
        return Mismatch(Pattern.MUTUAL_WITHDRAWAL)
    return None


def describe(pattern: str, *, viewer_pursues: bool | None, partner: str) -> str:
    """The flag in plain words, from the viewer's side. It names the cycle, not a culprit."""
    if pattern == Pattern.PURSUE_WITHDRAW:
        if viewer_pursues:
            return f"You're reaching out; {partner} needs space right now."
        return f"You need some space; {partner} is reaching out right now."
    if pattern == Pattern.MUTUAL_ESCALATION:
        return f"You and {partner} are both activated right now."
    return f"You and {partner} have both shut down for now."
