"""One run of the advisor model: `simulate(estate, client, params, n_trials, seed)`.

Pure and reproducible: every random number comes from a SeedSequence derived from the seed,
with one stream per process, so the same seed gives bit-identical results. Trials run in
chunks to bound memory; each chunk has its own stream, so results do not depend on timing.

With `managed` (a set of device ids) a third plan is costed on the same draws: the hybrid,
managed for those devices only (spec §8.3). The devices outside it follow break-fix restore,
get no planned replacement, no soft-incident reduction and no per-device fee; the site fee is
still paid; security is break-fix's, because patching, MFA and e-mail filtering protect the
site only when every device is under the plan (so a plan covering every device is exactly
managed, and one covering none is break-fix plus the site fee). Asking for the hybrid draws no
extra random number, so break-fix and managed come out the same with or without it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from functools import reduce

import numpy as np

from sitekeeper.plan.devices import Columns, columns
from sitekeeper.plan.dists import BoolArray, FloatArray, IntArray
from sitekeeper.plan.errors import PlanInputError
from sitekeeper.plan.inputs import ClientParams, Estate, Power, Priors, RateCard, Security
from sitekeeper.plan.ledger import Ledger, ModelCosts, RootHours, concat
from sitekeeper.plan.power import BatteryEvents, Cuts, battery_events, draw_cuts, site_outages
from sitekeeper.plan.restore import (
    Randoms,
    Restoration,
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
class HybridRun:
    """The hybrid plan's results: managed for the devices where `managed` is true."""

    costs: ModelCosts
    roots: RootHours
    managed: BoolArray  # per device, in estate order


@dataclass(frozen=True)
class Simulation:
    bf: ModelCosts
    ms: ModelCosts
    n_trials: int
    seed: int
    bf_roots: RootHours  # downtime hours by root device, summed over trials
    ms_roots: RootHours
    hybrid: HybridRun | None = None


def managed_mask(estate: Estate, managed: Collection[str]) -> BoolArray:
    """Per device (estate order): whether its id is in `managed`; an unknown id is an error."""
    ids = {d.id for d in estate.devices}
    unknown = sorted(set(managed) - ids)
    if unknown:
        raise PlanInputError(
            f"managed devices: unknown id(s) {', '.join(map(repr, unknown))}; "
            "give ids of the estate's devices"
        )
    return np.asarray([d.id in managed for d in estate.devices], dtype=np.bool_)


def simulate(
    estate: Estate,
    client: ClientParams,
    params: ModelParams,
    n_trials: int,
    seed: int,
    managed: Collection[str] | None = None,
) -> Simulation:
    """Both support models (and the hybrid over `managed`, if given) on the same draws."""
    if n_trials < 2:
        raise PlanInputError(f"n_trials = {n_trials}: need at least 2 trials for a spread")
    cols = columns(estate)
    mask = None if managed is None else managed_mask(estate, managed)
    parts: list[list[Ledger]] = []
    for i, start in enumerate(range(0, n_trials, CHUNK)):
        n = min(CHUNK, n_trials - start)
        streams = np.random.SeedSequence(seed, spawn_key=(i,)).spawn(6)
        rngs = [np.random.default_rng(s) for s in streams]
        parts.append(_chunk(estate, cols, client, params, n, rngs, mask))

    def costs(k: int) -> ModelCosts:
        return concat([p[k].freeze() for p in parts])

    def roots(k: int) -> RootHours:
        return reduce(lambda a, b: a + b, (p[k].roots() for p in parts))

    hybrid = None if mask is None else HybridRun(costs(2), roots(2), mask)
    return Simulation(costs(0), costs(1), n_trials, seed, roots(0), roots(1), hybrid)


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
    managed: BoolArray | None,
) -> list[Ledger]:
    """One chunk's ledgers: break-fix, managed, and the hybrid when `managed` is given."""
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
    bf, ms = Ledger(n, cols.n), Ledger(n, cols.n)
    hy = None if managed is None else Ledger(n, cols.n)
    site_fee = params.rates.site_fee_monthly
    ms.fee += 12.0 * (cols.monthly_fee.sum() + site_fee)
    sched = client.schedule

    wear = simulate_wearout(cols, n, r_wear, params.ms, params.max_renewals, managed)
    bf.hardware += wear.bf_hardware
    ms.hardware += wear.ms_hardware
    if params.rates.bill_planned_work:
        ms.labour += wear.ms_planned_h * params.rates.project_rate
    if hy is not None and managed is not None and wear.hybrid is not None:
        hy.fee += 12.0 * (np.where(managed, cols.monthly_fee, 0.0).sum() + site_fee)
        hy.hardware += wear.hybrid.hardware
        if params.rates.bill_planned_work:
            hy.labour += wear.hybrid.planned_h * params.rates.project_rate

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
    _outages(bf, False, params, sched, cols, soft, None, wear.bf)
    _outages(ms, True, params, sched, cols, soft, keep, wear.ms)
    if hy is not None and managed is not None and wear.hybrid is not None:
        keep_hy = keep | ~managed[soft.device]
        _outages(hy, managed, params, sched, cols, soft, keep_hy, wear.hybrid.failures)
    ledgers = [bf, ms] if hy is None else [bf, ms, hy]

    cuts = draw_cuts(params.power, n, r_power)
    site = site_outages(cuts, params.power, bool(cols.battery.any()))
    lost = sched.operating_hours(site.t0 + site.duration) - sched.operating_hours(site.t0)
    for ledger in ledgers:
        ledger.outages(site.trial, np.ones(len(lost)), lost, None)
    _batteries(estate, cols, cuts, params, sched, r_battery, ledgers, managed)

    book_security(
        params.security,
        params.rates,
        sched,
        seat_impact(estate, client),
        p_major,
        r_sec,
        bf,
        ms,
        hy,
        managed is not None and bool(managed.all()),
    )
    return ledgers


def _outages(
    ledger: Ledger,
    managed: bool | BoolArray,
    params: ModelParams,
    sched: Schedule,
    cols: Columns,
    soft: Failures,
    keep: np.ndarray | None,
    wear: Failures,
) -> None:
    """Restore soft incidents and failures; book downtime and break-fix call-outs.

    `managed` is the model (True: managed, False: break-fix) or, for the hybrid, per device.
    """
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

    def run(policy: RestorePolicy) -> Restoration:
        return restore(policy, sched, t0, impact, hardware, cols.repair_median_h[device], rnd)

    if isinstance(managed, bool):
        res = run(params.ms if managed else params.bf)
        billed = np.full(len(trial), not managed)
    else:
        on = managed[device]
        res_bf, res_ms = run(params.bf), run(params.ms)
        res = Restoration(
            *(
                np.where(on, getattr(res_ms, f), getattr(res_bf, f))
                for f in Restoration.__dataclass_fields__
            )
        )
        billed = ~on
    lost = sched.operating_hours(res.end) - sched.operating_hours(t0)
    ledger.outages(trial, impact, lost, device)
    if billed.any():
        bill = _call_out(params.rates, sched, res.repair_h, res.start, res.emergency)
        ledger.add(ledger.labour, trial[billed], bill[billed])


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
    ledgers: list[Ledger],
    managed: BoolArray | None,
) -> None:
    """Book the power cuts that found a UPS battery dead, and the batteries bought."""
    for ev in battery_events(estate, cols, cuts, params.power, rng):
        cost = estate.profiles[estate.devices[ev.device].device_class].battery_cost
        impact = cols.impact(
            np.full(len(ev.failover), ev.device), ev.failover, params.q_failover_fail
        )
        models = [False, True] + ([] if managed is None else [bool(managed[ev.device])])
        for ledger, is_managed in zip(ledgers, models, strict=True):
            _battery(ledger, is_managed, ev, impact, cost, params, sched)


def _battery(
    ledger: Ledger,
    managed: bool,
    ev: BatteryEvents,
    impact: FloatArray,
    cost: float,
    params: ModelParams,
    sched: Schedule,
) -> None:
    pw, rates = params.power, params.rates
    demand, bought = (ev.demand_ms, ev.bought_ms) if managed else (ev.demand_bf, ev.bought_bf)
    trial = np.flatnonzero(demand)
    t0 = ev.cut_time[trial]
    end = t0 + ev.cut_duration[trial] + pw.restart_h
    lost = sched.operating_hours(end) - sched.operating_hours(t0)
    ledger.outages(trial, impact[trial], lost, np.full(len(trial), ev.device))
    ledger.battery_demands += demand
    ledger.hardware += np.where(bought, cost, 0.0)
    if managed:
        if rates.bill_planned_work:
            ledger.labour += np.where(bought, pw.battery_swap_h * rates.project_rate, 0.0)
        return
    k = int(bought.sum())
    ledger.add(
        ledger.labour,
        np.flatnonzero(bought),
        _call_out(
            rates, sched, np.full(k, pw.battery_swap_h), ev.cut_time[bought], np.zeros(k, bool)
        ),
    )
