"""One run of the advisor model: `simulate(estate, client, params, n_trials, seed)`.

Pure and reproducible: every random number comes from a SeedSequence derived from the seed,
with one stream per process, so the same seed gives bit-identical results. Trials run in
chunks to bound memory; each chunk has its own stream, so results do not depend on timing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sitekeeper.plan.devices import Columns, columns
from sitekeeper.plan.dists import FloatArray, IntArray
from sitekeeper.plan.errors import PlanInputError
from sitekeeper.plan.inputs import ClientParams, Estate, Power, Priors, RateCard, Security
from sitekeeper.plan.ledger import Ledger, ModelCosts, concat
from sitekeeper.plan.power import Cuts, battery_events, draw_cuts, site_outages
from sitekeeper.plan.restore import (
    Randoms,
    RestorePolicy,
    break_fix_policy,
    managed_policy,
    restore,
)
from sitekeeper.plan.schedule import YEAR_H, Schedule
from sitekeeper.plan.security import book_security
from sitekeeper.plan.wearout import Failures, simulate_wearout

CHUNK = 2000


@dataclass(frozen=True)
class ModelParams:
    """Everything about the two support models that is not the client's or the estate's."""

    bf: RestorePolicy = field(default_factory=break_fix_policy)
    ms: RestorePolicy = field(default_factory=managed_policy)
    rates: RateCard = field(default_factory=RateCard)
    priors: Priors = field(default_factory=Priors)
    security: Security = field(default_factory=Security)
    power: Power = field(default_factory=Power)
    q_failover_fail: float = 0.6  # S Gill et al.: redundancy 40% effective
    max_renewals: int = 3


@dataclass(frozen=True)
class Simulation:
    bf: ModelCosts
    ms: ModelCosts
    n_trials: int
    seed: int


def simulate(
    estate: Estate, client: ClientParams, params: ModelParams, n_trials: int, seed: int
) -> Simulation:
    if n_trials < 2:
        raise PlanInputError(f"n_trials = {n_trials}: need at least 2 trials for a spread")
    cols = columns(estate)
    bf_parts: list[ModelCosts] = []
    ms_parts: list[ModelCosts] = []
    for i, start in enumerate(range(0, n_trials, CHUNK)):
        n = min(CHUNK, n_trials - start)
        streams = np.random.SeedSequence(seed, spawn_key=(i,)).spawn(6)
        bf, ms = _chunk(
            estate, cols, client, params, n, [np.random.default_rng(s) for s in streams]
        )
        bf_parts.append(bf)
        ms_parts.append(ms)
    return Simulation(concat(bf_parts), concat(ms_parts), n_trials, seed)


def seat_impact(estate: Estate, client: ClientParams) -> float:
    """Impact of one seat: stated, else the median workstation's w, else the smallest w > 0."""
    if client.seat_impact is not None:
        return client.seat_impact
    seats = [d.criticality for d in estate.devices if d.device_class == "workstation"]
    if seats:
        return float(np.median(seats))
    positive = [d.criticality for d in estate.devices if d.criticality > 0]
    return min(positive, default=0.0)


def _chunk(
    estate: Estate,
    cols: Columns,
    client: ClientParams,
    params: ModelParams,
    n: int,
    rngs: list[np.random.Generator],
) -> tuple[ModelCosts, ModelCosts]:
    r_param, r_wear, r_soft, r_power, r_battery, r_sec = rngs
    pri = params.priors
    theta = pri.frailty.draw(r_param, n)
    e_soft = pri.e_soft.draw(r_param, n)
    p_major = pri.p_major.draw(r_param, n)
    rate = np.broadcast_to(cols.soft_rate, (n, cols.n)).copy()
    for cls in sorted(pri.class_rates):
        rate[:, np.asarray([c == cls for c in cols.classes])] = pri.class_rates[cls].draw(
            r_param, n
        )[:, None]
    bf, ms = Ledger(n), Ledger(n)
    ms.fee += 12.0 * (cols.monthly_fee.sum() + params.rates.site_fee_monthly)
    sched = client.schedule

    wear = simulate_wearout(cols, n, r_wear, params.ms, params.max_renewals)
    bf.hardware += wear.bf_hardware
    ms.hardware += wear.ms_hardware
    if params.rates.bill_planned_work:
        ms.labour += wear.ms_planned_h * params.rates.project_rate

    # soft incidents: managed keeps each break-fix incident with probability 1 − e_soft
    counts = r_soft.poisson(rate * theta[:, None])
    cells = np.repeat(np.arange(counts.size), counts.ravel())
    soft = Failures(
        cells // cols.n,
        cells % cols.n,
        r_soft.random(len(cells)) * YEAR_H,
        Randoms.draw(r_soft, len(cells)),
    )
    keep = r_soft.random(len(cells)) < (1.0 - e_soft[soft.trial])
    _outages(bf, params.bf, True, params, sched, cols, soft, None, wear.bf)
    _outages(ms, params.ms, False, params, sched, cols, soft, keep, wear.ms)

    cuts = draw_cuts(params.power, n, r_power)
    site = site_outages(cuts, params.power, bool(cols.battery.any()))
    lost = sched.operating_hours(site.t0 + site.duration) - sched.operating_hours(site.t0)
    for ledger in (bf, ms):
        ledger.outages(site.trial, np.ones(len(lost)), lost)
    _batteries(estate, cols, cuts, params, sched, r_battery, bf, ms)

    book_security(
        params.security, params.rates, sched, seat_impact(estate, client), p_major, r_sec, bf, ms
    )
    return bf.freeze(), ms.freeze()


def _outages(
    ledger: Ledger,
    policy: RestorePolicy,
    billed: bool,
    params: ModelParams,
    sched: Schedule,
    cols: Columns,
    soft: Failures,
    keep: np.ndarray | None,
    wear: Failures,
) -> None:
    """Restore soft incidents and failures; book downtime and (break-fix) labour."""
    if keep is not None:
        soft = Failures(soft.trial[keep], soft.device[keep], soft.t0[keep], soft.randoms.take(keep))
    trial: IntArray = np.concatenate([soft.trial, wear.trial])
    device: IntArray = np.concatenate([soft.device, wear.device])
    t0: FloatArray = np.concatenate([soft.t0, wear.t0])
    hardware = np.concatenate([np.zeros(len(soft.trial), bool), np.ones(len(wear.trial), bool)])
    rnd = Randoms(
        *(
            np.concatenate([getattr(soft.randoms, f), getattr(wear.randoms, f)])
            for f in Randoms.__dataclass_fields__
        )
    )
    impact = cols.impact(device, rnd.failover, params.q_failover_fail)
    res = restore(policy, sched, t0, impact, hardware, cols.repair_median_h[device], rnd)
    lost = sched.operating_hours(res.end) - sched.operating_hours(t0)
    ledger.outages(trial, impact, lost)
    if billed:
        ledger.add(
            ledger.labour,
            trial,
            _call_out(params.rates, sched, res.repair_h, res.start, res.emergency),
        )


def _call_out(
    rates: RateCard, sched: Schedule, hours: FloatArray, start: FloatArray, emergency: np.ndarray
) -> FloatArray:
    """Break-fix bill: max(h, minimum)·rate·(emergency or after-hours premium) + trip charge."""
    after_hours = sched.is_open(start) == 0.0
    mult = np.where(emergency, rates.emergency_multiplier, 1.0)
    mult = np.where(after_hours, np.maximum(mult, rates.after_hours_multiplier), mult)
    out: FloatArray = np.maximum(hours, rates.minimum_h) * rates.bf_rate * mult + rates.trip_charge
    return out


def _batteries(
    estate: Estate,
    cols: Columns,
    cuts: Cuts,
    params: ModelParams,
    sched: Schedule,
    rng: np.random.Generator,
    bf: Ledger,
    ms: Ledger,
) -> None:
    pw, rates = params.power, params.rates
    for ev in battery_events(estate, cols, cuts, pw, rng):
        dev = estate.devices[ev.device]
        cost = estate.profiles[dev.device_class].battery_cost
        impact = cols.impact(
            np.full(len(ev.failover), ev.device), ev.failover, params.q_failover_fail
        )
        for ledger, demand, bought in (
            (bf, ev.demand_bf, ev.bought_bf),
            (ms, ev.demand_ms, ev.bought_ms),
        ):
            trial = np.flatnonzero(demand)
            t0 = ev.cut_time[trial]
            end = t0 + ev.cut_duration[trial] + pw.restart_h
            lost = sched.operating_hours(end) - sched.operating_hours(t0)
            ledger.outages(trial, impact[trial], lost)
            ledger.battery_demands += demand
            ledger.hardware += np.where(bought, cost, 0.0)
        bf.add(
            bf.labour,
            np.flatnonzero(ev.bought_bf),
            _call_out(
                rates,
                sched,
                np.full(int(ev.bought_bf.sum()), pw.battery_swap_h),
                ev.cut_time[ev.bought_bf],
                np.zeros(int(ev.bought_bf.sum()), bool),
            ),
        )
        if rates.bill_planned_work:
            ms.labour += np.where(ev.bought_ms, pw.battery_swap_h * rates.project_rate, 0.0)
