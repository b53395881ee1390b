"""Outputs and the decision (spec §2.6): distribution summaries, the paired difference,
exact break-evens and the verdict."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from sitekeeper.plan.dists import FloatArray
from sitekeeper.plan.inputs import ClientParams
from sitekeeper.plan.ledger import ModelCosts
from sitekeeper.plan.simulate import Simulation

Verdict = Literal["managed", "break-fix", "borderline"]
TOLERANCE_SHARE = 0.10  # "breaks your tolerance" when more than 10% of years exceed it


def cvar(x: FloatArray, level: float = 0.95) -> float:
    """Mean of the worst (1 − level) share of years (expected shortfall)."""
    tail = np.sort(x)[math.floor(level * len(x)) :]
    return float(tail.mean())


@dataclass(frozen=True)
class ModelSummary:
    mean: float
    p50: float
    p90: float
    p99: float
    cvar95: float
    components: dict[str, float]
    downtime_hours: float  # impact-weighted operating hours lost, per year
    p_over_tolerance: float  # P(longest P1 outage > τ_out)


def summarise(costs: ModelCosts, client: ClientParams) -> ModelSummary:
    total = costs.total(client.cost_per_hour)
    p50, p90, p99 = np.percentile(total, [50, 90, 99])
    return ModelSummary(
        mean=float(total.mean()),
        p50=float(p50),
        p90=float(p90),
        p99=float(p99),
        cvar95=cvar(total),
        components={k: float(v.mean()) for k, v in costs.components(client.cost_per_hour).items()},
        downtime_hours=float(costs.downtime_hours.mean()),
        p_over_tolerance=float((costs.longest_p1_h > client.tolerance_h).mean()),
    )


@dataclass(frozen=True)
class Comparison:
    bf: ModelSummary
    ms: ModelSummary
    delta_mean: float  # E[BF − MS]: what managed saves a year
    delta_se: float
    p_ms_cheaper: float
    break_even_cost_per_hour: float | None  # C_h at which E[BF] = E[MS]; None if none > 0
    break_even_monthly_fee: float  # the monthly fee at which E[BF] = E[MS]
    verdict: Verdict
    reason: str


def break_even_cost_per_hour(sim: Simulation) -> float | None:
    """C_h* = (A_MS − A_BF) / (B_BF − B_MS), exact because C_h touches no random stream."""
    a_bf, a_ms = sim.bf.fixed().mean(), sim.ms.fixed().mean()
    b_bf, b_ms = sim.bf.hours().mean(), sim.ms.hours().mean()
    if b_bf <= b_ms:
        return None
    value = float((a_ms - a_bf) / (b_bf - b_ms))
    return value if value > 0 else None


def compare(sim: Simulation, client: ClientParams) -> Comparison:
    bf_total = sim.bf.total(client.cost_per_hour)
    ms_total = sim.ms.total(client.cost_per_hour)
    delta = bf_total - ms_total
    bf, ms = summarise(sim.bf, client), summarise(sim.ms, client)
    d_mean = float(delta.mean())
    d_se = float(delta.std(ddof=1) / math.sqrt(len(delta)))
    p_cheaper = float((ms_total < bf_total).mean())
    fee_free = float((ms_total - sim.ms.fee).mean())
    verdict, reason = decide(bf, ms, d_mean, p_cheaper, client)
    return Comparison(
        bf,
        ms,
        d_mean,
        d_se,
        p_cheaper,
        break_even_cost_per_hour(sim),
        (bf.mean - fee_free) / 12.0,
        verdict,
        reason,
    )


def decide(
    bf: ModelSummary, ms: ModelSummary, d_mean: float, p_cheaper: float, client: ClientParams
) -> tuple[Verdict, str]:
    """The spec's decision rule; risk-averse clients compare CVaR95 instead of the mean."""
    if bf.p_over_tolerance > TOLERANCE_SHARE >= ms.p_over_tolerance:
        return "managed", (
            f"break-fix exceeds the {client.tolerance_h:g} h outage tolerance in "
            f"{bf.p_over_tolerance:.0%} of years, managed in {ms.p_over_tolerance:.0%}"
        )
    d = d_mean if client.risk == "mean" else bf.cvar95 - ms.cvar95
    if d > client.margin and p_cheaper >= 0.6:
        return "managed", f"managed saves {d:,.0f} a year; cheaper in {p_cheaper:.0%} of years"
    if d < -client.margin and p_cheaper <= 0.4:
        return (
            "break-fix",
            f"break-fix saves {-d:,.0f} a year; managed cheaper in only {p_cheaper:.0%}",
        )
    return "borderline", (
        "too close to call: consider monitoring only the high-blast-radius devices"
    )
