"""Run a check timeline written as a table, and compare every row with what the engine did.

    t    result  status  type  attempt  hard  flips
    0    OK      OK      HARD  1        OK    -
    60   CRIT    CRIT    SOFT  1        OK    soft:OK>CRIT

Columns after `result` are optional and checked only when present: status, type, attempt,
hard (hard status), flapping (yes/no), pct (percent state change, 1 decimal) and flips: `-`
for none, else comma-separated `soft:OLD>NEW`, `hard:OLD>NEW` (hard status flips and flapping
start/stop, e.g. `hard:CRIT>FLAPPING`), in the order the engine returns them.
"""

from __future__ import annotations

from sitekeeper.state import CheckState, CheckStatus, Flip, Policy, evaluate

CHECK_ID = 7


def flip_token(flip: Flip) -> str:
    return f"{'hard' if flip.hard else 'soft'}:{flip.old}>{flip.new}"


def observed(column: str, state: CheckState, flips: list[Flip]) -> str:
    match column:
        case "status":
            return state.status.value
        case "type":
            return state.state_type.value
        case "attempt":
            return str(state.attempt)
        case "hard":
            return state.hard_status.value
        case "flapping":
            return "yes" if state.flapping else "no"
        case "pct":
            return f"{state.percent_change:.1f}"
        case "flips":
            return ",".join(flip_token(f) for f in flips) or "-"
    raise ValueError(f"unknown timeline column {column!r}")


def run_timeline(
    table: str, policy: Policy | None = None, prev: CheckState | None = None
) -> list[tuple[CheckState, list[Flip]]]:
    """Feed each row's result to the engine; assert every expected column, row by row."""
    lines = [line.split() for line in table.strip().splitlines() if line.strip()]
    header, rows = lines[0], lines[1:]
    assert header[:2] == ["t", "result"], header
    policy = policy or Policy()
    state, out = prev, []
    for row in rows:
        expect = dict(zip(header, row, strict=True))
        now = float(expect["t"])
        state, flips = evaluate(
            state, CheckStatus(expect["result"]), f"at {expect['t']}", policy, now, CHECK_ID
        )
        got = {c: observed(c, state, flips) for c in header[2:]}
        want = {c: expect[c] for c in header[2:]}
        assert got == want, f"at t={expect['t']}: got {got}, want {want}"
        for flip in flips:
            assert (flip.subject, flip.subject_id, flip.at) == ("check", CHECK_ID, now)
        out.append((state, flips))
    return out
