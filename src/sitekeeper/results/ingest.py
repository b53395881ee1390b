"""Ingest batches of observations: store them, run the pure state engine, write states and
flips — one transaction per batch, idempotent per (collector_id, seq).

Synchronous on purpose (SQLAlchemy sessions); the async sink runs it in a worker thread.

Ingest is the hottest write path, so it writes through SQLAlchemy Core (one executemany per
table, the values' JSON encoded once here), keeps each check's baseline as an incremental
window, and rewrites a check's whole state row only when the engine's state changed: a check
that stays as it was gets a small UPDATE of its latest result (time, latency, values, error,
reason, baseline). Results go to the plain `results` table; the retention pass packs them
per check and hour (results.retention).
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import orjson
from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.orm import Session

from sitekeeper.checks.specs_passive import PASSIVE_TYPES
from sitekeeper.db import models as m
from sitekeeper.db.upsert import upsert
from sitekeeper.observation import Observation
from sitekeeper.results.catalog import Catalog, load_catalog
from sitekeeper.state.baseline import Window
from sitekeeper.state.classify import classify
from sitekeeper.state.device import device_status
from sitekeeper.state.engine import evaluate
from sitekeeper.state.model import (
    CheckState,
    CheckStatus,
    DeviceStatus,
    Flip,
    Policy,
    StateType,
)

log = logging.getLogger(__name__)

_LETTER = {
    CheckStatus.OK: "O",
    CheckStatus.WARN: "W",
    CheckStatus.CRIT: "C",
    CheckStatus.UNKNOWN: "U",
}
_FROM_LETTER = {v: k for k, v in _LETTER.items()}

_RESULT_COLUMNS = 'client_id, check_id, at, status, latency_ms, "values", error'


def encode_json(value: object) -> str:
    """JSON text for a result's values (or a baseline), as the column type would store it:
    orjson, about ten times json.dumps on this path (one call per result), falling back to
    json.dumps for anything orjson refuses (a key that is not text, an integer past 64 bits).
    NaN and infinities, which JSON has no words for, are stored as null."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(_finite(value))


def _finite(value: object) -> object:
    """`value` with NaN and infinities as None (json.dumps would write NaN, which is not JSON
    and which PostgreSQL's json type refuses)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _insert_results_sql(conn: Connection) -> str:
    """The INSERT of a result row in the driver's own parameter style: rows go to the
    driver's executemany as tuples, their values' JSON encoded here (`encode_json`, as
    the column type would), with nothing per row in between."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    marks = ", ".join([mark] * 7)
    return f"INSERT INTO results ({_RESULT_COLUMNS}) VALUES ({marks})"  # noqa: S608


# A check's baseline is saved with its state when the state changes, and otherwise once it
# has moved this many latencies: after a restart the window may lack the latest few (of 60),
# which barely moves a median, and most batches write no 60-number JSON per check.
SAVE_BASELINE_EVERY = 15

_POLICIES: dict[int, Policy] = {}


def _policy(max_attempts: int) -> Policy:
    found = _POLICIES.get(max_attempts)
    if found is None:
        found = _POLICIES[max_attempts] = Policy(max_attempts=max_attempts)
    return found


def _latest_sql(conn: Connection, *, baseline: bool) -> str:
    """The UPDATE of a check whose engine state did not change: its latest result's time,
    latency, values (JSON), error and reason, its flap history (a check's first 21 results
    each lengthen it) and its baseline (JSON) when it is due."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    columns = [
        "last_result_at",
        "latency_ms",
        '"values"',
        "error",
        "reason",
        "history",
        "percent_change",
    ]
    if baseline:
        columns.append("baseline")
    sets = ", ".join(f"{c} = {mark}" for c in columns)
    return f"UPDATE check_states SET {sets} WHERE check_id = {mark}"  # noqa: S608


@dataclass(frozen=True, slots=True)
class Envelope:
    """An observation as sent by a collector: its id and sequence make ingest idempotent."""

    collector_id: str
    seq: int
    observation: Observation


@dataclass
class IngestReport:
    stored: int = 0
    duplicates: int = 0
    unknown_checks: int = 0
    flips: list[Flip] = field(default_factory=list)


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
        "history": "".join(_LETTER[s] for s in state.history),
        "reason": reason,
        "latency_ms": obs.latency_ms,
        "values": _finite(dict(obs.values)),  # JSON has no NaN (PostgreSQL refuses it)
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


def _same_engine_state(a: CheckState, b: CheckState) -> bool:
    """Equal but for the time of the latest result and the flap history's contents (both
    go out with the small UPDATE of every result; whether there is a history at all tells
    a device's checks that have reported from those still pending)."""
    return (
        a.status is b.status
        and a.state_type is b.state_type
        and a.attempt == b.attempt
        and a.hard_status is b.hard_status
        and a.since == b.since
        and a.hard_since == b.hard_since
        and a.flapping == b.flapping
        and bool(a.history) == bool(b.history)
    )


class Ingestor:
    """Holds the catalog and the engine's states in memory; the database is the record."""

    def __init__(
        self,
        engine: Engine,
        credentials: Callable[[Session], Mapping[str, Mapping[str, str]]] | None = None,
    ) -> None:
        self._engine = engine
        self._credentials = credentials
        self._lock = threading.Lock()
        self.catalog = Catalog({}, {}, {})
        self._states: dict[int, CheckState] = {}
        self._baselines: dict[int, Window] = {}
        self._saved: dict[int, int] = {}  # check id -> its window's `added` when last saved
        self._reasons: dict[int, str] = {}  # check id -> its latest reason (for device reasons)
        # device id -> (status, reason, since): what device_states says
        self._devices: dict[int, tuple[DeviceStatus, str, float]] = {}

    def refresh(self) -> None:
        """(Re)load the catalog and states from the store, e.g. after an inventory apply."""
        with self._lock, Session(self._engine) as session:
            creds = self._credentials(session) if self._credentials is not None else None
            self.catalog = load_catalog(session, credentials=creds)
            rows = list(session.scalars(select(m.CheckState)))
            self._states = {row.check_id: row_to_state(row) for row in rows}
            self._baselines = {row.check_id: Window(row.baseline or ()) for row in rows}
            self._saved = {}
            self._reasons = {row.check_id: row.reason or "" for row in rows}
            self._devices = {
                row.device_id: (DeviceStatus(row.status), row.reason or "", row.since)
                for row in session.scalars(select(m.DeviceState))
            }

    def high_water_mark(self, collector_id: str) -> int:
        with Session(self._engine) as session:
            row = session.get(m.Collector, collector_id)
            return row.last_seq if row else 0

    def ingest(self, batch: Sequence[Envelope]) -> IngestReport:
        with self._lock:
            return self._ingest(batch)

    def _ingest(self, batch: Sequence[Envelope]) -> IngestReport:
        report = IngestReport()
        if not batch:
            return report
        catalog = self.catalog
        states = dict(self._states)
        baselines = self._baselines
        windows: dict[int, Window] = {}  # this batch's copies: the originals follow the commit
        reasons = dict(self._reasons)
        devices = dict(self._devices)
        results: list[tuple[object, ...]] = []
        # check id -> its last result, reason and values' JSON ("null" for none)
        latest: dict[int, tuple[Observation, str, str]] = {}
        touched_devices: set[int] = set()
        dumps = encode_json
        with Session(self._engine) as session, session.begin():
            marks = self._lock_marks(session, {e.collector_id for e in batch})
            seqs = {cid: mark.last_seq for cid, mark in marks.items()}
            for env in sorted(batch, key=lambda e: (e.collector_id, e.seq)):
                if env.seq <= seqs[env.collector_id]:
                    report.duplicates += 1
                    continue
                seqs[env.collector_id] = env.seq
                obs = env.observation
                check_id = obs.check_id
                info = catalog.checks.get(check_id)
                if info is None:
                    report.unknown_checks += 1  # retired while the probe ran
                    continue
                status, reason = classify(obs, info.spec)
                if obs.ok and obs.latency_ms is not None:
                    window = windows.get(check_id)
                    if window is None:
                        known = baselines.get(check_id)
                        window = windows[check_id] = known.copy() if known else Window()
                    if status is CheckStatus.OK and info.spec.baseline:
                        verdict = window.unusual(obs.latency_ms)
                        if verdict is not None:  # online but uneven
                            status, reason = CheckStatus.WARN, verdict.reason(obs.latency_ms)
                    window.add(obs.latency_ms)
                values_json = dumps(dict(obs.values) or None)
                results.append(
                    (
                        info.client_id,
                        check_id,
                        obs.at,
                        status.value,
                        obs.latency_ms,
                        values_json,
                        obs.error,
                    )
                )
                policy = _policy(info.spec.max_attempts)
                state, flips = evaluate(
                    states.get(check_id), status, reason, policy, obs.at, check_id
                )
                states[check_id] = state
                reasons[check_id] = "" if status is CheckStatus.OK else reason
                latest[check_id] = (obs, reason, values_json)
                if flips:
                    report.flips.extend(flips)
                touched_devices.add(info.device_id)
            changed = self._changed(states, reasons, latest)
            # A device's status follows its checks' engine states and reasons only: when none
            # of those changed, neither did the device (unless it has no status yet).
            dirty = {catalog.checks[c].device_id for c in changed}
            dirty |= {d for d in touched_devices if d not in devices}
            device_rows, device_flips = self._devices_after(
                dirty, catalog, states, reasons, devices, batch
            )
            report.flips.extend(device_flips)
            for cid, mark in marks.items():
                mark.last_seq = seqs[cid]
            conn = session.connection()
            if results:
                conn.exec_driver_sql(_insert_results_sql(conn), results)
            saved = self._write_states(conn, catalog, states, latest, windows, changed)
            upsert(conn, m.DeviceState, device_rows, ["device_id"])
            if report.flips:
                conn.execute(
                    insert(m.Flip),  # through the Connection: Core, not the ORM
                    [
                        {
                            "client_id": self._client_of(f, catalog),
                            "subject": f.subject,
                            "subject_id": f.subject_id,
                            "old": f.old,
                            "new": f.new,
                            "hard": f.hard,
                            "reason": f.reason,
                            "at": f.at,
                        }
                        for f in report.flips
                    ],
                )
            report.stored = len(results)
        # Only after the commit: the in-memory states follow the record, never lead it.
        self._states = states
        if windows:
            self._baselines = {**baselines, **windows}
            self._saved = {**self._saved, **saved}
        self._reasons = reasons
        self._devices = devices
        return report

    def _changed(
        self,
        states: dict[int, CheckState],
        reasons: dict[int, str],
        latest: dict[int, tuple[Observation, str, str]],
    ) -> set[int]:
        """The checks of this batch whose engine state or reason is not what it was."""
        before, said = self._states, self._reasons
        out: set[int] = set()
        for check_id in latest:
            old = before.get(check_id)
            if (
                old is None
                or not _same_engine_state(old, states[check_id])
                or said.get(check_id) != reasons[check_id]
            ):
                out.add(check_id)
        return out

    def _write_states(
        self,
        conn: Connection,
        catalog: Catalog,
        states: dict[int, CheckState],
        latest: dict[int, tuple[Observation, str, str]],
        windows: dict[int, Window],
        changed: set[int],
    ) -> dict[int, int]:
        """Upsert the state rows of the `changed` checks; for the others (most of them)
        update only the latest result's columns, and the baseline when it is due. Returns
        the windows' `added` counts as saved now."""
        saved_before = self._saved
        saved: dict[int, int] = {}
        full: list[dict[str, object]] = []
        same: list[tuple[object, ...]] = []
        same_with_baseline: list[tuple[object, ...]] = []
        dumps = encode_json
        for check_id, (obs, reason, values_json) in latest.items():
            state = states[check_id]
            window = windows.get(check_id)
            if check_id in changed:
                info = catalog.checks[check_id]
                known = window or self._baselines.get(check_id)
                baseline = known.latencies() if known is not None else ()
                full.append(state_to_row(check_id, info.client_id, state, obs, reason, baseline))
                if window is not None:
                    saved[check_id] = window.added
                continue
            values = "{}" if values_json == "null" else values_json  # the state keeps {} for none
            history = "".join([_LETTER[x] for x in state.history])
            row = (
                state.last_result_at,
                obs.latency_ms,
                values,
                obs.error,
                reason,
                history,
                state.percent_change,
            )
            if window is not None and window.added - saved_before.get(check_id, 0) >= (
                SAVE_BASELINE_EVERY
            ):
                saved[check_id] = window.added
                same_with_baseline.append((*row, dumps(list(window.latencies())), check_id))
            else:
                same.append((*row, check_id))
        upsert(conn, m.CheckState, full, ["check_id"])
        if same:
            conn.exec_driver_sql(_latest_sql(conn, baseline=False), same)
        if same_with_baseline:
            conn.exec_driver_sql(_latest_sql(conn, baseline=True), same_with_baseline)
        return saved

    def _lock_marks(self, session: Session, collector_ids: set[str]) -> dict[str, m.Collector]:
        marks: dict[str, m.Collector] = {}
        for cid in sorted(collector_ids):
            row = session.scalar(select(m.Collector).where(m.Collector.id == cid).with_for_update())
            if row is None:
                row = m.Collector(id=cid, last_seq=0)
                session.add(row)
            marks[cid] = row
        return marks

    def _devices_after(
        self,
        touched: set[int],
        catalog: Catalog,
        states: dict[int, CheckState],
        reasons: dict[int, str],
        devices: dict[int, tuple[DeviceStatus, str, float]],
        batch: Sequence[Envelope],
    ) -> tuple[list[dict[str, object]], list[Flip]]:
        now = max(e.observation.at for e in batch)
        rows: list[dict[str, object]] = []
        flips: list[Flip] = []
        for device_id in sorted(touched):
            ids = catalog.device_checks.get(device_id, [])
            named = [(catalog.checks[c].name, states.get(c)) for c in ids]
            passive = {
                catalog.checks[c].name for c in ids if catalog.checks[c].spec.type in PASSIVE_TYPES
            }
            words = {catalog.checks[c].name: reasons.get(c, "") for c in ids}
            status, reason = device_status(named, passive, words)
            known = devices.get(device_id)
            before = known[0] if known else None
            if known is not None and known[0] == status and known[1] == reason:
                continue
            if before == status and known is not None:
                since = known[2]  # same status, new reason (e.g. one more check reported)
            else:
                since_states = [s.hard_since for _, s in named if s is not None]
                since = max(since_states) if since_states else now
            devices[device_id] = (status, reason, since)
            rows.append(
                {
                    "device_id": device_id,
                    "client_id": catalog.device_client[device_id],
                    "status": status.value,
                    "since": since,
                    "reason": reason,
                    "updated_at": now,
                }
            )
            if before == status or (before is None and status is DeviceStatus.UNKNOWN):
                continue  # a new reason, or a first "no data yet": no transition
            flips.append(
                Flip(
                    subject="device",
                    subject_id=device_id,
                    old=(before or DeviceStatus.UNKNOWN).value,
                    new=status.value,
                    hard=True,
                    reason=reason,
                    at=since,
                )
            )
        return rows, flips

    @staticmethod
    def _client_of(flip: Flip, catalog: Catalog) -> int:
        if flip.subject == "device":
            return catalog.device_client[flip.subject_id]
        return catalog.checks[flip.subject_id].client_id
