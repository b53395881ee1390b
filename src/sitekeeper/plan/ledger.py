"""Cost per trial-year (spec §2.5), kept linear in C_h: Total = A + C_h·B.

`downtime_hours` and `security_hours` are impact-weighted operating hours (the B part), so the
break-even C_h is exact from one run and scaling every $ input scales every $ output.
`RootHours` attributes the downtime hours to the device whose failure started each outage
(or to utility power for site-wide cuts), summed over trials, for the "top drivers" output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sitekeeper.plan.dists import FloatArray, IntArray

P1_IMPACT = 0.3  # an outage of at least this impact is a P1 (spec §2.4)


@dataclass(frozen=True)
class ModelCosts:
    """One support model's results, one entry per trial-year."""

    fee: FloatArray
    labour: FloatArray
    hardware: FloatArray
    security_labour: FloatArray
    downtime_hours: FloatArray  # Σ I·lost operating hours over outages
    security_hours: FloatArray  # Σ I·lost operating hours over security incidents
    longest_p1_h: FloatArray  # longest single P1 outage in operating hours (0 if none)
    battery_demands: IntArray  # power cuts that found a dead UPS battery
    outages: IntArray  # outage events of any kind except security incidents

    def fixed(self) -> FloatArray:
        """A: everything that does not scale with C_h."""
        return self.fee + self.labour + self.hardware + self.security_labour

    def hours(self) -> FloatArray:
        """B: the coefficient of C_h."""
        return self.downtime_hours + self.security_hours

    def total(self, cost_per_hour: float) -> FloatArray:
        return self.fixed() + cost_per_hour * self.hours()

    def components(self, cost_per_hour: float) -> dict[str, FloatArray]:
        return {
            "fee": self.fee,
            "labour": self.labour,
            "hardware": self.hardware,
            "downtime": cost_per_hour * self.downtime_hours,
            "security": self.security_labour + cost_per_hour * self.security_hours,
        }


@dataclass(frozen=True)
class RootHours:
    """Impact-weighted lost operating hours by root cause, summed over all trials.

    `device[j]` is what outages rooted at device j (soft incidents, wear-out failures, power
    cuts that found its battery dead) cost; `utility` is what site-wide power cuts beyond the
    UPS runtime cost. Together they add up to the sum of `ModelCosts.downtime_hours`.
    """

    device: FloatArray  # (n_devices,)
    utility: float

    def total(self) -> float:
        return float(self.device.sum()) + self.utility

    def __add__(self, other: RootHours) -> RootHours:
        return RootHours(self.device + other.device, self.utility + other.utility)


class Ledger:
    """Mutable per-trial accumulator used while one chunk is simulated."""

    def __init__(self, n: int, n_devices: int = 0) -> None:
        self.n = n
        self.root_hours = np.zeros(n_devices)
        self.utility_hours = 0.0
        self.fee = np.zeros(n)
        self.labour = np.zeros(n)
        self.hardware = np.zeros(n)
        self.security_labour = np.zeros(n)
        self.downtime_hours = np.zeros(n)
        self.security_hours = np.zeros(n)
        self.longest_p1_h = np.zeros(n)
        self.battery_demands = np.zeros(n, dtype=np.int64)
        self.outages_n = np.zeros(n, dtype=np.int64)

    def add(self, field: FloatArray, trial: IntArray, values: FloatArray) -> None:
        field += np.bincount(trial, weights=values, minlength=self.n)

    def outages(
        self, trial: IntArray, impact: FloatArray, lost_h: FloatArray, root: IntArray | None
    ) -> None:
        """Book outages: impact-weighted hours, the longest P1 per trial, and the hours by root
        device (`root` per event; None for site-wide power cuts, booked to utility power)."""
        weighted = impact * lost_h
        self.add(self.downtime_hours, trial, weighted)
        self.outages_n += np.bincount(trial, minlength=self.n)
        self.longest(trial, impact, lost_h)
        if root is None:
            self.utility_hours += float(weighted.sum())
        else:
            self.root_hours += np.bincount(root, weights=weighted, minlength=len(self.root_hours))

    def longest(self, trial: IntArray, impact: FloatArray, lost_h: FloatArray) -> None:
        p1 = impact >= P1_IMPACT
        np.maximum.at(self.longest_p1_h, trial[p1], lost_h[p1])

    def freeze(self) -> ModelCosts:
        return ModelCosts(
            self.fee,
            self.labour,
            self.hardware,
            self.security_labour,
            self.downtime_hours,
            self.security_hours,
            self.longest_p1_h,
            self.battery_demands,
            self.outages_n,
        )

    def roots(self) -> RootHours:
        return RootHours(self.root_hours.copy(), self.utility_hours)


def concat(parts: list[ModelCosts]) -> ModelCosts:
    """Join chunks in order (trial order is part of reproducibility)."""
    return ModelCosts(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in ModelCosts.__dataclass_fields__)
    )
