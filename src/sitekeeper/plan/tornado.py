"""The tornado chart (spec §5): how far each uncertain input moves the expected saving Δ.

Each input is set to its low and then its high value with every other input at base, on the
same seed (common random numbers), so a bar shows the input's effect and not sampling noise.
Bars are sorted by swing, the change in Δ = E[BF − MS] between low and high. A bar also gives
the input's value at which the decision (the sign of Δ: which model costs less on average)
flips, when it flips inside the range. Δ is exactly linear in the downtime cost per hour, the
site fee and the break-fix labour rate, so their flip values are exact (for C_h it is the
closed-form break-even, with no re-simulation at all); for the other inputs the flip is
interpolated linearly between low, base and high, and marked approximate.

Changing the mean of an uncertain prior (`p_major`, `e_soft`) keeps its concentration; a Beta
draw can take a varying number of uniforms, so the parameter stream after it is only nearly,
not exactly, common to the runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from sitekeeper.plan.dists import BetaDist, Fixed, Uncertain
from sitekeeper.plan.errors import PlanInputError
from sitekeeper.plan.inputs import ClientParams, Estate
from sitekeeper.plan.simulate import ModelParams, Simulation, simulate
from sitekeeper.plan.summary import break_even_cost_per_hour

TORNADO_TRIALS = 2000  # per run: 1 + 2 per input; CRN keeps the bars steady at this size
Setter = Callable[[ClientParams, ModelParams, float], tuple[ClientParams, ModelParams]]


@dataclass(frozen=True)
class TornadoInput:
    """One input to vary: a name from `KNOBS` and its low and high values."""

    name: str
    low: float
    high: float


@dataclass(frozen=True)
class TornadoBar:
    name: str
    label: str
    unit: str
    low: float
    high: float
    base: float
    delta_low: float  # E[Δ] with the input at its low value (Δ > 0: managed saves)
    delta_high: float
    delta_base: float
    swing: float  # |delta_high − delta_low|
    flip: float | None  # the input's value at which Δ changes sign, if inside [low, high]
    flip_exact: bool  # False: interpolated between low, base and high (approximate)


@dataclass(frozen=True)
class Knob:
    """How to read and set one input, its default range, and whether Δ is linear in it."""

    label: str
    unit: str
    linear: bool
    get: Callable[[ClientParams, ModelParams], float]
    put: Setter
    default_range: Callable[[float], tuple[float, float]]


def _with_mean(dist: Uncertain, mean: float, what: str) -> Uncertain:
    if not 0.0 < mean < 1.0:
        raise PlanInputError(f"tornado {what}: mean {mean} must be in (0, 1)")
    if isinstance(dist, BetaDist):
        k = dist.a + dist.b
        return BetaDist(mean * k, (1.0 - mean) * k)
    if isinstance(dist, Fixed):
        return Fixed(mean)
    raise PlanInputError(
        f"tornado {what}: cannot move the mean of a {type(dist).__name__}; "
        "give the prior as a BetaDist or Fixed"
    )


def _params(f: Callable[[ModelParams, float], ModelParams]) -> Setter:
    return lambda c, p, v: (c, f(p, v))


def _fixed(low: float, high: float) -> Callable[[float], tuple[float, float]]:
    return lambda base: (low, high)


def _cost_range(base: float) -> tuple[float, float]:
    return (0.33 * base, 3.3 * base) if base > 0 else (500.0, 5000.0)


KNOBS: dict[str, Knob] = {
    "cost_per_hour": Knob(
        "downtime cost per hour",
        "$/h",
        True,
        lambda c, p: c.cost_per_hour,
        lambda c, p, v: (replace(c, cost_per_hour=v), p),
        _cost_range,
    ),
    "bf_scheduling_lag_h": Knob(
        "break-fix scheduling lag (median)",
        "h",
        False,
        lambda c, p: p.bf.routine_lag_median_h,
        _params(lambda p, v: replace(p, bf=replace(p.bf, routine_lag_median_h=v))),
        _fixed(8.0, 72.0),
    ),
    "site_fee_monthly": Knob(
        "managed site fee",
        "$/month",
        True,
        lambda c, p: p.rates.site_fee_monthly,
        _params(lambda p, v: replace(p, rates=replace(p.rates, site_fee_monthly=v))),
        _fixed(0.0, 1000.0),
    ),
    "p_major_mean": Knob(
        "major security incident, prior mean",
        "/y",
        False,
        lambda c, p: p.priors.p_major.mean,
        _params(
            lambda p, v: replace(
                p, priors=replace(p.priors, p_major=_with_mean(p.priors.p_major, v, "p_major"))
            )
        ),
        _fixed(0.01, 0.09),
    ),
    "bf_rate": Knob(
        "break-fix labour rate",
        "$/h",
        True,
        lambda c, p: p.rates.bf_rate,
        _params(lambda p, v: replace(p, rates=replace(p.rates, bf_rate=v))),
        _fixed(100.0, 250.0),
    ),
    "q_failover_fail": Knob(
        "failover failure probability",
        "",
        False,
        lambda c, p: p.q_failover_fail,
        _params(lambda p, v: replace(p, q_failover_fail=v)),
        _fixed(0.3, 0.9),
    ),
    "restore_fail_bf": Knob(
        "break-fix restore failure probability",
        "",
        False,
        lambda c, p: p.security.restore_fail_bf,
        _params(lambda p, v: replace(p, security=replace(p.security, restore_fail_bf=v))),
        _fixed(0.2, 0.6),
    ),
    "e_soft_mean": Knob(
        "soft-incident reduction under managed, mean",
        "",
        False,
        lambda c, p: p.priors.e_soft.mean,
        _params(
            lambda p, v: replace(
                p, priors=replace(p.priors, e_soft=_with_mean(p.priors.e_soft, v, "e_soft"))
            )
        ),
        _fixed(0.19, 0.48),
    ),
}


def default_inputs(client: ClientParams, params: ModelParams) -> tuple[TornadoInput, ...]:
    """The spec's table: every knob over its default range around this client's base."""
    out = []
    for name, knob in KNOBS.items():
        low, high = knob.default_range(knob.get(client, params))
        out.append(TornadoInput(name, low, high))
    return tuple(out)


def tornado(
    estate: Estate,
    client: ClientParams,
    params: ModelParams,
    n_trials: int = TORNADO_TRIALS,
    seed: int = 0,
    inputs: Sequence[TornadoInput] | None = None,
) -> list[TornadoBar]:
    """One bar per input, sorted by swing (largest first)."""
    chosen = default_inputs(client, params) if inputs is None else tuple(inputs)
    for i in chosen:
        if i.name not in KNOBS:
            raise PlanInputError(
                f"tornado input {i.name!r} is unknown; choose from {', '.join(KNOBS)}"
            )
    base_sim = simulate(estate, client, params, n_trials, seed)
    base_delta = _delta(base_sim, client)
    bars = []
    for item in chosen:
        knob = KNOBS[item.name]
        base = knob.get(client, params)
        if item.name == "cost_per_hour":
            # Total is linear in C_h and C_h touches no random stream: no re-simulation
            d_low, d_high = (
                _delta(base_sim, replace(client, cost_per_hour=v)) for v in (item.low, item.high)
            )
            flip = _inside(break_even_cost_per_hour(base_sim), item)
        else:
            d_low, d_high = (
                _delta(simulate(estate, c, p, n_trials, seed), c)
                for c, p in (knob.put(client, params, v) for v in (item.low, item.high))
            )
            flip = _flip(item, base, (d_low, base_delta, d_high))
        bars.append(
            TornadoBar(
                item.name,
                knob.label,
                knob.unit,
                item.low,
                item.high,
                base,
                d_low,
                d_high,
                base_delta,
                abs(d_high - d_low),
                flip,
                knob.linear,
            )
        )
    return sorted(bars, key=lambda b: (-b.swing, b.name))


def _delta(sim: Simulation, client: ClientParams) -> float:
    c = client.cost_per_hour
    return float((sim.bf.total(c) - sim.ms.total(c)).mean())


def _inside(x: float | None, item: TornadoInput) -> float | None:
    lo, hi = sorted((item.low, item.high))
    return x if x is not None and lo <= x <= hi else None


def _flip(item: TornadoInput, base: float, deltas: tuple[float, float, float]) -> float | None:
    """Where the piecewise-linear Δ through (low, base, high) crosses zero inside the range;
    of several crossings, the one nearest the base value."""
    d_low, d_base, d_high = deltas
    points = [(item.low, d_low), (item.high, d_high)]
    lo, hi = sorted((item.low, item.high))
    if lo < base < hi:
        points.append((base, d_base))
    points.sort()
    xs = np.asarray([p[0] for p in points])
    ds = np.asarray([p[1] for p in points])
    crossings = [
        float(xs[k] + (xs[k + 1] - xs[k]) * ds[k] / (ds[k] - ds[k + 1]))
        for k in range(len(xs) - 1)
        if ds[k] == 0.0 or ds[k] * ds[k + 1] < 0.0
    ]
    if ds[-1] == 0.0:
        crossings.append(float(xs[-1]))
    return min(crossings, key=lambda x: abs(x - base), default=None)
