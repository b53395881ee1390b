"""Correlation (pure): device signals in, incidents and effective statuses out.

One root cause, one incident. A failed device whose needs are failed or cut off is
UNREACHABLE and never pages; a failed device whose needs are all fine is a *root candidate*.
A candidate only opens an incident after the **hold-down**: failures are collected for
`hold_down_s`, and the candidate's parents are re-probed at once, so a child whose check
happened to run before its parent's does not page (the race behind Icinga/icinga2#8201).
While an ancestor is *suspect* (a check failing, retries in progress), the decision waits
longer, up to `suspect_extend_s`.

When a root recovers first and its children still fail, they become candidates again, are
re-probed, and get at least `recheck_s` (their own check interval and retries) to recover
before they page. A child that really failed on its own during the outage pages then.

An incident resolves when its root has been back for `clear_s`, and not while the root's
checks are flapping, so a flapping device opens one incident and resolves it once.

Everything here is data and a `now`; the worker (incidents.worker) does the I/O.

A step costs what changed, not the size of the estate: `State` keeps the failed, suspect and
candidate devices and the cut-off set as indexes, a step looks again only at devices that got
a signal or sit behind a device that failed or came back, and an open incident's members are
worked out again only when something failed or came back. The indexes are rebuilt from the
tracks when the topology changes (the worker builds a new one after an inventory change).
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace

from sitekeeper.incidents.topology import Topology
from sitekeeper.state.model import DeviceStatus


@dataclass(frozen=True, slots=True)
class Policy:
    hold_down_s: float = 10.0
    suspect_extend_s: float = 120.0
    clear_s: float = 30.0


@dataclass(frozen=True, slots=True)
class Signal:
    """What the state engine says about a device now."""

    device_id: int
    status: DeviceStatus  # from its checks' hard statuses: UP, DOWN, DEGRADED, UNKNOWN
    at: float
    suspect: bool = False  # a check is failing but not yet hard
    flapping: bool = False


@dataclass(frozen=True, slots=True)
class Track:
    """The correlator's memory of one device."""

    status: DeviceStatus = DeviceStatus.UNKNOWN
    suspect: bool = False
    flapping: bool = False
    down_since: float | None = None
    candidate_since: float | None = None
    hold_until: float | None = None
    effective: DeviceStatus = DeviceStatus.UNKNOWN
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Incident:
    id: int
    client_id: int
    site_id: int
    root: int
    opened_at: float
    members: frozenset[int] = frozenset()  # devices unreachable behind the root
    services: tuple[str, ...] = ()  # keys of impacted services, most critical first
    severity: int = 3  # 1..5, from the root's and the impacted services' criticality
    flapping: bool = False
    back_since: float | None = None  # the root has been back since (clearing)
    resolved_at: float | None = None

    @property
    def open(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True, slots=True)
class Event:
    """Something the pipeline acts on: opened, updated (members/services), resolved."""

    kind: str  # "opened" | "updated" | "resolved"
    incident: Incident
    at: float
    added: frozenset[int] = frozenset()
    removed: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Reprobe:
    """Run these devices' checks now (their result decides a pending candidate)."""

    device_ids: frozenset[int]
    reason: str


@dataclass
class State:
    """The correlator's memory. Write tracks with `put` (which keeps the indexes); the
    indexes are rebuilt from `tracks` whenever `step` sees another topology."""

    tracks: dict[int, Track] = field(default_factory=dict)
    incidents: dict[int, Incident] = field(default_factory=dict)  # open ones (and just resolved)
    next_id: int = 1
    # indexes over `tracks`, for the topology in `indexed_for`
    failed: set[int] = field(default_factory=set)  # raw status DOWN
    suspects: set[int] = field(default_factory=set)
    candidates: set[int] = field(default_factory=set)  # candidate_since set
    blocked: set[int] = field(default_factory=set)  # cut off by failed ancestors
    indexed_for: Topology | None = None
    # what the next step must look at again, and the tracks as the last step left them
    dirty: set[int] = field(default_factory=set)
    flipped: set[int] = field(default_factory=set)  # entered or left `failed`
    before: dict[int, Track | None] = field(default_factory=dict)

    def put(self, device_id: int, track: Track) -> None:
        old = self.tracks.get(device_id)
        if device_id not in self.before:
            self.before[device_id] = old
        self.tracks[device_id] = track
        self.dirty.add(device_id)
        if track.status is DeviceStatus.DOWN:
            if device_id not in self.failed:
                self.failed.add(device_id)
                self.flipped.add(device_id)
        elif device_id in self.failed:
            self.failed.discard(device_id)
            self.flipped.add(device_id)
        _mark(self.suspects, device_id, track.suspect)
        _mark(self.candidates, device_id, track.candidate_since is not None)

    def reindex(self, topo: Topology) -> None:
        """Rebuild the indexes from `tracks` for `topo`; every device is looked at again."""
        self.failed = {d for d, t in self.tracks.items() if t.status is DeviceStatus.DOWN}
        self.suspects = {d for d, t in self.tracks.items() if t.suspect}
        self.candidates = {d for d, t in self.tracks.items() if t.candidate_since is not None}
        self.blocked = topo.blocked(self.failed)
        self.dirty = set(self.tracks)
        self.flipped = set()
        self.indexed_for = topo

    def copy(self) -> State:
        """An independent copy (tracks and incidents are immutable values)."""
        return State(
            dict(self.tracks),
            dict(self.incidents),
            self.next_id,
            set(self.failed),
            set(self.suspects),
            set(self.candidates),
            set(self.blocked),
            self.indexed_for,
            set(self.dirty),
            set(self.flipped),
            dict(self.before),
        )


def _mark(index: set[int], device_id: int, member: bool) -> None:
    if member:
        index.add(device_id)
    else:
        index.discard(device_id)


@dataclass
class Outcome:
    events: list[Event] = field(default_factory=list)
    reprobes: list[Reprobe] = field(default_factory=list)
    # tracks that changed in any way: the store keeps them so a restart resumes exactly
    changed: dict[int, Track] = field(default_factory=dict)
    next_wakeup: float | None = None  # when a pending decision falls due


def step(
    state: State, signals: Iterable[Signal], topo: Topology, now: float, policy: Policy = Policy()
) -> Outcome:
    """Apply `signals`, then decide everything that is due at `now`. Mutates `state`."""
    out = Outcome()
    everything = state.indexed_for is not topo
    if everything:
        state.reindex(topo)
    for s in signals:
        t = state.tracks.get(s.device_id, Track())
        down_since = t.down_since
        if s.status is DeviceStatus.DOWN:
            down_since = down_since if t.status is DeviceStatus.DOWN and down_since else s.at
        else:
            down_since = None
        state.put(
            s.device_id,
            replace(
                t, status=s.status, suspect=s.suspect, flapping=s.flapping, down_since=down_since
            ),
        )

    failed, blocked = state.failed, state.blocked
    membership_moved = everything or bool(state.flipped)
    if state.flipped:
        state.dirty |= topo.reblock(blocked, failed, state.flipped)
        state.flipped = set()
    roots_with_incident = {i.root: i for i in state.incidents.values() if i.open}
    reprobe: set[int] = set()

    look_at, state.dirty = state.dirty, set()
    for device_id in sorted(look_at):
        if device_id not in state.tracks:
            continue
        t = state.tracks[device_id]
        if device_id in failed and device_id in blocked:
            roots = topo.roots_of(device_id, failed, blocked)
            names = ", ".join(str(r) for r in sorted(roots)) or "a parent"
            new = replace(
                t,
                candidate_since=None,
                hold_until=None,
                effective=DeviceStatus.UNREACHABLE,
                reason=f"cut off by device {names}",
            )
        elif device_id in failed:
            old = state.before.get(device_id, t)
            new = _candidate(t, device_id, old, topo, now, policy, reprobe)
        else:
            new = replace(
                t,
                candidate_since=None,
                hold_until=None,
                effective=t.status,
                reason="" if t.status is DeviceStatus.UP else t.reason,
            )
        if new != t:
            state.put(device_id, new)

    # Decide the candidates that are due.
    unsettled = state.suspects | reprobe
    for device_id in sorted(state.candidates - roots_with_incident.keys()):
        t = state.tracks[device_id]
        assert t.candidate_since is not None
        waiting_on = _suspect_ancestors(topo, device_id, unsettled)
        limit = t.candidate_since + policy.hold_down_s + policy.suspect_extend_s
        due = t.hold_until is not None and now >= t.hold_until and (not waiting_on or now >= limit)
        if due:
            incident = _open(state, topo, device_id, now)
            out.events.append(Event("opened", incident, now))
            roots_with_incident[device_id] = incident
        else:
            hold = t.hold_until if t.hold_until is not None else now
            wake = hold if not waiting_on else max(hold, min(limit, now + 1))
            out.next_wakeup = wake if out.next_wakeup is None else min(out.next_wakeup, wake)
    state.dirty = set()  # what this step wrote (tracks, roots of new incidents) is settled

    # An incident opened in this step is reported whole (members, services, severity) by its
    # "opened" event, not by a separate "updated" one.
    opened = {e.incident.id for e in out.events if e.kind == "opened"}
    _maintain_incidents(state, topo, membership_moved, opened, now, policy, out)
    out.events = [
        replace(e, incident=state.incidents.get(e.incident.id, e.incident))
        if e.kind == "opened"
        else e
        for e in out.events
        if not (e.kind == "updated" and e.incident.id in opened)
    ]

    if reprobe:
        out.reprobes.append(
            Reprobe(frozenset(reprobe), "deciding whether a failure is a root cause")
        )
    for device_id, old in state.before.items():
        t = state.tracks[device_id]
        if old != t:  # anything the store must remember to resume after a restart
            out.changed[device_id] = t
    state.before = {}
    return out


def _candidate(
    t: Track,
    device_id: int,
    old: Track | None,
    topo: Topology,
    now: float,
    policy: Policy,
    reprobe: set[int],
) -> Track:
    if t.candidate_since is not None:
        return replace(t, effective=DeviceStatus.DOWN)
    node = topo.nodes.get(device_id)
    was_cut_off = old is not None and old.effective is DeviceStatus.UNREACHABLE
    hold = policy.hold_down_s
    if was_cut_off:
        # its parent came back first: give its own checks time to see it come back too
        hold = max(hold, node.recheck_s if node else hold)
        reprobe.add(device_id)
        reason = "its parent is back but it still fails; re-checking before it pages"
    else:
        reason = "failed; waiting for the hold-down and re-probing what it depends on"
    if node:
        reprobe.update(node.parents)
    return replace(
        t, candidate_since=now, hold_until=now + hold, effective=DeviceStatus.DOWN, reason=reason
    )


def _suspect_ancestors(topo: Topology, device_id: int, suspects: set[int]) -> set[int]:
    out: set[int] = set()
    node = topo.nodes.get(device_id)
    todo = list(node.parents) if node else []
    seen: set[int] = set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        if current in suspects:
            out.add(current)
        parent = topo.nodes.get(current)
        if parent:
            todo.extend(parent.parents)
    return out


def _open(state: State, topo: Topology, root: int, now: float) -> Incident:
    node = topo.nodes[root]
    incident = Incident(
        id=state.next_id,
        client_id=node.client_id,
        site_id=node.site_id,
        root=root,
        opened_at=now,
        severity=node.criticality,
    )
    state.next_id += 1
    state.incidents[incident.id] = incident
    state.put(root, replace(state.tracks[root], reason="root cause of an incident"))
    return incident


def _members(
    topo: Topology, root: int, failed: AbstractSet[int], blocked: AbstractSet[int]
) -> frozenset[int]:
    """Failed devices cut off behind `root` (directly or through other cut-off devices)."""
    out: set[int] = set()
    todo = list(topo.children(root))
    while todo:
        current = todo.pop()
        if current in out or current not in blocked:
            continue
        if current in failed:
            out.add(current)
        todo.extend(topo.children(current))
    return frozenset(out)


def _maintain_incidents(
    state: State,
    topo: Topology,
    membership_moved: bool,
    opened: set[int],
    now: float,
    policy: Policy,
    out: Outcome,
) -> None:
    """Members, services and severity follow the failed and cut-off sets, so they are worked
    out again only when those moved (or the incident is new); clearing is checked always."""
    for incident_id in sorted(state.incidents):
        incident = state.incidents[incident_id]
        if not incident.open:
            del state.incidents[incident_id]  # reported last step; the store keeps it
            continue
        root = state.tracks.get(incident.root, Track())
        flapping = incident.flapping or root.flapping
        root_down = root.status is DeviceStatus.DOWN
        back_since = None if root_down else (incident.back_since or now)
        updated = replace(incident, flapping=flapping, back_since=back_since)
        if root_down and (membership_moved or incident_id in opened):
            members = _members(topo, incident.root, state.failed, state.blocked)
            impacted = topo.impacted_services({incident.root} | members)
            severity = max(
                [topo.nodes[incident.root].criticality, *(s.criticality for s in impacted)]
            )
            updated = replace(
                updated,
                members=members,
                services=tuple(s.key for s in impacted),
                severity=max(severity, incident.severity),
            )
        if back_since is not None and now - back_since >= policy.clear_s and not root.flapping:
            resolved = replace(updated, resolved_at=now)
            state.incidents[incident_id] = resolved
            out.events.append(Event("resolved", resolved, now))
            continue
        if back_since is not None:
            wake = back_since + policy.clear_s
            out.next_wakeup = wake if out.next_wakeup is None else min(out.next_wakeup, wake)
        if (updated.members, updated.services, updated.severity) != (
            incident.members,
            incident.services,
            incident.severity,
        ):
            out.events.append(
                Event(
                    "updated",
                    updated,
                    now,
                    added=updated.members - incident.members,
                    removed=incident.members - updated.members,
                )
            )
        state.incidents[incident_id] = updated
