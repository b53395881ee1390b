"""Spec §6 test 2 (cascade closure) and the no-dependency case."""

from __future__ import annotations

import numpy as np
import pytest

from sitekeeper.plan import Device, Edge, Estate, PlanInputError
from sitekeeper.plan.impact import impacts
from sitekeeper.plan.profiles import DEFAULT_PROFILES


def star(redundant_extra: bool = False) -> Estate:
    devs = [Device("hub", "switch", 1.0, 0.0, 100.0)]
    devs += [Device(f"seat{i}", "workstation", 1.0, 0.04, 100.0) for i in range(20)]
    edges = [Edge("hub", f"seat{i}") for i in range(20)]
    if redundant_extra:
        devs.append(Device("edge", "router", 1.0, 0.0, 100.0))
        edges.append(Edge("edge", "hub", redundant=True))
    return Estate(tuple(devs), tuple(edges), DEFAULT_PROFILES)


def test_a_hub_over_20_seats_carries_their_sum() -> None:
    imp = impacts(star())
    assert imp.hard[0] == pytest.approx(0.8)
    assert imp.full[0] == pytest.approx(0.8)
    assert np.allclose(imp.hard[1:], 0.04)


def test_redundant_edges_count_only_in_the_full_impact() -> None:
    imp = impacts(star(redundant_extra=True))
    assert imp.hard[-1] == 0.0
    assert imp.full[-1] == pytest.approx(0.8)
    assert imp.blast_radius(0.6)[-1] == pytest.approx(0.48)


def test_without_edges_the_impact_is_the_criticality() -> None:
    e = star()
    bare = Estate(e.devices, (), e.profiles)
    imp = impacts(bare)
    w = np.array([d.criticality for d in bare.devices])
    assert np.array_equal(imp.hard, w)
    assert np.array_equal(imp.full, w)


def test_impact_is_capped_at_one() -> None:
    devs = [Device("p", "switch", 1.0, 0.5, 1.0)] + [
        Device(f"c{i}", "workstation", 1.0, 0.5, 1.0) for i in range(3)
    ]
    e = Estate(tuple(devs), tuple(Edge("p", f"c{i}") for i in range(3)), DEFAULT_PROFILES)
    assert impacts(e).hard[0] == 1.0


def test_a_cycle_is_an_input_error() -> None:
    devs = tuple(Device(n, "switch", 1.0, 0.1, 1.0) for n in ("a", "b"))
    e = Estate(devs, (Edge("a", "b"), Edge("b", "a")), DEFAULT_PROFILES)
    with pytest.raises(PlanInputError, match="cycle"):
        impacts(e)
