"""What ingest writes, as rows: results, check states (whole, or only the latest result's
columns) and their conversions to and from the engine's `CheckState`.

The hot tables are written through the driver: precompiled SQL text in the driver's own
parameter style (qmark for sqlite3, %s for psycopg) and one executemany of plain tuples,
the JSON encoded here (`encode_json`, as the column type would), with nothing per row in
between. Whole state rows (few per batch) go through SQLAlchemy's upsert.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from operator import itemgetter

import orjson
from sqlalchemy import Connection

from sitekeeper.db import models as m
from sitekeeper.db.upsert import upsert
from sitekeeper.observation import Observation
from sitekeeper.state.baseline import Window
from sitekeeper.state.engine import still_ok
from sitekeeper.state.flapping import HISTORY_SIZE
from sitekeeper.state.model import CheckState, CheckStatus, StateType

LETTER = {
    CheckStatus.OK: "O",
    CheckStatus.WARN: "W",
    CheckStatus.CRIT: "C",
    CheckStatus.UNKNOWN: "U",
}
_FROM_LETTER = {v: k for k, v in LETTER.items()}
_STEADY_HISTORY = (CheckStatus.OK,) * HISTORY_SIZE
_STEADY_TEXT = "O" * HISTORY_SIZE

# A check's baseline is saved with its state when the state changes, and otherwise once it
# has moved this many latencies: after a restart the window may lack the latest few (of 60),
# which barely moves a median, and most batches write no 60-number JSON per check.
SAVE_BASELINE_EVERY = 15

_RESULT_COLUMNS = 'client_id, check_id, at, status, latency_ms, "values", error'
_LATEST_COLUMNS = (
    "last_result_at",
    "latency_ms",
    '"values"',
    "error",
    "reason",
    "history",
    "percent_change",
)

# A check's latest result: the observation, its reason and its values' JSON ("null": none).
Latest = tuple[Observation, str, str]


def encode_json(value: object) -> str:
    """JSON text for a result's values (or a baseline), as the column type would store it:
    orjson, about ten times json.dumps on this path (one call per result), falling back to
    json.dumps for anything orjson refuses (a key that is not text, an integer past 64 bits).
    NaN and infinities, which JSON has no words for, are stored as null."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(finite(value))


def finite(value: object) -> object:
    """`value` with NaN and infinities as None (json.dumps would write NaN, which is not JSON
    and which PostgreSQL's json type refuses)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def history_text(history: Sequence[CheckStatus]) -> str:
    if history == _STEADY_HISTORY:  # most checks: compared in C, element by identity
        return _STEADY_TEXT
    return "".join([LETTER[s] for s in history])


def state_to_row(
    check_id: int,
    client_id: int,
    state: CheckState,
    obs: Observation,
    reason: str,
    baseline: Sequence[float] = (),
) -> dict[str, object]:
    return {
        "check_id": check_id,
        "client_id": client_id,
        "status": state.status.value,
        "state_type": state.state_type.value,
        "attempt": state.attempt,
        "hard_status": state.hard_status.value,
        "since": state.since,
        "hard_since": state.hard_since,
        "last_result_at": state.last_result_at,
        "flapping": state.flapping,
        "percent_change": state.percent_change,
        "history": history_text(state.history),
        "reason": reason,
        "latency_ms": obs.latency_ms,
        "values": finite(dict(obs.values)),  # JSON has no NaN (PostgreSQL refuses it)
        "error": obs.error,
        "baseline": list(baseline),
    }


def row_to_state(row: m.CheckState) -> CheckState:
    return CheckState(
        status=CheckStatus(row.status),
        state_type=StateType(row.state_type),
        attempt=row.attempt,
        hard_status=CheckStatus(row.hard_status),
        since=row.since,
        hard_since=row.hard_since,
        last_result_at=row.last_result_at,
        flapping=row.flapping,
        percent_change=row.percent_change,
        history=tuple(_FROM_LETTER[c] for c in row.history if c in _FROM_LETTER),
    )


def _mark(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


_CHECK, _AT = itemgetter(1), itemgetter(2)


def insert_results(conn: Connection, rows: Sequence[tuple[object, ...]]) -> None:
    """Rows of (client_id, check_id, at, status, latency_ms, values' JSON, error), inserted
    in the order of the (check_id, at) index: each insert then lands next to the one before
    in the index (a fifth less time on SQLite than in arrival order). Results of a check
    with the same time keep their order; readers order by (check_id, at)."""
    if rows:
        marks = ", ".join([_mark(conn)] * 7)
        sql = f"INSERT INTO results ({_RESULT_COLUMNS}) VALUES ({marks})"  # noqa: S608
        ordered = sorted(rows, key=_AT)  # two stable sorts: keys that are not tuples
        ordered.sort(key=_CHECK)
        conn.exec_driver_sql(sql, ordered)


def _latest_sql(conn: Connection, *, baseline: bool) -> str:
    """The UPDATE of a check whose engine state did not change: its latest result's time,
    latency, values (JSON), error and reason, its flap history (a check's first 21 results
    each lengthen it) and its baseline (JSON) when it is due."""
    mark = _mark(conn)
    columns = [*_LATEST_COLUMNS, "baseline"] if baseline else _LATEST_COLUMNS
    sets = ", ".join(f"{c} = {mark}" for c in columns)
    return f"UPDATE check_states SET {sets} WHERE check_id = {mark}"  # noqa: S608


def write_states(
    conn: Connection,
    clients: Mapping[int, int],
    states: Mapping[int, CheckState],
    seen: Mapping[int, float],
    latest: Iterable[tuple[int, Latest]],
    windows: Mapping[int, Window],
    moved: Mapping[int, Window],
    changed: set[int],
    saved_before: Mapping[int, int],
) -> dict[int, int]:
    """Upsert the state rows of the `changed` checks (`clients`: check id -> client id); for
    the others (most of them) update only the latest result's columns, and the baseline when
    its window (in `moved` when it took a latency in this batch) is due. A check's state is
    `still_ok(states[c], seen[c])` when it is in `seen` (see `ingest_batch`). Returns the
    windows' `added` counts as saved now."""
    saved: dict[int, int] = {}
    full: list[dict[str, object]] = []
    same: list[tuple[object, ...]] = []
    same_with_baseline: list[tuple[object, ...]] = []
    for check_id, (obs, reason, values_json) in latest:
        state = states[check_id]
        at = seen.get(check_id)
        window = moved.get(check_id)
        if check_id in changed:
            if at is not None:
                state = still_ok(state, at)
            known = window or windows.get(check_id)
            baseline = known.latencies() if known is not None else ()
            full.append(state_to_row(check_id, clients[check_id], state, obs, reason, baseline))
            if window is not None:
                saved[check_id] = window.added
            continue
        values = "{}" if values_json == "null" else values_json  # the state keeps {} for none
        if at is None:
            at = state.last_result_at
        change = state.percent_change
        history = history_text(state.history)
        if window is None or window.added - saved_before.get(check_id, 0) < SAVE_BASELINE_EVERY:
            same.append((at, obs.latency_ms, values, obs.error, reason, history, change, check_id))
            continue
        saved[check_id] = window.added
        latencies = encode_json(window.latencies())
        same_with_baseline.append(
            (at, obs.latency_ms, values, obs.error, reason, history, change, latencies, check_id)
        )
    upsert(conn, m.CheckState, full, ["check_id"])
    if same:
        conn.exec_driver_sql(_latest_sql(conn, baseline=False), same)
    if same_with_baseline:
        conn.exec_driver_sql(_latest_sql(conn, baseline=True), same_with_baseline)
    return saved
