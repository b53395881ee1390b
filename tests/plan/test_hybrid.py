"""The hybrid plan (spec §8.3): managed for the critical devices only, on the same draws."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from sitekeeper.plan import (
    ClientParams,
    ModelParams,
    PlanInputError,
    compare_hybrid,
    critical_devices,
    hybrid_plan,
    simulate,
)
from sitekeeper.plan.inputs import Estate
from sitekeeper.plan.ledger import ModelCosts
from tests.plan.estates import home, office

TRIALS = 2300  # more than one chunk
CLIENT = ClientParams(1500.0)
FIELDS = tuple(ModelCosts.__dataclass_fields__)


def _ids(estate: Estate) -> list[str]:
    return [d.id for d in estate.devices]


@pytest.mark.parametrize("build", [office, home])
def test_a_hybrid_over_every_device_is_exactly_managed(build: Callable[[], Estate]) -> None:
    estate = build()
    sim = simulate(estate, CLIENT, ModelParams(), TRIALS, 8, managed=_ids(estate))
    assert sim.hybrid is not None
    for f in FIELDS:
        assert np.array_equal(getattr(sim.hybrid.costs, f), getattr(sim.ms, f)), f
    assert np.array_equal(sim.hybrid.roots.device, sim.ms_roots.device)
    assert sim.hybrid.roots.utility == sim.ms_roots.utility


@pytest.mark.parametrize("build", [office, home])
def test_a_hybrid_over_no_device_is_break_fix_plus_the_site_fee(
    build: Callable[[], Estate],
) -> None:
    estate, params = build(), ModelParams()
    sim = simulate(estate, CLIENT, params, TRIALS, 8, managed=[])
    assert sim.hybrid is not None
    assert np.all(sim.hybrid.costs.fee == 12 * params.rates.site_fee_monthly)
    for f in FIELDS:
        if f != "fee":
            assert np.array_equal(getattr(sim.hybrid.costs, f), getattr(sim.bf, f)), f


def test_asking_for_a_hybrid_changes_neither_break_fix_nor_managed() -> None:
    plain = simulate(office(), CLIENT, ModelParams(), TRIALS, 9)
    with_hybrid = simulate(office(), CLIENT, ModelParams(), TRIALS, 9, managed=["server"])
    for f in FIELDS:
        assert np.array_equal(getattr(plain.bf, f), getattr(with_hybrid.bf, f)), f
        assert np.array_equal(getattr(plain.ms, f), getattr(with_hybrid.ms, f)), f


def test_each_device_follows_its_own_plan() -> None:
    estate, params = office(), ModelParams()
    chosen = ["router1", "core", "ups", "server", "ws3"]
    sim = simulate(estate, CLIENT, params, TRIALS, 10, managed=chosen)
    assert sim.hybrid is not None
    on = np.asarray([i in chosen for i in _ids(estate)])
    assert np.array_equal(sim.hybrid.managed, on)
    expected = np.where(on, sim.ms_roots.device, sim.bf_roots.device)
    np.testing.assert_allclose(sim.hybrid.roots.device, expected, rtol=1e-12)
    fees = [estate.profiles[estate.devices[j].device_class].monthly_fee for j in np.flatnonzero(on)]
    assert sim.hybrid.costs.fee[0] == pytest.approx(12 * (sum(fees) + 100.0))
    # a partial plan keeps break-fix's security
    for f in ("security_labour", "security_hours"):
        assert np.array_equal(getattr(sim.hybrid.costs, f), getattr(sim.bf, f))
    # call-outs are paid only for the devices outside the plan
    assert sim.ms.labour.mean() < sim.hybrid.costs.labour.mean() < sim.bf.labour.mean()


def test_critical_devices_are_those_whose_downtime_saving_beats_their_fee() -> None:
    estate = office()
    sim = simulate(estate, CLIENT, ModelParams(), 4000, 3)
    chosen = critical_devices(sim, estate, CLIENT)
    assert {"server", "core", "router1", "router2", "ups"} <= set(chosen)
    assert not any(i.startswith(("ws", "cam")) for i in chosen)
    top2 = critical_devices(sim, estate, CLIENT, top_k=2)
    assert len(top2) == 2 and "server" in top2
    assert critical_devices(sim, estate, ClientParams(1.0)) == ()
    with pytest.raises(PlanInputError, match="top_k"):
        critical_devices(sim, estate, CLIENT, top_k=-1)


def test_the_hybrid_plan_reports_its_devices_and_paired_differences() -> None:
    client = ClientParams(600.0)
    sim, result = hybrid_plan(office(), client, ModelParams(), TRIALS, 3)
    plain = simulate(office(), client, ModelParams(), TRIALS, 3)
    assert np.array_equal(sim.bf.total(600.0), plain.bf.total(600.0))
    assert result.devices == critical_devices(plain, office(), client)
    assert set(result.devices) == {"router1", "router2", "core", "ups"}
    bf, ms = plain.bf.total(600.0).mean(), plain.ms.total(600.0).mean()
    assert result.delta_vs_bf == pytest.approx(bf - result.hybrid.mean)
    assert result.delta_vs_ms == pytest.approx(ms - result.hybrid.mean)
    assert sum(result.p_cheapest.values()) == pytest.approx(1.0)
    means = {"break-fix": bf, "managed": ms, "hybrid": result.hybrid.mean}
    assert result.best == min(means, key=lambda k: means[k])


def test_the_hybrid_can_be_given_its_devices() -> None:
    _, result = hybrid_plan(office(), CLIENT, ModelParams(), TRIALS, 3, managed=("ws1", "core"))
    assert result.devices == ("core", "ws1")  # estate order
    assert result.annual_fee == pytest.approx(12 * (25.0 + 60.0 + 100.0))


def test_unknown_devices_and_a_missing_hybrid_are_refused() -> None:
    with pytest.raises(PlanInputError, match=r"unknown id.*'nope'"):
        simulate(office(), CLIENT, ModelParams(), 100, 1, managed=["core", "nope"])
    with pytest.raises(PlanInputError, match="managed=ids"):
        compare_hybrid(simulate(office(), CLIENT, ModelParams(), 100, 1), office(), CLIENT)
