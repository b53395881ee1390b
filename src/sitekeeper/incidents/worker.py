"""The incidents worker (the shell around the pure correlator).

Each tick, in one transaction: claim the unprocessed flips (compare-and-set on
`processed_at`, so several workers never handle one flip twice), turn the devices they touch
into signals, run `correlate.step`, and write what came out — device effective statuses,
incidents, their timeline, and (through the pipeline) notifications in the outbox. The
correlator's memory lives in `device_effective` and `incidents`, so a restart resumes it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sitekeeper.checks.build import SPEC_ADAPTER
from sitekeeper.db import models as m
from sitekeeper.db.upsert import upsert
from sitekeeper.incidents.correlate import Event, Incident, Policy, Signal, State, Track, step
from sitekeeper.incidents.schedule import Presence, parse_presence, presence_status
from sitekeeper.incidents.topology import Node, Service, Topology
from sitekeeper.results import summary
from sitekeeper.results.store import Store
from sitekeeper.state.model import CheckStatus, DeviceStatus, StateType

log = logging.getLogger(__name__)

CLAIM_BATCH = 5000


@dataclass
class TickReport:
    claimed: int = 0
    events: list[Event] = field(default_factory=list)
    reprobe: set[int] = field(default_factory=set)
    next_wakeup: float | None = None


def load_topology(session: Session) -> Topology:
    devices = session.scalars(select(m.Device).where(m.Device.retired_at.is_(None))).all()
    ids = {(d.client_id, d.key): d.id for d in devices}
    recheck: dict[int, float] = {}
    for check in session.scalars(select(m.Check).where(m.Check.retired_at.is_(None))):
        spec = SPEC_ADAPTER.validate_python(check.spec)
        # how long until its checks see a change: one interval, then the retries to go hard
        needed = spec.interval + spec.max_attempts * spec.effective_retry_interval + spec.timeout
        recheck[check.device_id] = max(recheck.get(check.device_id, 0.0), needed)
    nodes = [
        Node(
            id=d.id,
            client_id=d.client_id,
            site_id=d.site_id,
            parents=tuple(ids[(d.client_id, k)] for k in d.depends_on if (d.client_id, k) in ids),
            mode=d.depends_mode,
            criticality=d.criticality,
            recheck_s=recheck.get(d.id, 15.0),
        )
        for d in devices
    ]
    services = [
        Service(
            id=s.id,
            client_id=s.client_id,
            key=s.key,
            name=s.name,
            criticality=s.criticality,
            devices=frozenset(ids[(s.client_id, k)] for k in s.needs if (s.client_id, k) in ids),
        )
        for s in session.scalars(select(m.Service).where(m.Service.retired_at.is_(None)))
    ]
    return Topology({n.id: n for n in nodes}, services)


def load_state(session: Session) -> State:
    state = State()
    for row in session.scalars(select(m.DeviceEffective)):
        state.tracks[row.device_id] = Track(
            status=DeviceStatus(row.raw_status),
            suspect=row.suspect,
            flapping=row.flapping,
            down_since=row.down_since,
            candidate_since=row.candidate_since,
            hold_until=row.hold_until,
            effective=DeviceStatus(row.status),
            reason=row.reason,
        )
    for inc in session.scalars(select(m.Incident).where(m.Incident.resolved_at.is_(None))):
        state.incidents[inc.id] = Incident(
            id=inc.id,
            client_id=inc.client_id,
            site_id=inc.site_id,
            root=inc.root_device_id,
            opened_at=inc.opened_at,
            members=frozenset(inc.members),
            services=tuple(inc.services),
            severity=inc.severity,
            flapping=inc.flapping,
            back_since=inc.back_since,
        )
    last = session.scalar(select(m.Incident.id).order_by(m.Incident.id.desc()).limit(1))
    state.next_id = (last or 0) + 1
    return state


def load_presence(session: Session) -> dict[int, tuple[Presence, str]]:
    """Devices that are not always expected: their presence and their site's time zone."""
    out: dict[int, tuple[Presence, str]] = {}
    rows = session.execute(
        select(m.Device.id, m.Device.presence, m.Site.timezone)
        .join(m.Site, m.Site.id == m.Device.site_id)
        .where(m.Device.retired_at.is_(None), m.Device.presence != "always")
    )
    for device_id, text, tz in rows:
        try:
            out[device_id] = (parse_presence(text), tz)
        except ValueError:
            log.warning(
                "device %s: presence %r is not valid; treating it as always", device_id, text
            )
    return out


def signals_for(
    session: Session,
    device_ids: set[int],
    now: float,
    presence: dict[int, tuple[Presence, str]] | None = None,
) -> list[Signal]:
    if not device_ids:
        return []
    raw = {
        device_id: DeviceStatus(status)
        for device_id, status in session.execute(
            select(m.DeviceState.device_id, m.DeviceState.status).where(
                m.DeviceState.device_id.in_(sorted(device_ids))
            )
        )
    }
    suspect: set[int] = set()
    flapping: set[int] = set()
    rows = session.execute(
        select(
            m.Check.device_id,
            m.CheckState.state_type,
            m.CheckState.status,
            m.CheckState.flapping,
        )
        .join(m.CheckState, m.CheckState.check_id == m.Check.id)
        .where(m.Check.device_id.in_(sorted(device_ids)), m.Check.retired_at.is_(None))
    )
    for device_id, state_type, status, is_flapping in rows:
        if state_type == StateType.SOFT.value and status != CheckStatus.OK.value:
            suspect.add(device_id)
        if is_flapping:
            flapping.add(device_id)
    presence = presence or {}
    out = []
    for d in sorted(device_ids):
        status = raw.get(d, DeviceStatus.UNKNOWN)
        if d in presence:
            # asleep by design, or outside its schedule: shown, never an outage
            status = presence_status(status, presence[d][0], now, presence[d][1])
        out.append(
            Signal(device_id=d, status=status, at=now, suspect=d in suspect, flapping=d in flapping)
        )
    return out


def claim_flips(session: Session, now: float) -> list[m.Flip]:
    """Claim unprocessed flips with compare-and-set: only rows this call changed are ours
    (one UPDATE ... RETURNING for the whole batch, so another worker's claim is skipped)."""
    candidates = {
        f.id: f
        for f in session.scalars(
            select(m.Flip)
            .where(m.Flip.processed_at.is_(None))
            .order_by(m.Flip.id)
            .limit(CLAIM_BATCH)
        )
    }
    if not candidates:
        return []
    mine = set(
        session.scalars(
            update(m.Flip)
            .where(m.Flip.id.in_(sorted(candidates)), m.Flip.processed_at.is_(None))
            .values(processed_at=now)
            .returning(m.Flip.id)
            .execution_options(synchronize_session=False)
        )
    )
    return [f for i, f in candidates.items() if i in mine]


class IncidentWorker:
    def __init__(
        self,
        store: Store,
        policy: Policy | None = None,
        *,
        on_events: Callable[[Session, list[Event], Topology], None] | None = None,
    ) -> None:
        self.store = store
        self.policy = policy or Policy()
        self.topology = Topology({})
        self.state = State()
        self._on_events = on_events
        self._initialised = False
        self.presence: dict[int, tuple[Presence, str]] = {}
        self._presence_due = float("inf")

    def reload(self) -> None:
        """Read the topology and the correlator's memory (at start, after inventory changes)."""
        with self.store.session() as session:
            self.topology = load_topology(session)
            self.presence = load_presence(session)
            self._presence_due = 0.0  # look at every scheduled device on the next tick
            if not self._initialised:
                self.state = load_state(session)

    def tick(self, now: float) -> TickReport:
        report = TickReport()
        with self.store.session() as session, session.begin():
            flips = claim_flips(session, now)
            report.claimed = len(flips)
            touched: set[int] = set()
            check_ids = [f.subject_id for f in flips if f.subject == "check"]
            touched.update(f.subject_id for f in flips if f.subject == "device")
            if check_ids:
                touched.update(
                    session.scalars(select(m.Check.device_id).where(m.Check.id.in_(check_ids)))
                )
            if not self._initialised:
                touched.update(self.topology.nodes)  # first tick: everyone reports in
                self._initialised = True
            if now >= self._presence_due:  # a schedule started or ended: look again
                touched.update(self.presence)
                self._presence_due = min(
                    (p.next_change(now, tz) for p, tz in self.presence.values()),
                    default=float("inf"),
                )
            touched = {d for d in touched if d in self.topology.nodes}
            self._forget_closed_by_hand(session)
            signals = signals_for(session, touched, now, self.presence)
            before = dict(self.state.incidents)
            out = step(self.state, signals, self.topology, now, self.policy)
            self._persist(session, out.changed, before, out.events, now)
            # what the overview shows of these devices changes with them (results.summary)
            summary.refresh(session, now, touched | out.changed.keys())
            if self._on_events is not None and out.events:
                self._on_events(session, out.events, self.topology)
            report.events = out.events
            report.reprobe = {d for r in out.reprobes for d in r.device_ids}
            report.next_wakeup = out.next_wakeup
            if self._presence_due != float("inf"):
                wake = self._presence_due
                report.next_wakeup = wake if out.next_wakeup is None else min(out.next_wakeup, wake)
        return report

    def sweep(self, now: float) -> int:
        """Bring the whole overview summary up to date (staleness comes with time, not with a
        status change); its own short transaction. Returns the rows rewritten."""
        with self.store.session() as session, session.begin():
            return summary.refresh(session, now)

    def _forget_closed_by_hand(self, session: Session) -> None:
        """An incident a person resolved is over: stop tracking it (if its root is still
        down, it becomes a candidate again and a new incident opens)."""
        open_ids = [i for i, inc in self.state.incidents.items() if inc.open]
        if not open_ids:
            return
        closed = session.scalars(
            select(m.Incident.id).where(
                m.Incident.id.in_(open_ids), m.Incident.resolved_at.is_not(None)
            )
        ).all()
        for incident_id in closed:
            root = self.state.incidents.pop(incident_id).root
            track = self.state.tracks.get(root)
            if track is not None:
                self.state.put(root, replace(track, candidate_since=None, hold_until=None))

    def _persist(
        self,
        session: Session,
        changed: dict[int, Track],
        before: dict[int, Incident],
        events: list[Event],
        now: float,
    ) -> None:
        rows = []
        for device_id, t in changed.items():
            node = self.topology.nodes.get(device_id)
            if node is None:
                continue
            rows.append(
                {
                    "device_id": device_id,
                    "client_id": node.client_id,
                    "status": t.effective.value,
                    "reason": t.reason,
                    "raw_status": t.status.value,
                    "suspect": t.suspect,
                    "flapping": t.flapping,
                    "down_since": t.down_since,
                    "candidate_since": t.candidate_since,
                    "hold_until": t.hold_until,
                    "updated_at": now,
                }
            )
        upsert(session.connection(), m.DeviceEffective, rows, ["device_id"])
        incidents = {e.incident.id: e.incident for e in events}
        for inc in self.state.incidents.values():
            if inc != before.get(inc.id):
                incidents[inc.id] = inc
        for inc in incidents.values():
            self._save_incident(session, inc)
        for e in events:
            session.add(
                m.IncidentEvent(
                    incident_id=e.incident.id,
                    client_id=e.incident.client_id,
                    at=e.at,
                    kind=e.kind,
                    actor="sitekeeper",
                    text=describe(e, self.topology, session),
                    detail={"added": sorted(e.added), "removed": sorted(e.removed)},
                )
            )

    def _save_incident(self, session: Session, inc: Incident) -> None:
        row = session.get(m.Incident, inc.id)
        if row is None:
            root = session.get(m.Device, inc.root)
            row = m.Incident(
                id=inc.id,
                client_id=inc.client_id,
                site_id=inc.site_id,
                root_device_id=inc.root,
                opened_at=inc.opened_at,
                severity=inc.severity,
                title=f"{root.name if root else inc.root} is down",
            )
            session.add(row)
        row.resolved_at = inc.resolved_at
        row.back_since = inc.back_since
        row.severity = inc.severity
        row.flapping = inc.flapping
        row.members = sorted(inc.members)
        row.services = list(inc.services)
        session.flush()


def describe(e: Event, topo: Topology, session: Session) -> str:
    """A line for the incident timeline, in words."""
    inc = e.incident

    def names(ids: frozenset[int] | set[int]) -> str:
        if not ids:
            return ""
        keys = session.scalars(select(m.Device.key).where(m.Device.id.in_(sorted(ids)))).all()
        shown = ", ".join(sorted(keys)[:10])
        return shown + (f" and {len(keys) - 10} more" if len(keys) > 10 else "")

    root = session.get(m.Device, inc.root)
    root_name = root.key if root else str(inc.root)
    if e.kind == "opened":
        text = f"{root_name} is down: root cause"
        if inc.members:
            text += f"; {len(inc.members)} device(s) unreachable behind it, not paged: {names(inc.members)}"
        return text
    if e.kind == "updated":
        parts = []
        if e.added:
            parts.append(f"now unreachable (suppressed): {names(e.added)}")
        if e.removed:
            parts.append(f"no longer unreachable: {names(e.removed)}")
        if inc.services:
            parts.append(f"impacted: {', '.join(inc.services)}")
        return "; ".join(parts) or "updated"
    if e.kind == "resolved":
        minutes = max(1, round(((inc.resolved_at or e.at) - inc.opened_at) / 60))
        return f"{root_name} is back; resolved after {minutes} min"
    return e.kind
