"""What a client's own history says (pure: events and devices in, numbers out).

- Calibration (spec §3): the client frailty θ from every event against what the class rates
  expect, then per class a Gamma–Poisson posterior whose prior mean is θ̂ × the fleet rate,
  worth 10 device-years. Its weight Z = E / (E + 10) is what the report shows.
- The switch signals (spec §4) on the trailing 12–24 months.
- A detected rise (the rising-frequency signal amber or red with a positive slope) carries
  forward: next year's rates are the posterior × e^{12b̂}, capped at 3×.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

import numpy as np

from sitekeeper.advisor.history import HistoryEvent
from sitekeeper.inventory.kinds import DeviceKind
from sitekeeper.plan import (
    ClassProfile,
    GammaDist,
    Incident,
    Outage,
    PatchState,
    Schedule,
    Signal,
    delayed_updates,
    disruption,
    recurrence,
    rising_frequency,
    support_calls,
    switch_verdict,
    uneven_performance,
)
from sitekeeper.plan.calibrate import PRIOR_STRENGTH_DEVICE_YEARS, frailty_posterior, gamma_poisson
from sitekeeper.plan.from_inventory import CRITICALITY_SHARE, KIND_CLASS, InventoryDevice
from sitekeeper.plan.inputs import Device

DAY_S = 86400.0
MONTH_D = 365.25 / 12.0
CALIBRATION_MONTHS = 36  # the history calibration reads
SIGNAL_MONTHS = 24  # the longest trailing window the signals read (the shortest is 12)
FRAILTY_SHAPE = 4.0  # prior θ ~ Gamma(4, 4), spec §2.1
MAX_TREND_FACTOR = 3.0
EDGE_KINDS = {DeviceKind.ROUTER.value, DeviceKind.FIREWALL.value, DeviceKind.MODEM.value}
_MONDAY = datetime(2001, 1, 1)  # a Monday: schedule time is hours since a local Monday 00:00


@dataclass(frozen=True)
class ClassEvidence:
    device_class: str
    devices: int
    exposure_y: float  # device-years in the calibration window
    events: int
    prior_mean: float  # θ̂ × the fleet rate, per device-year
    posterior_mean: float
    credibility: float  # Z: the weight of the client's own data


@dataclass(frozen=True)
class Evidence:
    months: float  # how much history there is (up to CALIBRATION_MONTHS)
    events: int
    frailty_mean: float
    frailty_credibility: float
    classes: tuple[ClassEvidence, ...]
    class_rates: dict[str, GammaDist]  # the posterior per class, trend included
    trend_factor: float  # 1 unless a rise was detected
    signals: tuple[Signal, ...]
    verdict: str
    window_months: int  # the signals' window (0 when there is too little history)
    monthly_counts: tuple[int, ...]
    monthly_fit: tuple[float, ...]  # the GLM's expected count per month
    monthly_disruption: tuple[float, ...]  # DS per month (share of capacity lost)
    window_start: float  # unix seconds


def _local_hours(ts: float, tz: tzinfo) -> float:
    local = datetime.fromtimestamp(ts, tz).replace(tzinfo=None)
    return (local - _MONDAY).total_seconds() / 3600.0


def _installed_ts(dev: InventoryDevice, tz: tzinfo) -> float | None:
    if dev.installed is None:
        return None
    return datetime(
        dev.installed.year, dev.installed.month, dev.installed.day, tzinfo=tz
    ).timestamp()


def _exposure_y(dev: InventoryDevice, start: float, now: float, tz: tzinfo) -> float:
    since = _installed_ts(dev, tz)
    begin = start if since is None else max(start, since)
    return max(0.0, now - begin) / (365.25 * DAY_S)


def history_months(events: Sequence[HistoryEvent], now: float, first_seen: float) -> float:
    """Months of history: since the earliest event or since the client was added."""
    first = min([first_seen, *(e.opened_at for e in events)])
    return min(CALIBRATION_MONTHS, max(0.0, (now - first) / (MONTH_D * DAY_S)))


def _impact(e: HistoryEvent, shares: Mapping[str, float]) -> float | None:
    if e.impact is not None:
        return e.impact
    return shares.get(e.device) if e.device else None


def _signals(
    events: Sequence[HistoryEvent],
    devices: Sequence[InventoryDevice],
    shares: Mapping[str, float],
    months: int,
    now: float,
    tz: tzinfo,
    schedule: Schedule,
    tolerance_h: float,
    users: int | None,
    today: date,
    end_of_support: Mapping[str, date],
) -> tuple[list[Signal], list[int], list[float], list[float]]:
    start = now - months * MONTH_D * DAY_S
    inside = [e for e in events if start < e.opened_at <= now]
    t_months = [(e.opened_at - start) / (MONTH_D * DAY_S) for e in inside]
    per_month = []
    for k in range(months):
        month_end = start + (k + 1) * MONTH_D * DAY_S
        n = sum(1 for d in devices if (_installed_ts(d, tz) or 0.0) < month_end)
        per_month.append(max(n, 1))
    trend = rising_frequency(np.asarray(t_months, dtype=np.float64), per_month)
    mid = (months - 1) / 2.0
    fit = [
        float(per_month[k] * math.exp(trend.glm.intercept + trend.glm.slope * (k - mid)))
        for k in range(months)
    ]
    window_days = months * MONTH_D
    rec = recurrence(
        [
            Incident(
                min(window_days, (e.opened_at - start) / DAY_S),
                e.device or f"unassigned {e.ref}",
                e.root_cause,
            )
            for e in inside
        ],
        window_days,
    )
    outages: list[Outage] = []
    monthly_ds = [0.0] * months
    month_open = float(
        schedule.operating_hours(np.asarray([_local_hours(start, tz) + 730.5]))[0]
    ) - float(schedule.operating_hours(np.asarray([_local_hours(start, tz)]))[0])
    for e in inside:
        impact = _impact(e, shares)
        if impact is None or e.restored_at is None:
            continue
        t0, t1 = _local_hours(e.opened_at, tz), _local_hours(e.restored_at, tz)
        lost = float(np.diff(schedule.operating_hours(np.asarray([t0, t1])))[0])
        outages.append(Outage((e.opened_at - start) / DAY_S, impact, lost))
        k = min(months - 1, int((e.opened_at - start) / (MONTH_D * DAY_S)))
        monthly_ds[k] += impact * lost / max(month_open, 1e-9)
    open_h = float(
        np.diff(
            schedule.operating_hours(np.asarray([_local_hours(start, tz), _local_hours(now, tz)]))
        )[0]
    )
    dis = disruption(outages, max(open_h, 1.0), tolerance_h)
    eos_edge = [
        PatchState(0.0, internet_facing=True, end_of_support=True)
        for d in devices
        if d.kind in EDGE_KINDS and d.key in end_of_support and end_of_support[d.key] <= today
    ]
    updates = delayed_updates(eos_edge)
    uneven = uneven_performance(None, None)
    if users:
        calls = support_calls(len(inside), users, months)
    else:
        calls = Signal(
            "support-call frequency",
            "n/a",
            math.nan,
            "state `service: {users: N}` to see tickets per user per month",
        )
    signals: list[Signal] = [trend, rec, dis, updates, uneven, calls]
    return signals, [int(c) for c in trend.monthly_counts], fit, monthly_ds


def evidence(
    devices: Sequence[InventoryDevice],
    model_devices: Sequence[Device],
    profiles: Mapping[str, ClassProfile],
    events: Sequence[HistoryEvent],
    now: float,
    first_seen: float,
    tz: tzinfo = UTC,
    schedule: Schedule | None = None,
    tolerance_h: float = 8.0,
    users: int | None = None,
    end_of_support: Mapping[str, date] | None = None,
) -> Evidence:
    """Calibrate the class rates and judge the switch signals from the client's history."""
    schedule = schedule or Schedule.weekdays(9, 17)
    months = history_months(events, now, first_seen)
    start = now - months * MONTH_D * DAY_S
    used = [e for e in events if start <= e.opened_at <= now]
    class_of = {d.key: KIND_CLASS[DeviceKind(d.kind)].device_class for d in devices}
    shares = {d.key: CRITICALITY_SHARE.get(d.criticality, 0.1) for d in devices}
    exposure: dict[str, float] = {}
    count: dict[str, int] = {}
    for d in devices:
        c = class_of[d.key]
        exposure[c] = exposure.get(c, 0.0) + _exposure_y(d, start, now, tz)
        count[c] = count.get(c, 0) + 0
    for e in used:
        if e.device in class_of:
            c = class_of[e.device]
            count[c] += 1
    expected = sum(profiles[c].soft_rate * exposure[c] for c in exposure)
    frailty = frailty_posterior(FRAILTY_SHAPE, len(used), expected)
    today = datetime.fromtimestamp(now, tz).date()
    window = int(min(SIGNAL_MONTHS, math.floor(months)))
    if window >= 12:
        signals, counts, fit, monthly_ds = _signals(
            used,
            devices,
            shares,
            window,
            now,
            tz,
            schedule,
            tolerance_h,
            users,
            today,
            end_of_support or {},
        )
        verdict = str(switch_verdict(signals))
    else:
        signals, counts, fit, monthly_ds, window = [], [], [], [], 0
        verdict = "not enough history (12 months needed)"
    factor = 1.0
    trend = signals[0] if signals else None
    slope = getattr(getattr(trend, "glm", None), "slope", 0.0)
    if trend is not None and trend.status in ("amber", "red") and slope > 0:
        factor = min(MAX_TREND_FACTOR, math.exp(12.0 * slope))
    classes: list[ClassEvidence] = []
    rates: dict[str, GammaDist] = {}
    n_by_class: dict[str, int] = {}
    for md in model_devices:
        n_by_class[md.device_class] = n_by_class.get(md.device_class, 0) + 1
    for c in sorted(n_by_class):
        prior_mean = frailty.mean * profiles[c].soft_rate
        if prior_mean <= 0:
            continue
        prior = GammaDist(prior_mean * PRIOR_STRENGTH_DEVICE_YEARS, PRIOR_STRENGTH_DEVICE_YEARS)
        post = gamma_poisson(prior, count.get(c, 0), exposure.get(c, 0.0))
        rates[c] = GammaDist(post.dist.shape, post.dist.rate / factor)
        classes.append(
            ClassEvidence(
                c,
                n_by_class[c],
                exposure.get(c, 0.0),
                count.get(c, 0),
                prior_mean,
                post.mean,
                post.credibility,
            )
        )
    return Evidence(
        months=months,
        events=len(used),
        frailty_mean=frailty.mean,
        frailty_credibility=frailty.credibility,
        classes=tuple(classes),
        class_rates=rates,
        trend_factor=factor,
        signals=tuple(signals),
        verdict=verdict,
        window_months=window,
        monthly_counts=tuple(counts),
        monthly_fit=tuple(fit),
        monthly_disruption=tuple(monthly_ds),
        window_start=now - window * MONTH_D * DAY_S,
    )
