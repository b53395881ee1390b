"""Spec §6 tests 3 (constant hazard), 4 (Weibull conditional survival) and 5 (hidden failure)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from sitekeeper.plan import ClassProfile, ClientParams, Device, Estate, Power, compare, simulate
from sitekeeper.plan.profiles import DEFAULT_PROFILES
from sitekeeper.plan.schedule import Schedule
from sitekeeper.plan.weibull import p_fail_within
from tests.plan.estates import quiet_params, soft_only

TRIALS = 20_000


def test_constant_hazard_counts_ttr_and_downtime() -> None:
    lam, n, w, c_h = 0.8, 11, 0.05, 1000.0
    client = ClientParams(c_h, schedule=Schedule.always())
    sim = simulate(soft_only(lam, n, w), client, quiet_params(), TRIALS, seed=3)
    counts = sim.bf.outages.astype(float)
    se = counts.std(ddof=1) / math.sqrt(TRIALS)
    assert abs(counts.mean() - n * lam) < 4 * se
    assert counts.var(ddof=1) / counts.mean() == pytest.approx(1.0, rel=0.05)
    # break-fix TTR: detect Exp(0.5) + LN(24, 0.8) lag + 1.3·LN(1.5, 0.6) repair (I < I_emerg)
    expected_ttr = 0.5 + 24 * math.exp(0.32) + 1.5 * 1.3 * math.exp(0.18)
    mean_ttr = sim.bf.downtime_hours.sum() / (w * counts.sum())
    assert mean_ttr == pytest.approx(expected_ttr, rel=0.02)
    downtime = compare(sim, client).bf.components["downtime"]
    assert downtime == pytest.approx(n * lam * w * expected_ttr * c_h, rel=0.03)


def test_weibull_conditional_survival_of_a_six_year_old_server() -> None:
    prof = replace(DEFAULT_PROFILES["server"], soft_rate=0.0)
    estate = Estate((Device("srv", "server", 6.0, 0.5, 5000.0),), (), {"server": prof})
    trials = 200_000
    sim = simulate(estate, ClientParams(100.0), quiet_params(), trials, seed=4)
    failed = (sim.bf.outages > 0).mean()
    p = p_fail_within(6.0, prof.weibull_shape, prof.weibull_scale_y)
    assert p == pytest.approx(1 - math.exp(-((7 / 22) ** 1.5) + (6 / 22) ** 1.5))  # the closed form
    assert abs(failed - p) < 4 * math.sqrt(p * (1 - p) / trials)


def test_weekly_self_test_leaves_half_an_interval_of_exposure() -> None:
    lam, cuts, week = 0.1, 4.0, 168.0
    ups = ClassProfile(
        1.0,
        float("inf"),
        0.0,
        1.0,
        25.0,
        battery=True,
        battery_shape=1.0,
        battery_scale_y=1 / lam,
    )
    estate = Estate((Device("ups", "ups", 0.0, 0.5, 800.0),), (), {"ups": ups})
    params = replace(quiet_params(), power=Power(cuts_per_year=cuts, self_test_interval_h=week))
    trials = 200_000
    sim = simulate(estate, ClientParams(100.0), params, trials, seed=5)
    expected = cuts * lam * (week / 8760) / 2
    assert sim.ms.battery_demands.mean() == pytest.approx(expected, rel=0.15)
    # break-fix has no test: most failures are found by the next cut
    assert sim.bf.battery_demands.mean() > 5 * sim.ms.battery_demands.mean()
    assert np.all(sim.ms.battery_demands <= sim.bf.battery_demands)
