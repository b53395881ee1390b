"""Wear-out failures and lifecycle replacement (spec §2.3.1), both models on the same uniforms.

Each device-year (a "cell": trial × device) runs up to `1 + max_renewals` segments. A segment
draws one uniform per cell that both models read: break-fix runs to failure; managed first
replaces at age T_c and turns a share p_pred of failures into planned replacements. After the
first segment only the cells that renewed are carried on, which keeps the work near one pass.
Most cells have no event in the year: each segment draws its uniforms for every carried cell
(so the random streams do not depend on it) but runs the exact model only on the cells whose
uniform lets them fail or whose planned replacement can fall in the year; skipped cells would
have had no event, so the results are the same for a fraction of the work.

Given a per-device `managed` mask, a third (hybrid) path is read off the same cells: managed
devices follow the managed path, the others the break-fix path. It draws nothing of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sitekeeper.plan.devices import Columns
from sitekeeper.plan.dists import BoolArray, FloatArray, IntArray
from sitekeeper.plan.restore import Randoms, RestorePolicy
from sitekeeper.plan.schedule import YEAR_H
from sitekeeper.plan.weibull import conditional_time_to_failure, cumulative_hazard


@dataclass(frozen=True)
class Failures:
    trial: IntArray
    device: IntArray
    t0: FloatArray
    randoms: Randoms


@dataclass(frozen=True)
class HybridWear:
    """The hybrid plan's wear-out: managed devices' managed events, the others' break-fix ones."""

    failures: Failures
    hardware: FloatArray
    planned_h: FloatArray


@dataclass(frozen=True)
class WearOut:
    bf: Failures
    ms: Failures
    bf_hardware: FloatArray  # per trial: purchases + BV_start − BV_end
    ms_hardware: FloatArray
    ms_planned_h: FloatArray  # per trial: hands-on hours of planned and predicted replacements
    hybrid: HybridWear | None = None


class _Path:
    """Per-cell state of one support model: current unit's age, since when, purchases.

    `live` (the unit renewed in the last segment) is read only for the cells still carried.
    """

    def __init__(self, age0: FloatArray) -> None:
        self.age = age0.copy()
        self.start = np.zeros(len(age0))
        self.buys = np.zeros(len(age0))
        self.live = np.ones(len(age0), dtype=np.bool_)

    def renew(self, idx: IntArray, renewed: BoolArray, at: FloatArray) -> None:
        new = idx[renewed]  # cells are unique within a segment, so plain scatters suffice
        self.start[new] = at[renewed]
        self.age[new] = 0.0
        self.buys[new] += 1.0
        self.live[idx] = renewed


@dataclass(frozen=True)
class _Cut:
    """One segment's cells and the TTR draws of the cells where either model failed."""

    trial: IntArray
    dev: IntArray
    rnd: Randoms
    drawn: BoolArray

    def events(self, mask: BoolArray, t: FloatArray) -> Failures:
        return Failures(self.trial[mask], self.dev[mask], t[mask], self.rnd.take(mask[self.drawn]))


def simulate_wearout(
    cols: Columns,
    n_trials: int,
    rng: np.random.Generator,
    ms_policy: RestorePolicy,
    max_renewals: int = 3,
    managed: BoolArray | None = None,
) -> WearOut:
    n = cols.n
    age0 = np.tile(cols.age_y, n_trials)
    bf, ms = _Path(age0), _Path(age0)
    hazard0 = cumulative_hazard(cols.age_y, cols.shape, cols.scale_y)
    floor_first = _event_floor(cols, cols.age_y, hazard0)
    floor_later = _event_floor(cols, np.zeros(n), np.zeros(n))
    planned_h = np.zeros(n_trials)
    bf_parts: list[Failures] = []
    ms_parts: list[Failures] = []
    hy_parts: list[Failures] = []
    hy_planned_h = np.zeros(n_trials)
    idx: IntArray = np.arange(n_trials * n)
    for segment in range(1 + max_renewals):
        if idx.size == 0:
            break
        u = 1.0 - rng.random(idx.size)
        v = rng.random(idx.size)
        if segment == 0:
            keep = (u.reshape(n_trials, n) >= floor_first).ravel()
        else:
            keep = u >= floor_later[idx % n]
        idx, u, v = idx[keep], u[keep], v[keep]
        dev = idx % n
        trial = idx // n
        shape, scale = cols.shape[dev], cols.scale_y[dev]
        a_bf, a_ms = bf.age[idx], ms.age[idx]
        h_bf = hazard0[dev] if segment == 0 else None
        ttf_bf = conditional_time_to_failure(a_bf, shape, scale, u, h_bf)
        ttf_ms = ttf_bf.copy()
        differ = a_ms != a_bf
        if differ.any():
            ttf_ms[differ] = conditional_time_to_failure(
                a_ms[differ], shape[differ], scale[differ], u[differ]
            )
        t_bf = bf.start[idx] + YEAR_H * ttf_bf
        t_ms = ms.start[idx] + YEAR_H * ttf_ms
        t_plan = ms.start[idx] + YEAR_H * np.maximum(0.0, cols.planned_age_y[dev] - a_ms)
        fail_bf = bf.live[idx] & (t_bf < YEAR_H)
        plan = ms.live[idx] & (t_plan <= t_ms) & (t_plan < YEAR_H)
        broke = ms.live[idx] & ~plan & (t_ms < YEAR_H)
        predicted = broke & (v < cols.p_pred[dev])
        drawn = fail_bf | broke
        rnd = Randoms.draw(rng, int(drawn.sum()))

        cut = _Cut(trial, dev, rnd, drawn)
        bf_parts.append(cut.events(fail_bf, t_bf))
        ms_parts.append(cut.events(broke & ~predicted, t_ms))
        pred = cut.events(predicted, t_ms)
        hours = lognormal_hours(ms_policy, cols.repair_median_h[pred.device], pred.randoms.repair)
        planned_h += np.bincount(pred.trial, weights=hours, minlength=n_trials)
        plan_h = ms_policy.repair_multiplier * cols.repair_median_h[dev[plan]]
        planned_h += np.bincount(trial[plan], weights=plan_h, minlength=n_trials)
        if managed is not None:
            m = managed[dev]
            hy_parts.append(cut.events(fail_bf & ~m, t_bf))
            hy_parts.append(cut.events(broke & ~predicted & m, t_ms))
            mp = managed[pred.device]
            hy_planned_h += np.bincount(pred.trial[mp], weights=hours[mp], minlength=n_trials)
            mp = managed[dev[plan]]
            hy_planned_h += np.bincount(trial[plan][mp], weights=plan_h[mp], minlength=n_trials)
        bf.renew(idx, fail_bf, t_bf)
        ms.renew(idx, plan | broke, np.where(plan, t_plan, t_ms))
        idx = idx[fail_bf | plan | broke]
    per_bf, per_ms = _per_device(cols, bf, n_trials), _per_device(cols, ms, n_trials)
    hybrid = None
    if managed is not None:
        per_hy = np.where(managed, per_ms, per_bf)
        hybrid = HybridWear(_join(hy_parts), per_hy.sum(axis=1), hy_planned_h)
    return WearOut(
        _join(bf_parts),
        _join(ms_parts),
        per_bf.sum(axis=1),
        per_ms.sum(axis=1),
        planned_h,
        hybrid,
    )


# Relative slack on the survival threshold, far above the rounding error of the exact
# computation (~1e-14), so every cell that the exact code could count as an event is kept.
_MARGIN = 1e-6


def _event_floor(cols: Columns, age: FloatArray, hazard: FloatArray) -> FloatArray:
    """Per device: the uniform below which a live unit aged `age` has no event this year.

    A unit aged a fails within a year iff −ln u < H(a+1) − H(a), i.e. iff u is above its
    one-year survival exp(−(H(a+1) − H(a))); less of the year remains after a renewal, so this
    bounds later segments too, where every live unit is new (a = 0). A device whose planned
    replacement can fall in the year gets −inf: all its cells go to the exact computation.
    """
    survival = np.exp(hazard - cumulative_hazard(age + 1.0, cols.shape, cols.scale_y))
    due = YEAR_H * np.maximum(0.0, cols.planned_age_y - age) < YEAR_H
    floor: FloatArray = np.where(due, -np.inf, survival * (1.0 - _MARGIN))
    return floor


def lognormal_hours(policy: RestorePolicy, median: FloatArray, z: FloatArray) -> FloatArray:
    """Hands-on hours of a repair under `policy`, from the event's shared normal draw."""
    out: FloatArray = policy.repair_multiplier * median * np.exp(policy.repair_sigma * z)
    return out


def _per_device(cols: Columns, path: _Path, n_trials: int) -> FloatArray:
    """Economic depreciation per (trial, device): purchases + BV_start − BV_end (straight
    line); summed over devices it is the model's hardware cost per trial."""
    shape = (n_trials, cols.n)
    end_age = (path.age + (YEAR_H - path.start) / YEAR_H).reshape(shape)
    life = cols.book_life_y
    bv0 = cols.cost * np.maximum(0.0, 1.0 - cols.age_y / life)
    bv1 = cols.cost * np.maximum(0.0, 1.0 - end_age / life)
    out: FloatArray = path.buys.reshape(shape) * cols.cost + bv0 - bv1
    return out


def _join(parts: list[Failures]) -> Failures:
    return Failures(
        np.concatenate([p.trial for p in parts]),
        np.concatenate([p.device for p in parts]),
        np.concatenate([p.t0 for p in parts]),
        Randoms(
            *(
                np.concatenate([getattr(p.randoms, f) for p in parts])
                for f in Randoms.__dataclass_fields__
            )
        ),
    )
