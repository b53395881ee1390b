"""What the replacement plan reads: its rules and one device (docs/lifecycle.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sitekeeper.plan.errors import PlanInputError
from sitekeeper.plan.inputs import ClassProfile
from sitekeeper.plan.profiles import DEFAULT_PROFILES

DAYS_PER_YEAR = 365.25
PROFILE_LAMP_USE_H = 1000.0  # A: the projector profile's η = 2 y is 2,000 rated h at 1,000 h/y
LAMP_CLASSES = frozenset({"projector"})  # classes whose profile is the lamp, not the body


@dataclass(frozen=True)
class Rules:
    """Thresholds of the plan; each is an assumption (A) a service manager may change."""

    risk_threshold: float = 0.20  # A: replace once P(fail within 12 months) reaches this
    consumable_share: float = 0.20  # A: swap batteries and lamps by their B20 life
    warranty_soon_days: int = 90  # "expiring" within this many days
    support_soon_days: int = 365  # "ending" within this many days
    watch_incidents: int = 1  # incidents rooted at the device in 12 months: "watch" from here
    poor_incidents: int = 3  # ... and "poor" from here
    lamp_cost: float = 300.0  # A: a replacement projector lamp
    lamp_use_h: float = PROFILE_LAMP_USE_H  # A: lamp hours a year when the inventory gives none
    ambient_c: float = 25.0  # A: UPS room temperature when the inventory gives none
    profiles: Mapping[str, ClassProfile] = field(default_factory=lambda: DEFAULT_PROFILES)

    def __post_init__(self) -> None:
        for name in ("risk_threshold", "consumable_share"):
            if not 0.0 < getattr(self, name) < 1.0:
                raise PlanInputError(f"lifecycle rules: {name} must be between 0 and 1")
        if not 0 < self.watch_incidents <= self.poor_incidents:
            raise PlanInputError("lifecycle rules: 0 < watch_incidents <= poor_incidents")
        if self.lamp_cost < 0 or self.lamp_use_h <= 0:
            raise PlanInputError("lifecycle rules: lamp_cost >= 0 and lamp_use_h > 0")

    @property
    def lamp_rated_h(self) -> float:
        """Rated lamp hours (η of the lamp), from the projector profile: 2 y × 1,000 h/y."""
        return self.profiles["projector"].weibull_scale_y * PROFILE_LAMP_USE_H


@dataclass(frozen=True)
class LifecycleDevice:
    """What the plan reads of one device: inventory fields, its `lifecycle:` block, history."""

    key: str
    kind: str
    name: str = ""
    vendor: str | None = None
    model: str | None = None
    installed: date | None = None
    warranty_end: date | None = None
    end_of_support: date | None = None
    replacement_cost: float | None = None
    replace_by: date | None = None
    usage_hours_per_year: float | None = None
    ambient_c: float | None = None
    note: str | None = None
    lamp_hours: float | None = None  # observed on the projector (PJLink), if any
    incidents_12m: int = 0  # incidents rooted at the device in the last 12 months

    def __post_init__(self) -> None:
        where = f"device {self.key!r}"
        if self.replacement_cost is not None and self.replacement_cost < 0:
            raise PlanInputError(f"{where}: lifecycle.replacement_cost must be >= 0")
        if self.usage_hours_per_year is not None and not 0 < self.usage_hours_per_year <= 8784:
            raise PlanInputError(f"{where}: lifecycle.usage_hours_per_year must be in (0, 8784]")
        if self.lamp_hours is not None and self.lamp_hours < 0:
            raise PlanInputError(f"{where}: lamp_hours must be >= 0")
        if self.incidents_12m < 0:
            raise PlanInputError(f"{where}: incidents_12m must be >= 0")
