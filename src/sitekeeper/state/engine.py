"""Results in, states and flips out: Nagios soft/hard semantics for one check.

Pure: no I/O, and `now` is a parameter. The rules (Nagios Core `base/checks.c`,
`handle_async_service_check_result()`):

- No previous state means HARD OK, attempt 1 (Nagios' initial state): the first result is
  judged against it, so a first CRIT is a soft problem like any other.
- A problem after OK is SOFT, attempt 1 (HARD at once when max_attempts is 1). Each further
  problem while SOFT adds an attempt, whatever the status; at max_attempts it is HARD. A
  problem while HARD keeps attempt = max_attempts.
- OK after a HARD problem is a hard recovery; OK after a SOFT problem is a soft recovery
  (hard status stays OK). Either way the stored state is then HARD OK, attempt 1, as Nagios
  resets it; the soft recovery survives as a Flip with hard=False.

Flips, in list order:
1. flapping start/stop, if any (see `sitekeeper.state.flapping` for the convention). It comes
   first because Nagios decides flapping before it notifies, so a consumer reading flips in
   order knows the check is flapping before it sees the transition that made it so.
2. at most one status flip: hard=True when `hard_status` changed (old/new are hard statuses,
   so, flapping flips aside, a check's hard flips chain OK -> X -> Y -> OK with no gaps),
   otherwise hard=False when `status` changed (soft problems, soft changes between problems,
   soft recoveries). Its reason is the one passed in (from `classify`).
"""

from __future__ import annotations

from sitekeeper.state import flapping
from sitekeeper.state.model import CheckState, CheckStatus, Flip, Policy, StateType

OK = CheckStatus.OK
_HARD = StateType.HARD
_STEADY_HISTORY = (OK,) * flapping.HISTORY_SIZE


def initial_state(now: float) -> CheckState:
    """What an unseen check is taken to be: HARD OK since `now`."""
    return CheckState(
        status=OK,
        state_type=StateType.HARD,
        attempt=1,
        hard_status=OK,
        since=now,
        hard_since=now,
        last_result_at=now,
    )


def evaluate(
    prev: CheckState | None,
    status: CheckStatus,
    reason: str,
    policy: Policy,
    now: float,
    check_id: int,
) -> tuple[CheckState, list[Flip]]:
    """Apply one classified result to a check's state."""
    if status is OK and prev is not None and steady_ok(prev, policy):
        return still_ok(prev, now), []
    before = prev if prev is not None else initial_state(now)
    state_type, attempt = _attempts(before, status, policy.max_attempts)
    hard_status = status if state_type is StateType.HARD else before.hard_status
    flap = flapping.update(
        flapping.FlapState(before.history, before.percent_change, before.flapping),
        status,
        state_type,
        policy,
    )
    state = CheckState(
        status=status,
        state_type=state_type,
        attempt=attempt,
        hard_status=hard_status,
        since=now if status != before.status else before.since,
        hard_since=now if hard_status != before.hard_status else before.hard_since,
        last_result_at=now,
        flapping=flap.flapping,
        percent_change=flap.percent_change,
        history=flap.history,
    )
    flips = [
        flip
        for flip in (
            flapping.flapping_flip(before.flapping, flap, status, policy, check_id, now),
            _status_flip(before, state, reason, check_id, now),
        )
        if flip is not None
    ]
    return state, flips


def steady_ok(prev: CheckState, policy: Policy) -> bool:
    """Hard OK with nothing but OK in its flap history: one more OK changes nothing but the
    time of the latest result (the history stays 21 OKs, 0% change, not flapping, no flip).
    Most results are this; `evaluate` answers them with `still_ok`, without the general
    rules, and ingest keeps a set of the checks in this state to skip even that."""
    return (
        prev.status is OK
        and prev.hard_status is OK
        and prev.state_type is StateType.HARD
        and prev.attempt == 1
        and not prev.flapping
        and prev.percent_change == 0.0
        and prev.history == _STEADY_HISTORY
        and policy.flap_low >= 0.0
    )


def still_ok(prev: CheckState, now: float) -> CheckState:
    """`evaluate` of an OK for a `steady_ok` state: the same state, its latest result at
    `now`. Applying it twice is applying the later time once."""
    # positional (in field order), as it runs once per steady check and batch: a third
    # faster than by keyword
    return CheckState(OK, _HARD, 1, OK, prev.since, prev.hard_since, now, False, 0.0, prev.history)


def _attempts(before: CheckState, status: CheckStatus, max_attempts: int) -> tuple[StateType, int]:
    if status is OK:
        return StateType.HARD, 1
    if before.status is OK:
        attempt = 1
    elif before.state_type is StateType.SOFT:
        attempt = min(before.attempt + 1, max_attempts)
    else:
        attempt = max_attempts  # a hard problem stays hard, even if max_attempts was raised
    return (StateType.HARD if attempt >= max_attempts else StateType.SOFT), attempt


def _status_flip(
    before: CheckState, after: CheckState, reason: str, check_id: int, now: float
) -> Flip | None:
    if after.hard_status != before.hard_status:
        old, new, hard = before.hard_status, after.hard_status, True
    elif after.status != before.status:
        old, new, hard = before.status, after.status, False
    else:
        return None
    return Flip(
        subject="check",
        subject_id=check_id,
        old=old.value,
        new=new.value,
        hard=hard,
        reason=reason,
        at=now,
    )
