"""Weibull life quantities for the replacement plan, vectorised over devices (spec §1.5).

Each function takes arrays of ages, shapes β and scales η (years) of the same length; an
infinite scale means the class has no wear-out, so it never fails of age.
"""

from __future__ import annotations

import math

import numpy as np

from sitekeeper.plan.dists import BoolArray, FloatArray

NOMINAL_BATTERY_C = 25.0  # S APC: rated battery life is at 25 °C
BATTERY_HALVING_C = 8.0  # S APC: life halves for every 8 °C above it
_BISECTIONS = 60  # halves the bracket to below 1e-15 of its width


def _scale_or_one(scale: FloatArray) -> tuple[BoolArray, FloatArray]:
    finite: BoolArray = np.isfinite(scale)
    return finite, np.where(finite, scale, 1.0)


def p_fail_within(
    age: FloatArray, shape: FloatArray, scale: FloatArray, horizon_y: float = 1.0
) -> FloatArray:
    """P(a unit aged `age` fails within `horizon_y`) = 1 − exp((a/η)^β − ((a+h)/η)^β)."""
    finite, eta = _scale_or_one(scale)
    h = ((age + horizon_y) / eta) ** shape - (age / eta) ** shape
    out: FloatArray = np.where(finite, -np.expm1(-h), 0.0)
    return out


def median_remaining_life(age: FloatArray, shape: FloatArray, scale: FloatArray) -> FloatArray:
    """Median remaining life of a unit that has survived to `age`, in years.

    Solves S(a + m) / S(a) = 1/2 for the Weibull survival S: m = η((a/η)^β + ln 2)^{1/β} − a.
    """
    finite, eta = _scale_or_one(scale)
    m = eta * ((age / eta) ** shape + math.log(2.0)) ** (1.0 / shape) - age
    out: FloatArray = np.where(finite, np.maximum(m, 0.0), np.inf)
    return out


def b_life(shape: FloatArray, scale: FloatArray, share: float) -> FloatArray:
    """The age by which a share of new units has failed (B20 for 0.2): η(−ln(1 − p))^{1/β}."""
    out: FloatArray = scale * (-math.log1p(-share)) ** (1.0 / shape)
    return out


def age_at_risk(
    shape: FloatArray, scale: FloatArray, threshold: float, up_to: FloatArray
) -> FloatArray:
    """The first age at which P(fail within the next year | age) reaches `threshold`.

    For β > 1 that probability rises with age, so the age is found by bisection on
    [0, up_to]; `inf` when it is not reached by `up_to` (or never: β ≤ 1 with a low start,
    no wear-out). A unit already at risk at age 0 gives 0.
    """
    target = -math.log1p(-threshold)  # the 12-month cumulative hazard the threshold means
    finite, eta = _scale_or_one(scale)

    def excess(a: FloatArray) -> FloatArray:
        return ((a + 1.0) / eta) ** shape - (a / eta) ** shape - target

    zeros = np.zeros_like(up_to)
    at_start = finite & (excess(zeros) >= 0.0)
    reached = finite & ~at_start & (excess(up_to) >= 0.0)
    lo, hi = zeros.copy(), up_to.copy()
    for _ in range(_BISECTIONS):
        mid = (lo + hi) / 2.0
        over = excess(mid) >= 0.0
        hi = np.where(over, mid, hi)
        lo = np.where(over, lo, mid)
    out: FloatArray = np.where(at_start, 0.0, np.where(reached, hi, np.inf))
    return out


def battery_scale(base_scale_y: FloatArray, ambient_c: FloatArray) -> FloatArray:
    """η of a battery at this temperature: halved per 8 °C above 25 °C (no gain below it)."""
    above = np.maximum(ambient_c - NOMINAL_BATTERY_C, 0.0)
    out: FloatArray = base_scale_y * 2.0 ** (-above / BATTERY_HALVING_C)
    return out
