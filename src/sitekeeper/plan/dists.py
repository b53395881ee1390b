"""Uncertain inputs: each trial draws one value, so the outputs carry ignorance as well as chance.

A `Fixed` value switches the uncertainty off (for known-answer tests and for clients who state a
number); `GammaDist` and `BetaDist` are the priors and posteriors of the spec's sections 2.1 and 3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from sitekeeper.plan.errors import PlanInputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class Uncertain(Protocol):
    """Something that can be drawn once per trial and has a mean."""

    def draw(self, rng: np.random.Generator, n: int) -> FloatArray: ...

    @property
    def mean(self) -> float: ...


@dataclass(frozen=True)
class Fixed:
    value: float

    def draw(self, rng: np.random.Generator, n: int) -> FloatArray:
        return np.full(n, self.value, dtype=np.float64)

    @property
    def mean(self) -> float:
        return self.value


@dataclass(frozen=True)
class GammaDist:
    """Gamma with shape and *rate* (mean = shape / rate), as in the spec's Gamma(α, β)."""

    shape: float
    rate: float

    def __post_init__(self) -> None:
        if not (self.shape > 0 and self.rate > 0):
            raise PlanInputError(f"Gamma(shape={self.shape}, rate={self.rate}): both must be > 0")

    def draw(self, rng: np.random.Generator, n: int) -> FloatArray:
        return rng.gamma(self.shape, 1.0 / self.rate, size=n)

    @property
    def mean(self) -> float:
        return self.shape / self.rate


@dataclass(frozen=True)
class BetaDist:
    a: float
    b: float

    def __post_init__(self) -> None:
        if not (self.a > 0 and self.b > 0):
            raise PlanInputError(f"Beta(a={self.a}, b={self.b}): both must be > 0")

    def draw(self, rng: np.random.Generator, n: int) -> FloatArray:
        return rng.beta(self.a, self.b, size=n)

    @property
    def mean(self) -> float:
        return self.a / (self.a + self.b)


def lognormal(median: float | FloatArray, sigma: float, z: FloatArray) -> FloatArray:
    """Log-normal values from standard normals `z`: median·e^{σz} (shared z gives CRN)."""
    return median * np.exp(sigma * z)
