"""The 3-year contract view (spec §8.2): each year on an older estate, seeds derived."""

from __future__ import annotations

import pytest

from sitekeeper.plan import (
    ClassProfile,
    ClientParams,
    Device,
    Estate,
    ModelParams,
    PlanInputError,
    compare,
    hybrid_plan,
    simulate,
    three_year,
)
from sitekeeper.plan.horizon import aged, year_seed
from tests.plan.estates import office, quiet_params

CLIENT = ClientParams(1500.0)
TRIALS = 1500


def wearing(n: int = 12) -> Estate:
    """Devices with a steep wear-out (β = 3, η = 8 y), no soft incidents, never replaced."""
    prof = ClassProfile(3.0, 8.0, 0.0, 2.0, 20.0)
    devices = tuple(Device(f"d{i}", "box", 4.0, 0.05, 1000.0, book_life_y=10.0) for i in range(n))
    return Estate(devices, (), {"box": prof})


def test_year_one_is_the_one_year_answer_with_the_same_seed() -> None:
    view = three_year(office(), CLIENT, ModelParams(), TRIALS, 21)
    one = compare(simulate(office(), CLIENT, ModelParams(), TRIALS, 21), CLIENT)
    first = view.years[0]
    assert (first.year, first.seed) == (1, 21)
    assert first.bf_mean == one.bf.mean
    assert first.ms_mean == one.ms.mean
    assert first.delta_mean == pytest.approx(one.delta_mean, rel=1e-12)
    assert first.delta_se == pytest.approx(one.delta_se, rel=1e-12)


def test_the_totals_add_the_years_and_the_run_is_reproducible() -> None:
    view = three_year(office(), CLIENT, ModelParams(), TRIALS, 21)
    assert [v.year for v in view.years] == [1, 2, 3]
    assert len({v.seed for v in view.years}) == 3
    assert view.bf_total == pytest.approx(sum(v.bf_mean for v in view.years))
    assert view.ms_total == pytest.approx(sum(v.ms_mean for v in view.years))
    assert view.delta_total == pytest.approx(view.bf_total - view.ms_total)
    assert view.delta_se == pytest.approx(sum(v.delta_se**2 for v in view.years) ** 0.5)
    assert 0.0 <= view.p_ms_cheaper <= 1.0
    assert view.hybrid_total is None
    assert three_year(office(), CLIENT, ModelParams(), TRIALS, 21) == view


def test_a_year_one_the_caller_already_ran_gives_the_same_view() -> None:
    """The advisor passes the hybrid plan's simulation in rather than running it twice."""
    sim, hybrid = hybrid_plan(office(), CLIENT, ModelParams(), TRIALS, 21)
    again = three_year(office(), CLIENT, ModelParams(), TRIALS, 21, managed=hybrid.devices)
    reused = three_year(
        office(), CLIENT, ModelParams(), TRIALS, 21, managed=hybrid.devices, first_year=sim
    )
    assert reused == again
    assert reused.hybrid_total is not None


def test_an_ageing_estate_costs_more_each_year_under_break_fix() -> None:
    view = three_year(wearing(), CLIENT, quiet_params(), 4000, 5)
    bf = [v.bf_mean for v in view.years]
    assert bf[0] < bf[1] < bf[2]


def test_the_estate_ages_one_year_per_contract_year() -> None:
    estate = office()
    older = aged(estate, 2.0)
    for d, o in zip(estate.devices, older.devices, strict=True):
        assert o.age_y == d.age_y + 2.0
        assert o.battery_age_y == (None if d.battery_age_y is None else d.battery_age_y + 2.0)
    assert older.edges == estate.edges


def test_year_seeds_are_derived_and_year_one_keeps_the_seed() -> None:
    assert year_seed(7, 1) == 7
    assert year_seed(7, 2) == year_seed(7, 2) != year_seed(7, 3)
    assert year_seed(7, 2) != year_seed(8, 2)
    with pytest.raises(PlanInputError, match="count from 1"):
        year_seed(7, 0)
    with pytest.raises(PlanInputError, match="at least 1"):
        three_year(office(), CLIENT, ModelParams(), TRIALS, 7, years=0)


def test_a_hybrid_over_every_device_matches_managed_each_year() -> None:
    ids = [d.id for d in office().devices]
    view = three_year(office(), CLIENT, ModelParams(), TRIALS, 4, years=2, managed=ids)
    assert [v.hybrid_mean for v in view.years] == [v.ms_mean for v in view.years]
    assert view.hybrid_total == pytest.approx(view.ms_total)
