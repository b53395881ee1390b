"""Ingest batches of observations: store them, run the pure state engine, write states and
flips — one transaction per batch, idempotent per (collector_id, seq).

Synchronous on purpose (SQLAlchemy sessions); the async sink runs it in a worker thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from sitekeeper.checks.specs_passive import PASSIVE_TYPES
from sitekeeper.db import models as m
from sitekeeper.db.upsert import upsert
from sitekeeper.observation import Observation
from sitekeeper.results.catalog import Catalog, load_catalog
from sitekeeper.state.baseline import judge, remember
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
    baseline: tuple[float, ...] = (),
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
        "values": dict(obs.values),
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
        self._baselines: dict[int, tuple[float, ...]] = {}
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
            self._baselines = {row.check_id: tuple(row.baseline or ()) for row in rows}
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
        baselines = dict(self._baselines)
        reasons = dict(self._reasons)
        devices = dict(self._devices)
        results: list[dict[str, object]] = []
        state_rows: dict[int, dict[str, object]] = {}
        touched_devices: set[int] = set()
        with Session(self._engine) as session, session.begin():
            marks = self._lock_marks(session, {e.collector_id for e in batch})
            for env in sorted(batch, key=lambda e: (e.collector_id, e.seq)):
                mark = marks[env.collector_id]
                if env.seq <= mark.last_seq:
                    report.duplicates += 1
                    continue
                mark.last_seq = env.seq
                obs = env.observation
                info = catalog.checks.get(obs.check_id)
                if info is None:
                    report.unknown_checks += 1  # retired while the probe ran
                    continue
                status, reason = classify(obs, info.spec)
                history = baselines.get(obs.check_id, ())
                if obs.ok and obs.latency_ms is not None:
                    if status is CheckStatus.OK and info.spec.baseline:
                        verdict = judge(history, obs.latency_ms)
                        if verdict is not None and verdict.unusual:  # online but uneven
                            status, reason = CheckStatus.WARN, verdict.reason(obs.latency_ms)
                    history = remember(history, obs.latency_ms)
                    baselines[obs.check_id] = history
                results.append(
                    {
                        "client_id": info.client_id,
                        "check_id": obs.check_id,
                        "at": obs.at,
                        "status": status.value,
                        "latency_ms": obs.latency_ms,
                        "values": dict(obs.values) or None,
                        "error": obs.error,
                    }
                )
                policy = Policy(max_attempts=info.spec.max_attempts)
                state, flips = evaluate(
                    states.get(obs.check_id), status, reason, policy, obs.at, obs.check_id
                )
                states[obs.check_id] = state
                reasons[obs.check_id] = "" if status is CheckStatus.OK else reason
                state_rows[obs.check_id] = state_to_row(
                    obs.check_id, info.client_id, state, obs, reason, history
                )
                report.flips.extend(flips)
                touched_devices.add(info.device_id)
            device_rows, device_flips = self._devices_after(
                touched_devices, catalog, states, reasons, devices, batch
            )
            report.flips.extend(device_flips)
            if results:
                session.execute(insert(m.Result), results)
            conn = session.connection()
            upsert(conn, m.CheckState, list(state_rows.values()), ["check_id"])
            upsert(conn, m.DeviceState, device_rows, ["device_id"])
            if report.flips:
                session.execute(
                    insert(m.Flip),
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
        self._baselines = baselines
        self._reasons = reasons
        self._devices = devices
        return report

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
