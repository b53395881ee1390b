"""Flap detection, exactly as Nagios Core does it for services.

Source followed: Nagios Core `base/flapping.c`, `check_for_service_flapping()`, and the places
that feed it (`base/checks.c`, `handle_async_service_check_result()`; `common/objects.c`,
`add_service()`; `MAX_STATE_HISTORY_ENTRIES` in `include/objects.h`):

- Only hard states and soft recoveries are recorded: a result that leaves the check SOFT and
  non-OK returns early, before anything is recomputed. Every other result is recorded, so a
  check that stays hard CRIT records CRIT on every run.
- The history holds 21 states. Nagios seeds it with 21 OKs when the service is created, so
  before it is full the missing (older) entries count as OK; there is no "wait until full".
- Percent state change: walk the 21 entries oldest to newest; the change between entry x-1 and
  x (x = 1..20) weighs 0.75 + (x-1) * 0.5 / 19, so old changes count 0.75 and the newest 1.25;
  the sum * 100 / 20 is the percentage.
- percent <= low: not flapping; percent >= high: flapping; strictly in between: "undecided",
  the flapping flag keeps its previous value.
- With flap detection disabled the history and percentage are still kept up to date (Nagios 4
  moved the "enabled" test below the calculation) but the flag is cleared and never set, as in
  `handle_service_flap_detection_disabled()`.

Flip convention (what the incidents pipeline recognises, see `is_flapping_flip`):
flapping start is `Flip(subject="check", old=<status>, new="FLAPPING", hard=True, reason=
"flapping started (34.2% state change >= 20.0% threshold)")`; flapping stop is
`Flip(old="FLAPPING", new=<status>, hard=True, reason="flapping stopped (...)")`. They are hard
because, as in Nagios, they change what gets notified. Anything that follows a check's hard
status through its flips must skip these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from sitekeeper.state.model import CheckStatus, Flip, Policy, StateType

HISTORY_SIZE = 21  # MAX_STATE_HISTORY_ENTRIES
FLAPPING = "FLAPPING"
_LOW_CURVE, _HIGH_CURVE = 0.75, 1.25


@dataclass(frozen=True, slots=True)
class FlapState:
    """The flapping part of a CheckState."""

    history: tuple[CheckStatus, ...]
    percent_change: float
    flapping: bool


def is_recorded(status: CheckStatus, state_type: StateType) -> bool:
    """Nagios records hard states and soft recoveries, never soft problems."""
    return not (state_type is StateType.SOFT and status is not CheckStatus.OK)


# The weight of the change between entries x-1 and x, x = 1..20: the C loop's expression,
# evaluated once here (the same floats it gives on every pass).
_WEIGHTS = tuple(
    ((x - 1) * (_HIGH_CURVE - _LOW_CURVE)) / (HISTORY_SIZE - 2) + _LOW_CURVE
    for x in range(1, HISTORY_SIZE)
)


def percent_state_change(history: Sequence[CheckStatus]) -> float:
    """Weighted percent state change over the last 21 recorded states (oldest first).

    Same weights and summing order as the C loop, so results are bit-identical (a plain
    loop, because `sum()` compensates rounding since Python 3.12 and C does not). A check
    that is not steady computes it on every result, and the histories seen are few (an
    old problem moving through 21 OKs), so answers are remembered, a bounded number.
    """
    return _percent(tuple(history[-HISTORY_SIZE:]))


@lru_cache(maxsize=4096)
def _percent(recent: tuple[CheckStatus, ...]) -> float:
    padded = [CheckStatus.OK] * (HISTORY_SIZE - len(recent)) + list(recent)
    changes = 0.0
    for weight, before, after in zip(_WEIGHTS, padded[:-1], padded[1:], strict=True):
        if after != before:
            changes += weight
    return changes * 100.0 / (HISTORY_SIZE - 1)


def update(
    prev: FlapState, status: CheckStatus, state_type: StateType, policy: Policy
) -> FlapState:
    """Record one evaluated result (if Nagios would) and decide flapping."""
    recorded = is_recorded(status, state_type)
    history, percent = prev.history, prev.percent_change
    if recorded:
        history = (*prev.history, status)[-HISTORY_SIZE:]
        percent = percent_state_change(history)
    if not policy.flap_detection:
        flapping = False  # disabling clears the flag at once, recorded or not
    elif not recorded:
        flapping = prev.flapping
    elif percent <= policy.flap_low:
        flapping = False
    elif percent >= policy.flap_high:
        flapping = True
    else:
        flapping = prev.flapping  # undecided band
    return FlapState(history, percent, flapping)


def flapping_flip(
    was: bool, now_state: FlapState, status: CheckStatus, policy: Policy, check_id: int, at: float
) -> Flip | None:
    """The Flip for a start or stop of flapping, or None when nothing changed."""
    if was == now_state.flapping:
        return None
    pct = now_state.percent_change
    if now_state.flapping:
        why = f"flapping started ({pct:.1f}% state change >= {policy.flap_high:.1f}% threshold)"
        old, new = status.value, FLAPPING
    else:
        why = (
            f"flapping stopped ({pct:.1f}% state change <= {policy.flap_low:.1f}% threshold)"
            if policy.flap_detection
            else "flapping stopped (flap detection disabled)"
        )
        old, new = FLAPPING, status.value
    return Flip(
        subject="check", subject_id=check_id, old=old, new=new, hard=True, reason=why, at=at
    )


def is_flapping_flip(flip: Flip) -> bool:
    """True for the flapping start/stop flips, which are not status transitions."""
    return flip.subject == "check" and FLAPPING in (flip.old, flip.new)
