"""Signs it is time to switch (spec §4): six signals, each green / amber / red, and a verdict.

Every function is pure and reads the trailing 12–24 months of one client's history. Statuses
use the spec's thresholds; "n/a" means the signal has no data (or, for support-call frequency,
no sourced threshold) and does not count toward the verdict.

Verdict: "outgrown break-fix" with ≥ 2 reds, or 1 red and ≥ 2 ambers; "watch" when anything
else is amber or red; otherwise "break-fix still fits".
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from sitekeeper.plan.errors import PlanInputError
from sitekeeper.plan.trend import (
    CrowAmsaa,
    MannKendall,
    PoissonTrend,
    TrendResult,
    crow_amsaa,
    laplace,
    mann_kendall,
    poisson_glm,
)

Status = Literal["green", "amber", "red", "n/a"]
Verdict = Literal["outgrown break-fix", "watch", "break-fix still fits"]

MIN_MONTHS, MAX_MONTHS = 12, 24  # the trailing window the spec reads
ALPHA = 0.05
GLM_AMBER_P = 0.10
GLM_RED_GROWTH = 0.25  # e^{12b} − 1 ≥ 25 % a year
LAPLACE_RED_P = 0.01
RECURRENCE_DAYS = 30.0
RECURRENCE_AMBER, RECURRENCE_RED = 0.10, 0.20
UNRESOLVED_P = 0.01
DISRUPTION_AMBER, DISRUPTION_RED = 0.005, 0.01
P1_IMPACT = 0.3
QUARTER_DAYS = 91.0
KEV_DAYS = 14.0
LAG_DAYS = 60.0
LAG_AMBER_SHARE, LAG_RED_SHARE = 0.20, 0.40
MEDIAN_LAG_AMBER_DAYS = 32.0  # the DBIR median
SLO_AMBER, SLO_RED = 0.05, 0.10
TICKET_CV_FLAG = 1.0


@dataclass(frozen=True)
class Signal:
    """One sign: its status, the number it was judged on, and why, in words for the report."""

    name: str
    status: Status
    value: float
    reason: str


# --- 1. rising incident frequency -------------------------------------------------------------


@dataclass(frozen=True)
class TrendSignal(Signal):
    glm: PoissonTrend
    laplace: TrendResult
    crow_amsaa: CrowAmsaa
    mann_kendall: MannKendall
    monthly_counts: npt.NDArray[np.int64]

    @property
    def next_year_factor(self) -> float:
        """e^{12b̂}: what the simulator multiplies next year's rate by when a trend is found."""
        return math.exp(12.0 * self.glm.slope)


def _window(devices_per_month: npt.ArrayLike) -> npt.NDArray[np.float64]:
    devices = np.asarray(devices_per_month, dtype=np.float64)
    if devices.ndim != 1 or not MIN_MONTHS <= devices.size <= MAX_MONTHS:
        raise PlanInputError(
            f"devices_per_month has {devices.size} months: pass the trailing "
            f"{MIN_MONTHS}–{MAX_MONTHS} months, one device count per month"
        )
    if np.any(~np.isfinite(devices)) or np.any(devices <= 0):
        raise PlanInputError("devices_per_month: every month needs a device count > 0")
    return devices


def monthly_counts(event_months: npt.ArrayLike, months: int) -> npt.NDArray[np.int64]:
    """Events per month from times in (0, months] (month k holds times in (k, k + 1])."""
    t = np.asarray(event_months, dtype=np.float64)
    if t.ndim != 1 or np.any(~np.isfinite(t)) or np.any(t <= 0) or np.any(t > months):
        raise PlanInputError(
            f"event times must be months since the window opened, in (0, {months}]"
        )
    index = np.clip(np.ceil(t).astype(np.int64) - 1, 0, months - 1)
    return np.bincount(index, minlength=months).astype(np.int64)


def rising_frequency(event_months: npt.ArrayLike, devices_per_month: npt.ArrayLike) -> TrendSignal:
    """Spec §4.1: four trend detectors on the window; red, amber or green by their p-values.

    `event_months` are incident times in months since the window opened (exact, fractional);
    `devices_per_month` the devices at risk in each month (its length is the window).
    Red: GLM p < 0.05 with annual growth ≥ 25 %, or Laplace p < 0.01. Amber: any test p < 0.05,
    or GLM p < 0.10.
    """
    devices = _window(devices_per_month)
    months = devices.size
    counts = monthly_counts(event_months, months)
    times = np.asarray(event_months, dtype=np.float64)
    glm = poisson_glm(counts, devices)
    lap = laplace(times, float(months))
    ca = crow_amsaa(times, float(months))
    mk = mann_kendall(counts / devices)
    growth = glm.annual_growth
    if glm.p_value < ALPHA and growth >= GLM_RED_GROWTH:
        status: Status = "red"
        reason = f"incidents per device rising {growth:.0%} a year (GLM p={glm.p_value:.3f})"
    elif lap.p_value < LAPLACE_RED_P:
        status = "red"
        reason = f"incidents bunching late in the window (Laplace p={lap.p_value:.4f})"
    elif glm.p_value < GLM_AMBER_P or min(lap.p_value, ca.p_value, mk.p_value) < ALPHA:
        status = "amber"
        reason = (
            f"some sign of a rise: GLM p={glm.p_value:.3f}, Laplace p={lap.p_value:.3f}, "
            f"Crow–AMSAA p={ca.p_value:.3f}, Mann–Kendall p={mk.p_value:.3f}"
        )
    else:
        status = "green"
        reason = f"no rising trend (GLM growth {growth:+.0%} a year, p={glm.p_value:.2f})"
    return TrendSignal(
        "rising incident frequency", status, growth, reason, glm, lap, ca, mk, counts
    )


# --- 2. recurrence -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Incident:
    """A ticket or incident: when (days since the window opened), on what, and why."""

    day: float
    asset_id: str
    root_cause_key: str | None = None


@dataclass(frozen=True)
class RecurrenceSignal(Signal):
    repeats: int
    incidents: int
    unresolved_assets: tuple[str, ...]  # assets whose repeats are too many for chance


def _normalise_cause(key: str | None) -> str | None:
    if key is None:
        return None
    norm = " ".join(key.lower().split())
    return norm or None


def recurrence(incidents: Sequence[Incident], window_days: float) -> RecurrenceSignal:
    """Spec §4.2: share of incidents repeating the same asset or root cause within 30 days.

    An asset is an unresolved problem when P(≥ 2 in 30 d | λ_i)^repeats < 0.01, λ_i its own
    incident rate over the window (so a busy asset needs more repeats to be flagged).
    """
    if window_days <= 0:
        raise PlanInputError(f"window_days={window_days}: must be > 0")
    for inc in incidents:
        if not 0 <= inc.day <= window_days:
            raise PlanInputError(
                f"incident on {inc.asset_id!r} at day {inc.day}: outside the window "
                f"[0, {window_days}]"
            )
    ordered = sorted(incidents, key=lambda inc: inc.day)
    last_asset: dict[str, float] = {}
    last_cause: dict[str, float] = {}
    per_asset: dict[str, int] = {}
    repeats_of: dict[str, int] = {}
    repeats = 0
    for inc in ordered:
        cause = _normalise_cause(inc.root_cause_key)
        seen = [last_asset.get(inc.asset_id)]
        if cause is not None:
            seen.append(last_cause.get(cause))
        if any(d is not None and inc.day - d <= RECURRENCE_DAYS for d in seen):
            repeats += 1
            repeats_of[inc.asset_id] = repeats_of.get(inc.asset_id, 0) + 1
        last_asset[inc.asset_id] = inc.day
        if cause is not None:
            last_cause[cause] = inc.day
        per_asset[inc.asset_id] = per_asset.get(inc.asset_id, 0) + 1
    unresolved = []
    for asset, k in sorted(repeats_of.items()):
        m = per_asset[asset] * RECURRENCE_DAYS / window_days
        p_two = -math.expm1(-m) - m * math.exp(-m)  # P(≥ 2 in 30 d) = 1 − e^{−m}(1 + m)
        if p_two**k < UNRESOLVED_P:
            unresolved.append(asset)
    n = len(ordered)
    ratio = repeats / n if n else 0.0
    status: Status = (
        "red" if ratio > RECURRENCE_RED else "amber" if ratio > RECURRENCE_AMBER else "green"
    )
    reason = f"{repeats} of {n} incidents repeat within {RECURRENCE_DAYS:.0f} days ({ratio:.0%})"
    return RecurrenceSignal("recurrence", status, ratio, reason, repeats, n, tuple(unresolved))


# --- 3. disruption -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outage:
    """An outage: start (days since the window opened), impact I (0..1), operating hours lost."""

    day: float
    impact: float
    lost_operating_h: float


def disruption(outages: Sequence[Outage], operating_hours: float, tolerance_h: float) -> Signal:
    """Spec §4.3: DS = Σ I·lost operating hours / operating hours in the window.

    Amber above 0.5 %, red above 1 %; also red on two or more P1 outages (I ≥ 0.3) within any
    91 days (a quarter), or any single P1 outage longer than the tolerance τ_out.
    """
    if operating_hours <= 0:
        raise PlanInputError(f"operating_hours={operating_hours}: must be > 0")
    if tolerance_h < 0:
        raise PlanInputError(f"tolerance_h={tolerance_h}: must be ≥ 0")
    for o in outages:
        if not (0 <= o.impact <= 1) or o.lost_operating_h < 0:
            raise PlanInputError(
                f"outage at day {o.day}: impact must be in [0, 1] and lost hours ≥ 0"
            )
    score = sum(o.impact * o.lost_operating_h for o in outages) / operating_hours
    p1_days = sorted(o.day for o in outages if o.impact >= P1_IMPACT)
    p1_cluster = any(b - a <= QUARTER_DAYS for a, b in itertools.pairwise(p1_days))
    # τ_out is the longest acceptable single P1 outage (spec §2.1): a printer down for a
    # week is a nuisance, not a breach of the tolerance
    longest = max((o.lost_operating_h for o in outages if o.impact >= P1_IMPACT), default=0.0)
    if score > DISRUPTION_RED:
        status: Status = "red"
        reason = f"{score:.2%} of business capacity lost"
    elif p1_cluster:
        status = "red"
        reason = "two or more P1 outages within a quarter"
    elif longest > tolerance_h:
        status = "red"
        reason = f"a P1 outage of {longest:.1f} operating h, over the {tolerance_h:g} h tolerance"
    elif score > DISRUPTION_AMBER:
        status = "amber"
        reason = f"{score:.2%} of business capacity lost"
    else:
        status = "green"
        reason = f"{score:.2%} of business capacity lost"
    return Signal("disruption score", status, score, reason)


# --- 4. delayed updates ------------------------------------------------------------------------


@dataclass(frozen=True)
class PatchState:
    """One device's patch position on the day of the assessment."""

    lag_days: float  # days since a security update was available and not applied (0 if current)
    internet_facing: bool = False
    oldest_unpatched_kev_days: float | None = None  # age of its oldest unpatched KEV CVE
    end_of_support: bool = False


def delayed_updates(devices: Sequence[PatchState]) -> Signal:
    """Spec §4.4: red on an exposed device with a KEV CVE unpatched > 14 days, an end-of-support
    edge device, or > 40 % of devices over 60 days; amber on > 20 % over 60 days or median > 32."""
    if not devices:
        return Signal("delayed updates", "n/a", 0.0, "no patch data")
    if any(d.lag_days < 0 for d in devices):
        raise PlanInputError("lag_days must be ≥ 0 (0 when the device is up to date)")
    lags = np.array([d.lag_days for d in devices], dtype=np.float64)
    share = float(np.mean(lags > LAG_DAYS))
    median = float(np.median(lags))
    kev = [
        d
        for d in devices
        if d.internet_facing
        and d.oldest_unpatched_kev_days is not None
        and d.oldest_unpatched_kev_days > KEV_DAYS
    ]
    eos_edge = [d for d in devices if d.internet_facing and d.end_of_support]
    if kev:
        return Signal(
            "delayed updates",
            "red",
            share,
            f"{len(kev)} exposed device(s) with a KEV CVE unpatched > {KEV_DAYS:.0f} days",
        )
    if eos_edge:
        return Signal(
            "delayed updates", "red", share, f"{len(eos_edge)} end-of-support edge device(s)"
        )
    if share > LAG_RED_SHARE:
        return Signal(
            "delayed updates",
            "red",
            share,
            f"{share:.0%} of devices over {LAG_DAYS:.0f} days behind",
        )
    if share > LAG_AMBER_SHARE or median > MEDIAN_LAG_AMBER_DAYS:
        return Signal(
            "delayed updates",
            "amber",
            share,
            f"{share:.0%} over {LAG_DAYS:.0f} days, median lag {median:.0f} days",
        )
    return Signal("delayed updates", "green", share, f"median patch lag {median:.0f} days")


# --- 5. uneven performance ---------------------------------------------------------------------


def uneven_performance(
    breached_intervals: int | None,
    total_intervals: int | None,
    tickets_per_user_by_site: Sequence[float] = (),
) -> Signal:
    """Spec §4.5: share of 5-minute intervals breaching the SLO (amber > 5 %, red > 10 %).

    The CV of tickets per user across sites or rooms is flagged above 1.0 (a few rooms or people
    absorb the pain); the flag counts as amber. Without monitoring data the SLO part is n/a.
    """
    cv = math.nan
    if len(tickets_per_user_by_site) >= 2:
        rates = np.asarray(tickets_per_user_by_site, dtype=np.float64)
        if np.any(rates < 0):
            raise PlanInputError("tickets_per_user_by_site: rates must be ≥ 0")
        mean = float(rates.mean())
        cv = float(rates.std(ddof=1)) / mean if mean > 0 else 0.0
    cv_flag = not math.isnan(cv) and cv > TICKET_CV_FLAG
    if breached_intervals is None or total_intervals is None:
        if cv_flag:
            return Signal(
                "uneven performance", "amber", math.nan, f"tickets per user uneven (CV {cv:.2f})"
            )
        return Signal("uneven performance", "n/a", math.nan, "no monitoring data")
    if total_intervals <= 0 or not 0 <= breached_intervals <= total_intervals:
        raise PlanInputError("need 0 ≤ breached_intervals ≤ total_intervals and total > 0")
    share = breached_intervals / total_intervals
    if share > SLO_RED:
        status: Status = "red"
    elif share > SLO_AMBER or cv_flag:
        status = "amber"
    else:
        status = "green"
    reason = f"{share:.1%} of 5-minute intervals breach the SLO"
    if cv_flag:
        reason += f"; tickets per user uneven (CV {cv:.2f})"
    return Signal("uneven performance", status, share, reason)


# --- 6. support-call frequency -----------------------------------------------------------------


def support_calls(
    tickets: int, users: int, months: int, fleet_median: float | None = None
) -> Signal:
    """Spec §4.6: tickets per user per month, reported against the fleet median for the size
    band. The spec sources no threshold, so the status is n/a and it never moves the verdict."""
    if users <= 0 or months <= 0 or tickets < 0:
        raise PlanInputError("support_calls needs tickets ≥ 0, users > 0 and months > 0")
    rate = tickets / (users * months)
    if fleet_median is None or fleet_median <= 0:
        reason = f"{rate:.2f} tickets per user per month"
    else:
        reason = (
            f"{rate:.2f} tickets per user per month, {rate / fleet_median:.1f}× the fleet median"
        )
    return Signal("support-call frequency", "n/a", rate, reason)


# --- verdict ------------------------------------------------------------------------------------


def switch_verdict(signals: Sequence[Signal]) -> Verdict:
    """≥ 2 reds, or 1 red and ≥ 2 ambers: outgrown; any amber or red: watch; else still fits."""
    reds = sum(s.status == "red" for s in signals)
    ambers = sum(s.status == "amber" for s in signals)
    if reds >= 2 or (reds == 1 and ambers >= 2):
        return "outgrown break-fix"
    if reds or ambers:
        return "watch"
    return "break-fix still fits"
