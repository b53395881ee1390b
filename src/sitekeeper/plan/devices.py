"""The estate as column arrays (one entry per device), what the vectorised processes read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sitekeeper.plan.dists import BoolArray, FloatArray
from sitekeeper.plan.impact import Impacts, impacts
from sitekeeper.plan.inputs import Estate


@dataclass(frozen=True)
class Columns:
    age_y: FloatArray
    shape: FloatArray
    scale_y: FloatArray
    soft_rate: FloatArray
    repair_median_h: FloatArray
    p_pred: FloatArray
    planned_age_y: FloatArray
    cost: FloatArray
    book_life_y: FloatArray
    monthly_fee: FloatArray
    battery: BoolArray
    impacts: Impacts
    classes: tuple[str, ...]

    @property
    def n(self) -> int:
        return len(self.age_y)

    def impact(self, device: np.ndarray, u_failover: FloatArray, q: float) -> FloatArray:
        """I per event: I_full when failover fails (u < q), else I_hard."""
        out: FloatArray = np.where(
            u_failover < q, self.impacts.full[device], self.impacts.hard[device]
        )
        return out


def columns(estate: Estate) -> Columns:
    devs = estate.devices
    prof = [estate.profiles[d.device_class] for d in devs]

    def col(values: list[float]) -> FloatArray:
        return np.asarray(values, dtype=np.float64)

    return Columns(
        age_y=col([d.age_y for d in devs]),
        shape=col([p.weibull_shape for p in prof]),
        scale_y=col([p.weibull_scale_y for p in prof]),
        soft_rate=col([p.soft_rate for p in prof]),
        repair_median_h=col([p.repair_median_h for p in prof]),
        p_pred=col([p.p_pred for p in prof]),
        planned_age_y=col([p.planned_age_y for p in prof]),
        cost=col([d.replacement_cost for d in devs]),
        book_life_y=col([d.book_life_y for d in devs]),
        monthly_fee=col([p.monthly_fee for p in prof]),
        battery=np.asarray([p.battery for p in prof], dtype=np.bool_),
        impacts=impacts(estate),
        classes=tuple(d.device_class for d in devs),
    )
