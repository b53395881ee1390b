"""The tornado chart (spec §5): one bar per uncertain input, sorted by swing, flip values."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sitekeeper.plan import (
    ClientParams,
    GammaDist,
    ModelParams,
    PlanInputError,
    Priors,
    TornadoBar,
    TornadoInput,
    compare,
    simulate,
    tornado,
)
from sitekeeper.plan.tornado import KNOBS
from tests.plan.estates import office

TRIALS = 1000
SEED = 4
CLIENT = ClientParams(1500.0)


@pytest.fixture(scope="module")
def bars() -> list[TornadoBar]:
    return tornado(office(), CLIENT, ModelParams(), TRIALS, SEED)


def test_every_default_input_gets_a_bar_sorted_by_swing(bars: list[TornadoBar]) -> None:
    assert {b.name for b in bars} == set(KNOBS)
    swings = [b.swing for b in bars]
    assert swings == sorted(swings, reverse=True)
    assert all(b.swing == pytest.approx(abs(b.delta_high - b.delta_low)) for b in bars)
    assert bars[0].name == "cost_per_hour"  # the spec's prototype has it far ahead too
    base = compare(simulate(office(), CLIENT, ModelParams(), TRIALS, SEED), CLIENT).delta_mean
    assert all(b.delta_base == pytest.approx(base, rel=1e-12) for b in bars)


def test_the_default_ranges_follow_the_spec_table(bars: list[TornadoBar]) -> None:
    by_name = {b.name: b for b in bars}
    assert (by_name["cost_per_hour"].low, by_name["cost_per_hour"].high) == pytest.approx(
        (495.0, 4950.0)
    )
    assert (by_name["bf_scheduling_lag_h"].low, by_name["bf_scheduling_lag_h"].high) == (8, 72)
    assert by_name["e_soft_mean"].base == pytest.approx(0.35)
    assert by_name["p_major_mean"].base == pytest.approx(0.04)


def test_the_cost_per_hour_bar_flips_at_the_closed_form_break_even(
    bars: list[TornadoBar],
) -> None:
    cost = next(b for b in bars if b.name == "cost_per_hour")
    result = compare(simulate(office(), CLIENT, ModelParams(), TRIALS, SEED), CLIENT)
    assert result.break_even_cost_per_hour is not None
    assert cost.flip == result.break_even_cost_per_hour
    assert cost.flip_exact
    assert cost.delta_low < 0 < cost.delta_high


def test_swapping_low_and_high_mirrors_the_bar(bars: list[TornadoBar]) -> None:
    by_name = {b.name: b for b in bars}
    swapped = [TornadoInput(b.name, b.high, b.low) for b in bars]
    mirrored = tornado(office(), CLIENT, ModelParams(), TRIALS, SEED, swapped)
    assert [b.name for b in mirrored] == [b.name for b in bars]
    for m in mirrored:
        b = by_name[m.name]
        assert (m.low, m.high) == (b.high, b.low)
        assert (m.delta_low, m.delta_high) == (b.delta_high, b.delta_low)
        assert m.swing == b.swing
        assert m.flip == b.flip


def test_a_linear_input_flips_exactly_where_delta_reaches_zero() -> None:
    (fee,) = tornado(
        office(), CLIENT, ModelParams(), TRIALS, SEED, [TornadoInput("site_fee_monthly", 0, 3000)]
    )
    assert fee.flip_exact
    assert fee.delta_low - fee.delta_high == pytest.approx(12 * 3000)  # 12 months a year
    assert fee.flip == pytest.approx(fee.base + fee.delta_base / 12.0)


def test_an_interpolated_flip_is_marked_approximate_and_lands_near_the_break_even() -> None:
    client = ClientParams(600.0)  # close to this office's break-even
    (lag,) = tornado(
        office(), client, ModelParams(), TRIALS, SEED, [TornadoInput("bf_scheduling_lag_h", 8, 72)]
    )
    assert not lag.flip_exact
    assert lag.flip is not None and 8 < lag.flip < 72
    params = ModelParams()
    at_flip = replace(params, bf=replace(params.bf, routine_lag_median_h=lag.flip))
    delta = compare(simulate(office(), client, at_flip, TRIALS, SEED), client).delta_mean
    assert abs(delta) < 0.1 * lag.swing


def test_no_flip_when_the_sign_holds_over_the_range(bars: list[TornadoBar]) -> None:
    e_soft = next(b for b in bars if b.name == "e_soft_mean")
    assert e_soft.delta_low > 0 and e_soft.delta_high > 0
    assert e_soft.flip is None


def test_an_unknown_input_is_refused_with_the_known_names() -> None:
    with pytest.raises(PlanInputError, match="choose from cost_per_hour"):
        tornado(office(), CLIENT, ModelParams(), TRIALS, SEED, [TornadoInput("fee", 0, 1)])


def test_a_prior_whose_mean_cannot_be_moved_is_refused() -> None:
    params = ModelParams(priors=Priors(e_soft=GammaDist(2.0, 5.0)))
    with pytest.raises(PlanInputError, match="BetaDist or Fixed"):
        tornado(office(), CLIENT, params, TRIALS, SEED, [TornadoInput("e_soft_mean", 0.2, 0.5)])
