"""The correlator's incremental step decides exactly what a step over the whole estate decides.

`step` looks again only at devices that got a signal or sit behind a device that failed or came
back, and keeps the failed / suspect / candidate / cut-off sets as indexes. Here every step is
run twice on random graphs and random signal sequences: once incrementally, once on a copy whose
indexes are thrown away (so it rebuilds them and looks at every device, as after a topology
change). Tracks, incidents, events, re-probes, wake-ups and what changed must all agree, and the
indexes, and each open incident's members, must equal what the tracks say.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from sitekeeper.incidents.correlate import Outcome, Policy, Signal, State, step
from sitekeeper.incidents.topology import Node, Service, Topology
from sitekeeper.state.model import DeviceStatus

POLICY = Policy(hold_down_s=3, suspect_extend_s=6, clear_s=3)
STATUSES = (DeviceStatus.UP, DeviceStatus.DOWN, DeviceStatus.DEGRADED, DeviceStatus.UNKNOWN)


@st.composite
def topologies(draw: st.DrawFn) -> Topology:
    """A DAG of up to 14 devices: each may need some of the devices before it."""
    size = draw(st.integers(2, 14))
    nodes = []
    for d in range(1, size + 1):
        parents = tuple(sorted(draw(st.sets(st.integers(1, d - 1), max_size=2))) if d > 1 else ())
        mode = draw(st.sampled_from(("all", "any")))
        nodes.append(Node(d, 1, 1, parents, mode, draw(st.integers(1, 5)), 2.0))
    services = [
        Service(i, 1, f"s{i}", f"Service {i}", draw(st.integers(1, 5)), frozenset(devices))
        for i, devices in enumerate(
            draw(st.lists(st.sets(st.integers(1, size), min_size=1), max_size=3)), 1
        )
    ]
    return Topology({n.id: n for n in nodes}, services)


signal_batches = st.lists(
    st.lists(
        st.tuples(
            st.integers(1, 14),
            st.sampled_from(STATUSES),
            st.booleans(),  # suspect
            st.booleans(),  # flapping
        ),
        max_size=5,
    ),
    min_size=1,
    max_size=25,
)


def _same(a: Outcome, b: Outcome) -> None:
    assert a.events == b.events
    assert a.reprobes == b.reprobes
    assert a.changed == b.changed
    assert a.next_wakeup == b.next_wakeup


def _indexes_hold(state: State, topo: Topology) -> None:
    failed = {d for d, t in state.tracks.items() if t.status is DeviceStatus.DOWN}
    assert state.failed == failed
    assert state.suspects == {d for d, t in state.tracks.items() if t.suspect}
    assert state.candidates == {d for d, t in state.tracks.items() if t.candidate_since is not None}
    blocked = topo.blocked(failed)
    assert state.blocked == blocked
    for incident in state.incidents.values():
        if incident.open and state.tracks[incident.root].status is DeviceStatus.DOWN:
            behind, todo = set(), list(topo.children(incident.root))
            while todo:
                d = todo.pop()
                if d in blocked and d not in behind:
                    behind.add(d)
                    todo.extend(topo.children(d))
            assert incident.members == behind & failed


@settings(max_examples=300, deadline=None)
@given(topologies(), signal_batches, st.integers(0, 3))
def test_an_incremental_step_agrees_with_a_step_over_everything(
    topo: Topology, batches: list[list[tuple[int, DeviceStatus, bool, bool]]], gap: int
) -> None:
    state = State()
    now = 0.0
    step(state, [Signal(d, DeviceStatus.UP, now) for d in topo.nodes], topo, now, POLICY)
    for i, batch in enumerate(batches):
        now += 1.0 + gap * (i % 2)
        signals = [
            Signal(d, status, now, suspect=suspect, flapping=flap)
            for d, status, suspect, flap in batch
            if d in topo.nodes
        ]
        if i % 7 == 6 and state.incidents:
            # a person resolved an incident by hand: the worker forgets it (as it does)
            incident = state.incidents.pop(min(state.incidents))
            track = state.tracks[incident.root]
            state.put(incident.root, replace(track, candidate_since=None, hold_until=None))
        whole = state.copy()
        whole.indexed_for = None  # rebuild the indexes and look at every device
        _same(step(state, signals, topo, now, POLICY), step(whole, signals, topo, now, POLICY))
        assert state.tracks == whole.tracks
        assert state.incidents == whole.incidents
        assert state.next_id == whole.next_id
        _indexes_hold(state, topo)


def test_a_new_topology_rebuilds_the_indexes() -> None:
    """The worker builds a new Topology after an inventory change: a device that gained a
    parent that is down is cut off at the next step, without any signal."""
    before = Topology({1: Node(1, 1, 1), 2: Node(2, 1, 1)})
    state = State()
    step(state, [Signal(1, DeviceStatus.DOWN, 0.0), Signal(2, DeviceStatus.DOWN, 0.0)], before, 0.0)
    assert [t.effective for t in state.tracks.values()] == [DeviceStatus.DOWN] * 2
    after = Topology({1: Node(1, 1, 1), 2: Node(2, 1, 1, parents=(1,))})
    out = step(state, [], after, 1.0)
    assert state.tracks[2].effective is DeviceStatus.UNREACHABLE
    assert state.blocked == {2}
    assert 2 in out.changed


def test_reblock_follows_only_the_descendants_of_what_changed() -> None:
    """A chain 1 <- 2 <- 3 and a redundant pair: 4 needs any of (5, 6)."""
    topo = Topology(
        {
            1: Node(1, 1, 1),
            2: Node(2, 1, 1, parents=(1,)),
            3: Node(3, 1, 1, parents=(2,)),
            5: Node(5, 1, 1),
            6: Node(6, 1, 1),
            4: Node(4, 1, 1, parents=(5, 6), mode="any"),
        }
    )
    blocked: set[int] = set()
    assert topo.reblock(blocked, {1}, {1}) == {2, 3}
    assert blocked == {2, 3}
    assert topo.reblock(blocked, {1, 5}, {5}) == {4}
    assert blocked == {2, 3}  # 6 still carries 4
    topo.reblock(blocked, {1, 5, 6}, {6})
    assert blocked == {2, 3, 4}
    topo.reblock(blocked, {5, 6}, {1})
    assert blocked == {4}
    assert blocked == topo.blocked({5, 6})
