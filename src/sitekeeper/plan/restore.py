"""Time to restore (spec §2.4): detection, response, repair and parts, per support model.

Both models read the same standard normals and uniforms per event (common random numbers);
only the policy differs. A policy is data, so "identical TTR parameters" is one assignment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sitekeeper.plan.dists import BoolArray, FloatArray, lognormal
from sitekeeper.plan.schedule import Schedule


@dataclass(frozen=True)
class RestorePolicy:
    detect_mean_h: float
    detect_waits_for_open: bool  # BF: users notice only when they are present
    emergency_impact: float  # from this impact on, the fast path (call-out or P1 SLA)
    emergency_lag_median_h: float
    routine_lag_median_h: float
    routine_lag_wall_clock: bool  # BF: next_open(detect + lag); MS: next_open(detect) + lag
    repair_multiplier: float  # BF 1.3 (no documentation), MS 0.8
    spare_probability: float
    parts_lag_median_h: float
    lag_sigma: float = 0.8  # A (spec gives σ only for the BF routine lag)
    repair_sigma: float = 0.6


def break_fix_policy(emergency_impact: float = 0.3) -> RestorePolicy:
    """Spec §2.1 defaults for break-fix (A unless the spec cites a source)."""
    return RestorePolicy(0.5, True, emergency_impact, 4.0, 24.0, True, 1.3, 0.1, 48.0)


def managed_policy() -> RestorePolicy:
    """Spec §2.1 defaults for managed: alert in minutes, P1 24/7 at I ≥ 0.3 (S SLAs)."""
    return RestorePolicy(0.1, False, 0.3, 0.5, 4.0, False, 0.8, 0.5, 24.0)


@dataclass(frozen=True)
class Randoms:
    """Per-event random numbers shared by both models."""

    detect: FloatArray  # Exp(1)
    lag: FloatArray  # N(0, 1)
    repair: FloatArray  # N(0, 1)
    spare: FloatArray  # U(0, 1)
    parts: FloatArray  # N(0, 1)
    failover: FloatArray  # U(0, 1): below q the redundant path fails too

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int) -> Randoms:
        return cls(
            rng.standard_exponential(n),
            rng.standard_normal(n),
            rng.standard_normal(n),
            rng.random(n),
            rng.standard_normal(n),
            rng.random(n),
        )

    def take(self, idx: npt.NDArray[np.bool_] | npt.NDArray[np.int64]) -> Randoms:
        return Randoms(
            self.detect[idx],
            self.lag[idx],
            self.repair[idx],
            self.spare[idx],
            self.parts[idx],
            self.failover[idx],
        )


@dataclass(frozen=True)
class Restoration:
    start: FloatArray  # when hands-on work starts
    end: FloatArray  # when service is back
    repair_h: FloatArray  # hands-on hours (what labour is billed on)
    emergency: BoolArray


def restore(
    policy: RestorePolicy,
    schedule: Schedule,
    t0: FloatArray,
    impact: FloatArray,
    hardware: BoolArray,
    repair_median_h: FloatArray,
    r: Randoms,
) -> Restoration:
    """Start, end and repair hours of each outage that began at t0."""
    at = schedule.next_open(t0) if policy.detect_waits_for_open else t0
    detect = at + policy.detect_mean_h * r.detect
    emergency = impact >= policy.emergency_impact
    fast = detect + lognormal(policy.emergency_lag_median_h, policy.lag_sigma, r.lag)
    routine_lag = lognormal(policy.routine_lag_median_h, policy.lag_sigma, r.lag)
    if policy.routine_lag_wall_clock:
        routine = schedule.next_open(detect + routine_lag)
    else:
        routine = schedule.next_open(detect) + routine_lag
    start = np.where(emergency, fast, routine)
    repair_h = policy.repair_multiplier * lognormal(repair_median_h, policy.repair_sigma, r.repair)
    needs_parts = hardware & (r.spare >= policy.spare_probability)
    parts = np.where(
        needs_parts, lognormal(policy.parts_lag_median_h, policy.lag_sigma, r.parts), 0.0
    )
    return Restoration(start, start + repair_h + parts, repair_h, emergency)
