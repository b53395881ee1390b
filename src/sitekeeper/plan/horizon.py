"""The contract view (spec §8.2): years 1 to 3 of the same estate, one simulation per year.

Year k simulates the estate with every device (and UPS battery) k − 1 years older, on a seed
derived from the given one; year 1 uses the seed itself, so it is exactly the one-year answer.

Simplification: each year starts from the inventory as it is today, aged; what happens in a
year does not carry to the next. A device that fails or is replaced in year 1 is as old again
in year 2, so managed's catch-up refresh of devices past their planned age recurs each year,
and so do break-fix failures of old devices; the two partly offset, but the later years are
less certain than year 1. The uncertain priors are drawn afresh each year, so the years are
independent: the 3-year totals add the yearly means, and their standard error adds in
quadrature.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, replace

import numpy as np

from sitekeeper.plan.errors import PlanInputError
from sitekeeper.plan.inputs import ClientParams, Estate
from sitekeeper.plan.simulate import ModelParams, Simulation, simulate


@dataclass(frozen=True)
class YearView:
    year: int  # 1, 2, 3, ...
    seed: int
    bf_mean: float
    ms_mean: float
    delta_mean: float  # E[BF − MS] that year
    delta_se: float
    hybrid_mean: float | None  # when a hybrid plan was asked for


@dataclass(frozen=True)
class ContractView:
    years: tuple[YearView, ...]
    bf_total: float  # sum over the years of the mean annual total
    ms_total: float
    delta_total: float
    delta_se: float
    p_ms_cheaper: (
        float  # share of simulated contracts (year k's trial i summed) where MS costs less
    )
    hybrid_total: float | None


def year_seed(seed: int, year: int) -> int:
    """The seed of contract year `year` (1-based): year 1 keeps the seed itself."""
    if year < 1:
        raise PlanInputError(f"contract year {year}: years count from 1")
    if year == 1:
        return seed
    return int(np.random.SeedSequence([seed, year]).generate_state(1, np.uint64)[0])


def aged(estate: Estate, years: float) -> Estate:
    """The estate `years` older: every device's age and its battery's age."""
    devices = tuple(
        replace(
            d,
            age_y=d.age_y + years,
            battery_age_y=None if d.battery_age_y is None else d.battery_age_y + years,
        )
        for d in estate.devices
    )
    return replace(estate, devices=devices)


def three_year(
    estate: Estate,
    client: ClientParams,
    params: ModelParams,
    n_trials: int,
    seed: int,
    years: int = 3,
    managed: Collection[str] | None = None,
    first_year: Simulation | None = None,
) -> ContractView:
    """Mean annual cost per model for each contract year, and the contract's totals.

    `first_year`: year 1 already simulated by the caller, i.e. `simulate(estate, client,
    params, n_trials, seed, managed)` (as `hybrid_plan` returns it): it is used instead of
    being run again."""
    if years < 1:
        raise PlanInputError(f"three_year: years = {years}; give at least 1")
    c = client.cost_per_hour
    views: list[YearView] = []
    bf_sum, ms_sum = np.zeros(n_trials), np.zeros(n_trials)
    hy_means: list[float] = []
    for k in range(1, years + 1):
        s = year_seed(seed, k)
        if k == 1 and first_year is not None:
            sim = first_year
        else:
            sim = simulate(aged(estate, k - 1.0), client, params, n_trials, s, managed)
        bf, ms = sim.bf.total(c), sim.ms.total(c)
        bf_sum += bf
        ms_sum += ms
        delta = bf - ms
        hy = None if sim.hybrid is None else float(sim.hybrid.costs.total(c).mean())
        if hy is not None:
            hy_means.append(hy)
        views.append(
            YearView(
                k,
                s,
                float(bf.mean()),
                float(ms.mean()),
                float(delta.mean()),
                float(delta.std(ddof=1) / math.sqrt(n_trials)),
                hy,
            )
        )
    return ContractView(
        years=tuple(views),
        bf_total=sum(v.bf_mean for v in views),
        ms_total=sum(v.ms_mean for v in views),
        delta_total=sum(v.delta_mean for v in views),
        delta_se=math.sqrt(sum(v.delta_se**2 for v in views)),
        p_ms_cheaper=float((ms_sum < bf_sum).mean()),
        hybrid_total=sum(hy_means) if managed is not None else None,
    )
