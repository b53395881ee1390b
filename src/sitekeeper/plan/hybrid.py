"""The third option (spec §8.3): managed for the critical devices only, break-fix for the rest.

`simulate(..., managed=ids)` costs the hybrid on the same draws as break-fix and managed (see
`simulate` for what a device outside the plan gets: break-fix restore, no planned replacement,
no soft-incident reduction, no per-device fee; the site fee is paid; security is break-fix's
unless every device is covered). This module picks the devices and summarises the result.

Which devices are critical: those where managing the device saves more downtime cost than its
fee. A device's saving is E[I]·λ·C_h times the operating hours each outage loses less under
managed, read from the run's own per-root attribution:
C_h · (break-fix − managed impact-weighted hours rooted at the device) / trials, compared with
12 × the device's monthly fee. Call-out labour saved is not counted per device, so the rule
leans towards covering fewer devices; `top_k` takes the k devices with the largest saving
instead. The devices are chosen on the same draws the hybrid is then judged on, which favours
the hybrid slightly for devices near the line.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

import numpy as np

from sitekeeper.plan.errors import PlanInputError
from sitekeeper.plan.inputs import ClientParams, Estate
from sitekeeper.plan.simulate import ModelParams, Simulation, simulate
from sitekeeper.plan.summary import ModelSummary, summarise

Option = Literal["break-fix", "managed", "hybrid"]


@dataclass(frozen=True)
class HybridComparison:
    hybrid: ModelSummary
    devices: tuple[str, ...]  # the devices the hybrid manages, in estate order
    annual_fee: float  # what the hybrid costs in fees a year (device fees + site fee)
    delta_vs_bf: float  # E[BF − hybrid]: what the hybrid saves against break-fix
    delta_vs_bf_se: float
    delta_vs_ms: float  # E[MS − hybrid]: what it saves against full managed
    delta_vs_ms_se: float
    p_cheapest: dict[Option, float]  # share of simulated years each option costs least
    best: Option  # lowest mean (CVaR95 for a risk-averse client)


def device_savings(sim: Simulation, estate: Estate, client: ClientParams) -> dict[str, float]:
    """Per device: expected downtime cost a year that managing it saves (negative: adds)."""
    saved = client.cost_per_hour * (sim.bf_roots.device - sim.ms_roots.device) / sim.n_trials
    return {d.id: float(s) for d, s in zip(estate.devices, saved, strict=True)}


def critical_devices(
    sim: Simulation, estate: Estate, client: ClientParams, top_k: int | None = None
) -> tuple[str, ...]:
    """The devices worth managing: downtime saving above 12 × monthly fee, or the top k."""
    savings = device_savings(sim, estate, client)
    if top_k is not None:
        if top_k < 0:
            raise PlanInputError(f"hybrid top_k = {top_k}: give a number of devices >= 0")
        ranked = sorted(savings, key=lambda i: (-savings[i], i))[:top_k]
        return tuple(d.id for d in estate.devices if d.id in ranked)
    return tuple(
        d.id
        for d in estate.devices
        if savings[d.id] > 12.0 * estate.profiles[d.device_class].monthly_fee
    )


def compare_hybrid(sim: Simulation, estate: Estate, client: ClientParams) -> HybridComparison:
    """The hybrid's summary and its paired differences against break-fix and managed."""
    if sim.hybrid is None:
        raise PlanInputError(
            "compare_hybrid: the simulation has no hybrid; run simulate(..., managed=ids)"
        )
    c = client.cost_per_hour
    totals = np.stack([sim.bf.total(c), sim.ms.total(c), sim.hybrid.costs.total(c)])
    hy = totals[2]
    summary = summarise(sim.hybrid.costs, client)
    options: tuple[Option, ...] = ("break-fix", "managed", "hybrid")
    cheapest = np.argmin(totals, axis=0)
    if client.risk == "mean":
        scores = [float(t.mean()) for t in totals]
    else:
        scores = [summarise(m, client).cvar95 for m in (sim.bf, sim.ms, sim.hybrid.costs)]
    return HybridComparison(
        hybrid=summary,
        devices=tuple(d.id for d, m in zip(estate.devices, sim.hybrid.managed, strict=True) if m),
        annual_fee=float(sim.hybrid.costs.fee.mean()),
        delta_vs_bf=float((totals[0] - hy).mean()),
        delta_vs_bf_se=_se(totals[0] - hy),
        delta_vs_ms=float((totals[1] - hy).mean()),
        delta_vs_ms_se=_se(totals[1] - hy),
        p_cheapest={o: float((cheapest == k).mean()) for k, o in enumerate(options)},
        best=options[int(np.argmin(scores))],
    )


def hybrid_plan(
    estate: Estate,
    client: ClientParams,
    params: ModelParams,
    n_trials: int,
    seed: int,
    managed: Collection[str] | None = None,
    top_k: int | None = None,
) -> tuple[Simulation, HybridComparison]:
    """Choose the critical devices (unless `managed` names them) and cost the hybrid.

    Returns the simulation (break-fix and managed come out exactly as from `simulate` with
    the same seed) and the hybrid's comparison.
    """
    if managed is None:
        first = simulate(estate, client, params, n_trials, seed)
        managed = critical_devices(first, estate, client, top_k)
    sim = simulate(estate, client, params, n_trials, seed, managed=managed)
    return sim, compare_hybrid(sim, estate, client)


def _se(x: np.ndarray) -> float:
    return float(x.std(ddof=1) / math.sqrt(len(x)))
