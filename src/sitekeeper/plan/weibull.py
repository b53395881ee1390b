"""Age-dependent Weibull wear-out (spec §2.3.1): conditional draws and survival."""

from __future__ import annotations

import math

import numpy as np

from sitekeeper.plan.dists import FloatArray


def cumulative_hazard(age: FloatArray, shape: FloatArray, scale: FloatArray) -> FloatArray:
    """(a/η)^β; zero where wear-out is switched off (infinite scale)."""
    finite = np.isfinite(scale)
    out: FloatArray = np.where(finite, (age / np.where(finite, scale, 1.0)) ** shape, 0.0)
    return out


def conditional_time_to_failure(
    age: FloatArray,
    shape: FloatArray,
    scale: FloatArray,
    u: FloatArray,
    hazard: FloatArray | None = None,
) -> FloatArray:
    """Remaining life T of a unit aged `age`, from uniforms u in (0, 1]:
    T = η·((a/η)^β − ln u)^{1/β} − a, in years. `hazard` may pass (a/η)^β precomputed.

    An infinite scale (wear-out switched off) gives T = inf.
    """
    h = cumulative_hazard(age, shape, scale) if hazard is None else hazard
    finite = np.isfinite(scale)
    eta = np.where(finite, scale, 1.0)
    t = eta * (h - np.log(u)) ** (1.0 / shape) - age
    out: FloatArray = np.where(finite, np.maximum(t, 0.0), np.inf)
    return out


def p_fail_within(age: float, shape: float, scale: float, horizon_y: float = 1.0) -> float:
    """P(a unit aged `age` fails within the horizon) = 1 − exp(−((a+h)/η)^β + (a/η)^β)."""
    return 1.0 - math.exp(-(((age + horizon_y) / scale) ** shape) + (age / scale) ** shape)
