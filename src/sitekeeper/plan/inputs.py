"""Inputs of the advisor model (spec section 2.1) as frozen dataclasses.

Every default is either stated by a source (S) or an assumption to calibrate (A); the
comments name which. Money is in one currency throughout; time in hours unless the name says
`_y` (years).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from sitekeeper.plan.dists import BetaDist, GammaDist, Uncertain
from sitekeeper.plan.errors import PlanInputError
from sitekeeper.plan.schedule import Schedule


@dataclass(frozen=True)
class ClassProfile:
    """Reliability and pricing of one device class (spec §1.5 and §2.1)."""

    weibull_shape: float  # β of the wear-out hazard
    weibull_scale_y: float  # η in years; math.inf switches wear-out off
    soft_rate: float  # soft incidents per device-year (before the client frailty)
    repair_median_h: float  # rep_c: hands-on repair time, median
    monthly_fee: float  # managed fee per device per month
    p_pred: float = 0.1  # share of failures monitoring turns into planned replacements
    planned_age_y: float = math.inf  # T_c: managed replaces at this age (inf = never)
    battery: bool = False  # carries a battery that fails silently (UPS)
    battery_shape: float = 3.0  # S APC: VRLA wear-out
    battery_scale_y: float = 5.0  # S APC: 3–5 y at 25 °C, halved per 8 °C above
    battery_cost: float = 150.0  # A

    def __post_init__(self) -> None:
        if self.weibull_shape <= 0 or self.weibull_scale_y <= 0:
            raise PlanInputError("class profile: weibull_shape and weibull_scale_y must be > 0")
        if self.soft_rate < 0 or self.repair_median_h <= 0 or self.monthly_fee < 0:
            raise PlanInputError(
                "class profile: soft_rate >= 0, repair_median_h > 0 and monthly_fee >= 0"
            )
        if not 0.0 <= self.p_pred <= 1.0:
            raise PlanInputError(f"class profile: p_pred = {self.p_pred} must be in [0, 1]")


@dataclass(frozen=True)
class Device:
    """One inventory row. `criticality` is w: the share of the business it carries by itself."""

    id: str
    device_class: str
    age_y: float
    criticality: float
    replacement_cost: float
    book_life_y: float = 5.0
    ambient_c: float = 25.0  # for batteries: life halves per 8 °C above 25 °C
    battery_age_y: float | None = None  # defaults to the device's age

    def __post_init__(self) -> None:
        if self.age_y < 0 or self.replacement_cost < 0 or self.book_life_y <= 0:
            raise PlanInputError(
                f"device {self.id!r}: age_y >= 0, replacement_cost >= 0 and book_life_y > 0"
            )
        if not 0.0 <= self.criticality <= 1.0:
            raise PlanInputError(
                f"device {self.id!r}: criticality = {self.criticality} must be in [0, 1] "
                "(the share of business capacity it carries by itself)"
            )


@dataclass(frozen=True)
class Edge:
    """`parent → child`: the child is down when the parent is (hard), or when failover fails."""

    parent: str
    child: str
    redundant: bool = False


@dataclass(frozen=True)
class RateCard:
    """Break-fix labour and managed fees (S §1.3 for labour; §2.1 for fees)."""

    bf_rate: float = 150.0
    after_hours_multiplier: float = 1.5
    emergency_multiplier: float = 1.5
    trip_charge: float = 50.0
    minimum_h: float = 1.0
    site_fee_monthly: float = 100.0
    project_rate: float = 150.0  # managed planned replacements, billed as project hours
    bill_planned_work: bool = True
    incident_response_rate: float = 200.0  # security incident response


@dataclass(frozen=True)
class Priors:
    """Per-trial uncertain parameters (spec §2.1; replaced by posteriors per §3)."""

    frailty: Uncertain = field(
        default_factory=lambda: GammaDist(4.0, 4.0)
    )  # A: client multiplier θ on all rates
    e_soft: Uncertain = field(
        default_factory=lambda: BetaDist(3.5, 6.5)
    )  # A: soft-incident reduction under managed
    p_major: Uncertain = field(
        default_factory=lambda: BetaDist(1.2, 28.8)
    )  # A: major security incident per year, BF
    class_rates: Mapping[str, Uncertain] = field(default_factory=dict)  # posterior λ_c


@dataclass(frozen=True)
class Security:
    """Security process parameters (spec §2.3.4; S DBIR 2025, Mandiant, Microsoft)."""

    share_vuln: float = 0.20
    share_cred: float = 0.22
    share_email: float = 0.16
    zero_day: float = 0.3
    e_patch: float = 0.8
    e_mfa: float = 0.9
    e_email: float = 0.3
    mfa_in_plan: bool = True
    impact: float = 0.7
    major_median_h_bf: float = 168.0  # S Sophos recovery times
    major_median_h_ms: float = 48.0  # A
    major_sigma: float = 0.9
    restore_fail_bf: float = 0.50  # S Veeam
    restore_fail_ms: float = 0.15  # A
    restore_fail_factor: float = 2.5
    response_h_bf: float = 40.0
    response_h_ms: float = 15.0
    minor_rate: float = 0.3
    minor_ms_keep: float = 0.5  # "halved under MS"
    minor_labour_h: float = 3.0
    minor_seat_h_bf: float = 8.0
    minor_seat_h_ms: float = 2.0

    def ms_multiplier(self) -> float:
        """M: the share of BF's major-incident probability left under managed (≈ 0.64)."""
        mfa = self.e_mfa if self.mfa_in_plan else 0.0
        return 1.0 - (
            self.share_vuln * (1.0 - self.zero_day) * self.e_patch
            + self.share_cred * mfa
            + self.share_email * self.e_email
        )


@dataclass(frozen=True)
class Power:
    """Utility power cuts and UPS behaviour (S EIA; A for the rest)."""

    cuts_per_year: float = 1.4
    cut_median_h: float = 0.75
    cut_sigma: float = 1.2
    ups_runtime_h: float = 0.25
    restart_h: float = 0.25
    self_test_interval_h: float = 168.0  # MS weekly self-test
    battery_swap_h: float = 0.5


@dataclass(frozen=True)
class ClientParams:
    """What the client states: the value of an hour, the schedule, the tolerance."""

    cost_per_hour: float  # C_h: $ per hour of full-business outage
    schedule: Schedule = field(default_factory=lambda: Schedule.weekdays(9, 17))
    tolerance_h: float = 8.0  # τ_out: longest acceptable single P1 outage, operating hours
    emergency_impact: float = 0.3  # I_emerg: from this impact on, BF pays for a call-out
    risk: Literal["mean", "cvar"] = "mean"
    margin: float = 500.0  # A: |E[Δ]| below this is too close to call
    seat_impact: float | None = None  # impact of a minor security incident; default one seat

    def __post_init__(self) -> None:
        if self.cost_per_hour < 0 or self.tolerance_h < 0:
            raise PlanInputError("client: cost_per_hour and tolerance_h must be >= 0")


@dataclass(frozen=True)
class Estate:
    """The devices, the dependency graph and the class profiles they refer to."""

    devices: tuple[Device, ...]
    edges: tuple[Edge, ...] = ()
    profiles: Mapping[str, ClassProfile] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ids = [d.id for d in self.devices]
        if len(set(ids)) != len(ids):
            raise PlanInputError("estate: device ids must be unique")
        for d in self.devices:
            if d.device_class not in self.profiles:
                raise PlanInputError(
                    f"device {d.id!r}: class {d.device_class!r} has no profile; add it to "
                    f"Estate.profiles (known: {', '.join(sorted(self.profiles))})"
                )
        known = set(ids)
        for e in self.edges:
            for end in (e.parent, e.child):
                if end not in known:
                    raise PlanInputError(f"edge {e.parent} -> {e.child}: unknown device {end!r}")
