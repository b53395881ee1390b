"""Top drivers (spec §5): Δ split into paired parts, downtime by the device that started it."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pytest

from sitekeeper.plan import ClientParams, ModelParams, Simulation, compare, drivers, simulate
from tests.plan.estates import office

CLIENT = ClientParams(1500.0)


@pytest.fixture(scope="module")
def sim() -> Simulation:
    return simulate(office(), CLIENT, ModelParams(), 3000, seed=5)


def test_root_hours_add_up_to_the_downtime_hours(sim: Simulation) -> None:
    for roots, costs in ((sim.bf_roots, sim.bf), (sim.ms_roots, sim.ms)):
        assert roots.device.shape == (len(office().devices),)
        assert roots.total() == pytest.approx(float(costs.downtime_hours.sum()), rel=1e-12)


def test_the_parts_add_up_to_the_expected_saving(sim: Simulation) -> None:
    parts = drivers(sim, office(), CLIENT)
    assert sum(d.delta for d in parts) == pytest.approx(compare(sim, CLIENT).delta_mean, rel=1e-9)
    by_class = drivers(sim, office(), CLIENT, by="class")
    assert sum(d.delta for d in by_class) == pytest.approx(sum(d.delta for d in parts), rel=1e-9)


@pytest.mark.parametrize("by", ["device", "class"])
def test_downtime_shares_sum_to_one(sim: Simulation, by: Literal["device", "class"]) -> None:
    parts = drivers(sim, office(), CLIENT, by=by)
    shares = [d.share for d in parts if d.component == "downtime"]
    assert all(s is not None and 0.0 <= s <= 1.0 for s in shares)
    assert sum(s for s in shares if s is not None) == pytest.approx(1.0, rel=1e-12)
    assert all(d.share is None for d in parts if d.component != "downtime")


def test_the_list_is_ranked_by_the_size_of_each_part(sim: Simulation) -> None:
    sizes = [abs(d.delta) for d in drivers(sim, office(), CLIENT)]
    assert sizes == sorted(sizes, reverse=True)


def test_devices_with_a_large_blast_radius_rank_above_single_workstations(
    sim: Simulation,
) -> None:
    parts = drivers(sim, office(), CLIENT)
    rank = {d.name: i for i, d in enumerate(parts)}
    by_name = {d.name: d for d in parts}
    seats = [d for d in parts if d.name.startswith("ws")]
    assert len(seats) == 16
    for big in ("server", "core"):
        assert rank[big] < min(rank[s.name] for s in seats)
        share = by_name[big].share
        assert share is not None
        assert all(s.share is not None and share > s.share for s in seats)
    assert "82% of the business" in by_name["server"].explanation
    assert "when failover fails too" in by_name["router1"].explanation
    assert "dead battery" in by_name["ups"].explanation


def test_site_wide_power_cuts_go_to_utility_power_and_cost_the_same_in_both_models(
    sim: Simulation,
) -> None:
    utility = next(d for d in drivers(sim, office(), CLIENT) if d.name == "utility power")
    assert utility.share is not None and utility.share > 0.0
    assert utility.delta == 0.0
    assert "outlast the UPS" in utility.explanation


def test_a_device_that_takes_nothing_down_is_not_a_driver(sim: Simulation) -> None:
    names = {d.name for d in drivers(sim, office(), CLIENT)}
    assert "nas" not in names  # w = 0 and nothing depends on it alone
    assert not sim.bf_roots.device[[d.id for d in office().devices].index("nas")]


def test_the_fee_is_what_managed_charges_and_break_fix_does_not(sim: Simulation) -> None:
    fee = next(d for d in drivers(sim, office(), CLIENT) if d.component == "fee")
    assert fee.bf == 0.0
    assert fee.delta == -fee.ms == pytest.approx(-float(np.mean(sim.ms.fee)))
    assert "1,200 for the site" in fee.explanation


def test_workstations_grouped_by_class_carry_their_combined_share(sim: Simulation) -> None:
    per_device = drivers(sim, office(), CLIENT)
    grouped = {d.name: d for d in drivers(sim, office(), CLIENT, by="class")}
    seats = sum(d.share or 0.0 for d in per_device if d.name.startswith("ws"))
    assert grouped["workstation"].share == pytest.approx(seats)
    assert len(grouped["workstation"].devices) == 16
    assert grouped["workstation"].explanation.startswith("The 16 workstation devices")
