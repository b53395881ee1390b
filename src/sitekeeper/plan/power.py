"""Power cuts and the hidden failure of UPS batteries (spec §2.3.3).

Cuts are site-wide and identical in both models. A battery fails silently once a year at most.
Break-fix finds it dead at the first cut after it failed; managed finds it at the next weekly
self-test, so the window in which a cut finds it dead averages half the test interval (FFI).
A cut that finds the battery dead also reveals it, so either model replaces it then.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sitekeeper.plan.devices import Columns
from sitekeeper.plan.dists import FloatArray, IntArray, lognormal
from sitekeeper.plan.inputs import Estate, Power
from sitekeeper.plan.schedule import YEAR_H
from sitekeeper.plan.weibull import conditional_time_to_failure


@dataclass(frozen=True)
class Cuts:
    """Padded per-trial cut times (inf where no cut) and durations."""

    times: FloatArray  # (trials, k)
    durations: FloatArray


@dataclass(frozen=True)
class SiteOutages:
    """Outages of the whole site when a cut outlasts the UPS runtime (both models)."""

    trial: IntArray
    t0: FloatArray
    duration: FloatArray


@dataclass(frozen=True)
class BatteryEvents:
    """For one battery device: per trial, whether a cut found it dead, and when it was found."""

    device: int
    demand_bf: np.ndarray  # bool (trials,)
    demand_ms: np.ndarray
    cut_time: FloatArray  # the first cut after the failure (inf if none)
    cut_duration: FloatArray
    bought_bf: np.ndarray
    bought_ms: np.ndarray
    failover: FloatArray  # U(0, 1) per trial for the impact draw


def draw_cuts(power: Power, n_trials: int, rng: np.random.Generator) -> Cuts:
    counts = rng.poisson(power.cuts_per_year, n_trials)
    k = max(1, int(counts.max(initial=0)))
    times = np.sort(rng.random((n_trials, k)) * YEAR_H, axis=1)
    durations = lognormal(power.cut_median_h, power.cut_sigma, rng.standard_normal((n_trials, k)))
    present = np.arange(k)[None, :] < counts[:, None]
    # re-sort so the present cuts are the earliest columns, padding with inf
    times = np.sort(np.where(present, times, np.inf), axis=1)
    return Cuts(times, durations)


def site_outages(cuts: Cuts, power: Power, has_ups: bool) -> SiteOutages:
    """Cuts beyond the UPS runtime (or every cut when there is no UPS) take the site down."""
    present = np.isfinite(cuts.times)
    runtime = power.ups_runtime_h if has_ups else 0.0
    down = present & (cuts.durations > runtime)
    trial, col = np.nonzero(down)
    t0 = cuts.times[trial, col] + runtime
    duration = cuts.durations[trial, col] - runtime + power.restart_h
    return SiteOutages(trial.astype(np.int64), t0, duration)


def battery_events(
    estate: Estate, cols: Columns, cuts: Cuts, power: Power, rng: np.random.Generator
) -> list[BatteryEvents]:
    n_trials = cuts.times.shape[0]
    out: list[BatteryEvents] = []
    for j in np.flatnonzero(cols.battery):
        dev = estate.devices[int(j)]
        prof = estate.profiles[dev.device_class]
        scale = prof.battery_scale_y * 2.0 ** (-(dev.ambient_c - 25.0) / 8.0)
        age = dev.age_y if dev.battery_age_y is None else dev.battery_age_y
        u = 1.0 - rng.random((n_trials,))
        fo = rng.random((n_trials,))
        tau = YEAR_H * conditional_time_to_failure(
            np.full(n_trials, age),
            np.full(n_trials, prof.battery_shape),
            np.full(n_trials, scale),
            u,
        )
        after = np.where(cuts.times > tau[:, None], cuts.times, np.inf)
        col = np.argmin(after, axis=1)
        rows = np.arange(n_trials)
        t_cut = after[rows, col]
        dur = cuts.durations[rows, col]
        failed = tau < YEAR_H
        demand_bf = failed & (t_cut < YEAR_H)
        test = power.self_test_interval_h
        found_at = np.ceil(tau / test) * test if np.isfinite(test) else np.full(n_trials, np.inf)
        demand_ms = failed & (t_cut < np.minimum(found_at, YEAR_H))
        bought_ms = failed & (demand_ms | (found_at < YEAR_H))
        out.append(
            BatteryEvents(int(j), demand_bf, demand_ms, t_cut, dur, demand_bf, bought_ms, fo)
        )
    return out
