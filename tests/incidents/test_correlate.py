"""Correlation timelines (pure, fake time): one root cause, one incident."""

from __future__ import annotations

import random

import pytest

from sitekeeper.incidents.correlate import Event, Policy, Signal, State, step
from sitekeeper.incidents.topology import Node, Service, Topology
from sitekeeper.state.model import DeviceStatus

UP, DOWN = DeviceStatus.UP, DeviceStatus.DOWN
UNREACHABLE = DeviceStatus.UNREACHABLE
POLICY = Policy(hold_down_s=30, suspect_extend_s=60, clear_s=30)
ROUTER, SWITCH = 1, 2
CHILDREN = list(range(10, 30))  # 20 devices behind the switch


def site() -> Topology:
    nodes = [
        Node(ROUTER, 1, 1, criticality=5),
        Node(SWITCH, 1, 1, parents=(ROUTER,), criticality=4),
    ]
    nodes += [Node(c, 1, 1, parents=(SWITCH,), criticality=2, recheck_s=20) for c in CHILDREN]
    services = [Service(1, 1, "cameras", "Perimeter cameras", 4, frozenset(CHILDREN[:4]))]
    return Topology({n.id: n for n in nodes}, services)


class Timeline:
    """Feed signals at times; run the correlator every second; collect events."""

    def __init__(self, topo: Topology, policy: Policy = POLICY) -> None:
        self.topo, self.policy = topo, policy
        self.state = State()
        self.events: list[Event] = []
        self.reprobes: list[tuple[float, frozenset[int]]] = []
        self.now = 0.0
        self.pending: dict[float, list[Signal]] = {}
        self.start = [Signal(d, UP, 0.0) for d in topo.nodes]

    def at(self, t: float, device: int, status: DeviceStatus, **kw: bool) -> None:
        self.pending.setdefault(t, []).append(Signal(device, status, t, **kw))

    def run_until(self, end: float) -> None:
        if self.start:
            self._step(self.start)
            self.start = []
        while self.now < end:
            self.now += 1.0
            due = [s for t in sorted(self.pending) if t <= self.now for s in self.pending.pop(t)]
            self._step(due)

    def _step(self, signals: list[Signal]) -> None:
        out = step(self.state, signals, self.topo, self.now, self.policy)
        self.events += out.events
        self.reprobes += [(self.now, r.device_ids) for r in out.reprobes]

    def kinds(self) -> list[tuple[str, int]]:
        return [(e.kind, e.incident.root) for e in self.events if e.kind != "updated"]

    def effective(self, device: int) -> DeviceStatus:
        return self.state.tracks[device].effective


@pytest.mark.parametrize("seed", range(10))
def test_a_switch_down_with_20_children_arriving_in_any_order_is_one_incident(seed: int) -> None:
    rng = random.Random(seed)
    tl = Timeline(site())
    tl.at(100 + rng.uniform(0, 9), SWITCH, DOWN)
    for child in CHILDREN:
        tl.at(100 + rng.uniform(0, 9), child, DOWN)  # some before the switch, some after
    tl.run_until(200)
    assert tl.kinds() == [("opened", SWITCH)]
    incident = next(iter(tl.state.incidents.values()))
    assert incident.members == frozenset(CHILDREN)
    assert incident.services == ("cameras",)
    assert incident.severity == 4
    assert all(tl.effective(c) is UNREACHABLE for c in CHILDREN)
    assert tl.effective(SWITCH) is DOWN


def test_children_that_fail_first_have_their_parents_reprobed() -> None:
    tl = Timeline(site())
    tl.at(100, CHILDREN[0], DOWN)
    tl.run_until(101)
    assert (100.0, frozenset({SWITCH})) in tl.reprobes


def test_parent_recovers_first_while_children_lag_gives_no_child_pages_and_one_recovery() -> None:
    tl = Timeline(site())
    tl.at(100, SWITCH, DOWN)
    for child in CHILDREN:
        tl.at(101, child, DOWN)
    tl.at(300, SWITCH, UP)
    for i, child in enumerate(CHILDREN):
        tl.at(302 + i % 15, child, UP)  # the children's checks notice over 15 s
    tl.run_until(500)
    assert tl.kinds() == [("opened", SWITCH), ("resolved", SWITCH)]
    assert all(tl.effective(c) is UP for c in CHILDREN)


def test_a_child_that_really_failed_during_the_outage_pages_after_the_parent_recovers() -> None:
    tl = Timeline(site())
    broken = CHILDREN[3]
    tl.at(100, SWITCH, DOWN)
    for child in CHILDREN:
        tl.at(101, child, DOWN)
    tl.at(300, SWITCH, UP)
    for child in CHILDREN:
        if child != broken:
            tl.at(305, child, UP)
    tl.run_until(500)
    # the switch's incident clears after 30 s back; the broken child pages after its
    # 20 s re-check, so its incident opens first
    assert sorted(tl.kinds()) == sorted(
        [("opened", SWITCH), ("resolved", SWITCH), ("opened", broken)]
    )
    assert tl.effective(broken) is DOWN


def test_a_single_blip_opens_nothing() -> None:
    tl = Timeline(site())
    tl.at(100, SWITCH, DOWN)
    tl.at(115, SWITCH, UP)
    tl.run_until(300)
    assert tl.kinds() == []


def test_a_flapping_device_opens_one_incident_and_resolves_it_once() -> None:
    tl = Timeline(site())
    t = 100.0
    for cycle in range(6):  # down 40 s, up 20 s: each outage outlasts the hold-down
        flapping = cycle >= 2  # the engine's flap detection notices after a few changes
        tl.at(t, SWITCH, DOWN, flapping=flapping)
        tl.at(t + 40, SWITCH, UP, flapping=flapping)
        t += 60
    tl.at(t + 100, SWITCH, UP, flapping=False)  # it settles; flapping stops
    tl.run_until(t + 300)
    assert tl.kinds() == [("opened", SWITCH), ("resolved", SWITCH)]
    assert tl.events[-1].incident.flapping


def test_a_suspect_parent_holds_a_childs_decision_until_it_is_settled() -> None:
    tl = Timeline(site())
    tl.at(100, CHILDREN[0], DOWN)
    tl.at(100, SWITCH, UP, suspect=True)  # the switch's checks are failing, retries running
    tl.at(145, SWITCH, DOWN)  # its retries finish after the child's hold-down (30 s)
    tl.run_until(250)
    assert tl.kinds() == [("opened", SWITCH)]


def test_redundant_uplinks_need_both_down_to_cut_a_device_off() -> None:
    a, b, server = 1, 2, 3
    topo = Topology(
        {
            a: Node(a, 1, 1),
            b: Node(b, 1, 1),
            server: Node(server, 1, 1, parents=(a, b), mode="any"),
        }
    )
    tl = Timeline(topo)
    tl.at(100, a, DOWN)
    tl.at(100, server, DOWN)
    tl.run_until(200)
    assert ("opened", server) in tl.kinds()  # one uplink left: the server's failure is its own
    tl2 = Timeline(topo)
    tl2.at(100, a, DOWN)
    tl2.at(100, b, DOWN)
    tl2.at(100, server, DOWN)
    tl2.run_until(200)
    assert sorted(tl2.kinds()) == [("opened", a), ("opened", b)]
    assert tl2.effective(server) is UNREACHABLE
