"""Calibration from the client's own history (spec §3): Gamma–Poisson per class and frailty.

Prior λ_c ~ Gamma(α0, β0), β0 in device-years of evidence it is worth (default 10). After k
incidents in E device-years the posterior is Gamma(α0 + k, β0 + E); its mean is the
credibility blend Z·k/E + (1 − Z)·α0/β0 with Z = E/(E + β0), the weight of the client's data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sitekeeper.plan.dists import GammaDist
from sitekeeper.plan.errors import PlanInputError

PRIOR_STRENGTH_DEVICE_YEARS = 10.0  # A: the fleet prior counts as 10 device-years


@dataclass(frozen=True)
class Posterior:
    dist: GammaDist
    credibility: float  # Z: the weight the client's own data carries (0..1)

    @property
    def mean(self) -> float:
        return self.dist.mean


def prior_from_mean(mean: float, strength: float = PRIOR_STRENGTH_DEVICE_YEARS) -> GammaDist:
    """Gamma with the given mean, worth `strength` device-years of evidence."""
    if mean <= 0 or strength <= 0:
        raise PlanInputError(f"prior: mean = {mean} and strength = {strength} must be > 0")
    return GammaDist(mean * strength, strength)


def gamma_poisson(prior: GammaDist, events: int, exposure: float) -> Posterior:
    """Update a rate prior with `events` observed over `exposure` (device-years)."""
    if events < 0 or exposure < 0:
        raise PlanInputError(
            f"history: events = {events} and exposure = {exposure} device-years must be >= 0"
        )
    return Posterior(
        GammaDist(prior.shape + events, prior.rate + exposure),
        exposure / (exposure + prior.rate),
    )


def frailty_posterior(shape: float, incidents: int, expected: float) -> Posterior:
    """θ | data ~ Gamma(a + K, a + Λ̂) from prior Gamma(a, a); Λ̂ = Σ_c λ_c·E_c."""
    if shape <= 0:
        raise PlanInputError(f"frailty prior shape = {shape} must be > 0")
    return gamma_poisson(GammaDist(shape, shape), incidents, expected)


def class_posteriors(
    prior_means: Mapping[str, float],
    events: Mapping[str, int],
    exposure: Mapping[str, float],
    strength: float = PRIOR_STRENGTH_DEVICE_YEARS,
) -> dict[str, Posterior]:
    """Per class: the fleet prior mean updated with the client's count and device-years."""
    return {
        c: gamma_poisson(prior_from_mean(m, strength), events.get(c, 0), exposure.get(c, 0.0))
        for c, m in prior_means.items()
    }
