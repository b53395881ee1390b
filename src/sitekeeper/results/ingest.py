"""Ingest batches of observations: store them, run the pure state engine, write states and
flips — one transaction per batch, idempotent per (collector_id, seq).

Synchronous on purpose (SQLAlchemy connections); the async sink runs it in a worker thread.

Ingest is the hottest write path. In each batch's transaction the collectors' high-water
marks are locked and the sequence numbers already stored skipped; `ingest_batch.Batch`
judges the rest in memory (classify, baselines, `evaluate`), noting only the time of a
result that leaves a check steady OK (no new state per result, nor per batch: the ingestor
keeps that time in `_seen` beside the check's state); then the rows go out (`ingest_rows`):
results to the plain `results` table in one executemany through the driver, a whole state
row only for a check whose engine state or reason changed, and for the others (most) one
small UPDATE of the latest result per check and batch (time, latency, values, error, reason,
and the baseline when it is due); device states, flips and the high-water marks last. The
in-memory states follow the commit; a batch that fails leaves them as they were. Results
are packed per check and hour later by the retention pass (results.retention).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.orm import Session

from sitekeeper.checks.specs_passive import PASSIVE_TYPES
from sitekeeper.db import models as m
from sitekeeper.db.upsert import upsert
from sitekeeper.observation import Observation
from sitekeeper.results.catalog import Catalog, load_catalog
from sitekeeper.results.ingest_batch import Batch, Plan, plans_for, state_now, steady_checks
from sitekeeper.results.ingest_rows import (
    SAVE_BASELINE_EVERY,
    insert_results,
    row_to_state,
    write_states,
)
from sitekeeper.state.baseline import Window
from sitekeeper.state.device import device_status
from sitekeeper.state.model import CheckState, DeviceStatus, Flip

__all__ = ["SAVE_BASELINE_EVERY", "Envelope", "IngestReport", "Ingestor"]

log = logging.getLogger(__name__)

_ORDER = attrgetter("collector_id", "seq")


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
        self._plans: dict[int, Plan] = {}
        self._planned: Catalog | None = None  # the catalog `_plans` and `_steady` are of
        self._states: dict[int, CheckState] = {}  # as last evaluated (or stored)
        self._seen: dict[int, float] = {}  # steady check -> its latest result since (see states)
        self._steady: set[int] = set()  # checks whose state is steady_ok
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
            self._planned = None
            rows = list(session.scalars(select(m.CheckState)))
            self._states = {row.check_id: row_to_state(row) for row in rows}
            self._seen = {}
            self._baselines = {row.check_id: Window(row.baseline or ()) for row in rows}
            self._saved = {}
            self._reasons = {row.check_id: row.reason or "" for row in rows}
            self._devices = {
                row.device_id: (DeviceStatus(row.status), row.reason or "", row.since)
                for row in session.scalars(select(m.DeviceState))
            }

    def states(self) -> dict[int, CheckState]:
        """The engine's state of every check, as the store has it."""
        with self._lock:
            return {c: state_now(self._states, self._seen, c) for c in self._states}

    def high_water_mark(self, collector_id: str) -> int:
        with Session(self._engine) as session:
            row = session.get(m.Collector, collector_id)
            return row.last_seq if row else 0

    def ingest(self, batch: Sequence[Envelope]) -> IngestReport:
        with self._lock:
            return self._ingest(batch)

    def _plans_now(self) -> dict[int, Plan]:
        catalog = self.catalog
        if self._planned is not catalog:
            self._plans = plans_for(catalog)
            self._steady = steady_checks(self._states, self._plans)
            self._planned = catalog
        return self._plans

    def _ingest(self, batch: Sequence[Envelope]) -> IngestReport:
        report = IngestReport()
        if not batch:
            return report
        catalog = self.catalog
        plans = self._plans_now()
        work = Batch(self._states, self._seen, self._reasons, self._steady, self._baselines)
        devices = dict(self._devices)
        try:
            with self._engine.begin() as conn:
                marks = self._lock_marks(conn, {e.collector_id for e in batch})
                fresh, seqs, newest = self._fresh(batch, marks, report)
                work.apply(fresh, plans)
                changed = work.changed(self._states, self._reasons)
                # A device's status follows its checks' engine states and reasons only: when
                # none of those changed, neither did the device (unless it has no status yet).
                dirty = {plans[c].device_id for c in changed}
                dirty |= {plans[c].device_id for c in work.latest} - devices.keys()
                device_rows, device_flips = self._devices_after(
                    dirty, catalog, work.states, work.reasons, devices, batch
                )
                report.flips = [*work.flips, *device_flips]
                insert_results(conn, work.results)
                clients = {c: plans[c].client_id for c in changed}
                saved = write_states(
                    conn,
                    clients,
                    work.states,
                    work.seen,
                    work.latest_results(),
                    self._baselines,
                    work.moved,
                    changed,
                    self._saved,
                )
                upsert(conn, m.DeviceState, device_rows, ["device_id"])
                if report.flips:
                    conn.execute(
                        insert(m.Flip),  # through the Connection: Core, not the ORM
                        [self._flip_row(f, plans, catalog) for f in report.flips],
                    )
                self._save_marks(conn, marks, seqs, newest)
                report.stored = len(work.results)
                report.unknown_checks = work.unknown
        except BaseException:
            work.undo()
            raise
        # Only after the commit: the in-memory states follow the record, never lead it.
        self._states = work.states
        self._seen = work.seen
        self._steady = work.steady
        self._reasons = work.reasons
        if saved:
            self._saved = {**self._saved, **saved}
        self._devices = devices
        return report

    @staticmethod
    def _fresh(
        batch: Sequence[Envelope], marks: Mapping[str, int | None], report: IngestReport
    ) -> tuple[list[Observation], dict[str, int], dict[str, float]]:
        """The batch's observations not stored before, in (collector, seq) order, each
        collector's highest sequence number after them, and the newest time among them."""
        seqs = {cid: seq or 0 for cid, seq in marks.items()}
        newest: dict[str, float] = {}
        out: list[Observation] = []
        for env in sorted(batch, key=_ORDER):
            cid = env.collector_id
            if env.seq <= seqs[cid]:
                report.duplicates += 1
                continue
            seqs[cid] = env.seq
            out.append(env.observation)
            if env.observation.at > newest.get(cid, -math.inf):
                newest[cid] = env.observation.at
        return out, seqs, newest

    @staticmethod
    def _lock_marks(conn: Connection, collector_ids: set[str]) -> dict[str, int | None]:
        """Each collector's high-water mark (None for one not seen before), locked for the
        transaction on PostgreSQL: one batch of a collector at a time."""
        c = m.Collector
        return {
            cid: conn.scalar(select(c.last_seq).where(c.id == cid).with_for_update())
            for cid in sorted(collector_ids)
        }

    @staticmethod
    def _save_marks(
        conn: Connection,
        marks: Mapping[str, int | None],
        seqs: Mapping[str, int],
        newest: Mapping[str, float],
    ) -> None:
        """Each collector's high-water mark, and as `last_seen` the newest result of its
        latest batch (the overview's "last result" for those who see every client). Of the
        latest batch, not of all time: a result stamped ahead by a collector's wrong clock
        is forgotten with the next batch, as the check's own state forgets it."""
        c = m.Collector
        for cid, seq in seqs.items():
            if marks[cid] is None:
                conn.execute(insert(c).values(id=cid, last_seq=seq, last_seen=newest.get(cid)))
            elif seq != marks[cid]:
                seen = newest[cid]
                conn.execute(update(c).where(c.id == cid).values(last_seq=seq, last_seen=seen))

    def _devices_after(
        self,
        touched: set[int],
        catalog: Catalog,
        states: dict[int, CheckState],
        reasons: dict[int, str],
        devices: dict[int, tuple[DeviceStatus, str, float]],
        batch: Sequence[Envelope],
    ) -> tuple[list[dict[str, object]], list[Flip]]:
        if not touched:
            return [], []
        now = max([e.observation.at for e in batch])
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
    def _flip_row(flip: Flip, plans: Mapping[int, Plan], catalog: Catalog) -> dict[str, object]:
        if flip.subject == "device":
            client_id = catalog.device_client[flip.subject_id]
        else:
            client_id = plans[flip.subject_id].client_id
        return {
            "client_id": client_id,
            "subject": flip.subject,
            "subject_id": flip.subject_id,
            "old": flip.old,
            "new": flip.new,
            "hard": flip.hard,
            "reason": flip.reason,
            "at": flip.at,
        }
