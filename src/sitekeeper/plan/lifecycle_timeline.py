"""The dated events of one device: its own replacements and its battery or lamp swaps.

`device_facts` computes the Weibull numbers of all devices at once (numpy); the rest walks one
device's timeline from today to the end of the horizon and writes each reason in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from sitekeeper.inventory.kinds import KIND_LABELS, DeviceKind
from sitekeeper.plan.errors import PlanInputError
from sitekeeper.plan.from_inventory import DEFAULT_AGE_Y, KIND_CLASS
from sitekeeper.plan.inputs import ClassProfile
from sitekeeper.plan.lifecycle_inputs import (
    DAYS_PER_YEAR,
    LAMP_CLASSES,
    LifecycleDevice,
    Rules,
)
from sitekeeper.plan.lifetimes import (
    age_at_risk,
    b_life,
    battery_scale,
    median_remaining_life,
    p_fail_within,
)

CLASS_PLURAL: dict[str, str] = {
    "workstation": "workstations",
    "server": "servers",
    "nas": "NAS units",
    "nvr": "NVRs",
    "switch": "switches",
    "router": "routers",
    "ap": "access points",
    "ups": "UPS units",
    "camera": "cameras",
    "display": "displays",
    "av_control": "AV control units",
    "audio": "audio devices",
    "lighting": "lighting controllers",
    "projector": "projectors",
}


def after(d: date, years: float) -> date | None:
    """The date `years` after d: a whole number of years on the calendar (a planned age of
    6 y falls on the anniversary), anything else in days; None past the calendar's end."""
    try:
        if years == int(years):
            y = d.year + int(years)
            return d.replace(year=y) if (d.month, d.day) != (2, 29) else date(y, 2, 28)
        return d + timedelta(days=round(years * DAYS_PER_YEAR))
    except (OverflowError, ValueError):
        return None


@dataclass(frozen=True)
class Facts:
    """The vectorised numbers of one device, read back for its timeline."""

    dev: LifecycleDevice
    device_class: str
    profile: ClassProfile
    age_y: float
    installed: date  # the install date, or the assumed one
    consumable: str | None  # battery, lamp or None
    cons_age_y: float  # age of the battery or lamp now
    cons_life_y: float  # swap interval (B-life)
    unit_risk_age: float  # age at which P(fail in 12 months) reaches the threshold
    new_unit_risk_age: float  # the same for a replacement unit, from age 0
    remaining_y: float  # median remaining life of what `consumable` names, else the unit
    p12: float  # P(fail within 12 months), the same part
    unit_p12: float  # P(the device itself fails within 12 months)
    unit_cost: float
    unit_cost_assumed: bool


@dataclass(frozen=True)
class Event:
    due: date
    action: str
    why: str
    cost: float
    assumed: bool


def device_facts(
    devices: list[LifecycleDevice], today: date, years: int, rules: Rules
) -> list[Facts]:
    n = len(devices)
    cls_of = []
    for d in devices:
        try:
            cls_of.append(KIND_CLASS[DeviceKind(d.kind)])
        except ValueError:
            raise PlanInputError(
                f"device {d.key!r}: unknown kind {d.kind!r}; use one of "
                f"{', '.join(k.value for k in DeviceKind)}"
            ) from None
    profs = [rules.profiles[c.device_class] for c in cls_of]
    age = np.array(
        [
            DEFAULT_AGE_Y
            if d.installed is None
            else max(0.0, (today - d.installed).days) / DAYS_PER_YEAR
            for d in devices
        ]
    )
    lamp = np.array([c.device_class in LAMP_CLASSES for c in cls_of])
    battery = np.array([p.battery for p in profs]) & ~lamp
    # the body's wear-out; a projector's profile is its lamp, so the body has none of its own
    unit_shape = np.array([p.weibull_shape for p in profs])
    unit_scale = np.where(lamp, np.inf, [p.weibull_scale_y for p in profs])
    use_h = np.array([d.usage_hours_per_year or rules.lamp_use_h for d in devices])
    ambient = np.array([rules.ambient_c if d.ambient_c is None else d.ambient_c for d in devices])
    cons_shape = np.where(lamp, unit_shape, [p.battery_shape for p in profs])
    cons_scale = np.where(
        lamp,
        rules.lamp_rated_h / use_h,
        np.where(
            battery, battery_scale(np.array([p.battery_scale_y for p in profs]), ambient), np.inf
        ),
    )
    cons_life = b_life(cons_shape, cons_scale, rules.consumable_share)
    observed = np.array([np.nan if d.lamp_hours is None else d.lamp_hours for d in devices])
    # a battery fails silently, so it may well be the original one; a lamp that fails is seen
    # and swapped, so without a reading it is taken as swapped on schedule since install
    lamp_age = np.where(
        np.isnan(observed), np.mod(age, np.where(lamp, cons_life, 1.0)), observed / use_h
    )
    cons_age = np.where(lamp, lamp_age, np.where(battery, age, 0.0))
    risk = age_at_risk(unit_shape, unit_scale, rules.risk_threshold, age + years + 1.0)
    new_risk = age_at_risk(unit_shape, unit_scale, rules.risk_threshold, np.full(n, years + 1.0))
    has_cons = lamp | battery
    shown_shape = np.where(has_cons, cons_shape, unit_shape)
    shown_scale = np.where(has_cons, cons_scale, unit_scale)
    shown_age = np.where(has_cons, cons_age, age)
    remaining = median_remaining_life(shown_age, shown_shape, shown_scale)
    p12 = p_fail_within(shown_age, shown_shape, shown_scale)
    unit_p12 = p_fail_within(age, unit_shape, unit_scale)
    out = []
    for i, d in enumerate(devices):
        installed = d.installed or today - timedelta(days=round(DEFAULT_AGE_Y * DAYS_PER_YEAR))
        out.append(
            Facts(
                dev=d,
                device_class=cls_of[i].device_class,
                profile=profs[i],
                age_y=float(age[i]),
                installed=installed,
                consumable="lamp" if lamp[i] else "battery" if battery[i] else None,
                cons_age_y=float(cons_age[i]),
                cons_life_y=float(cons_life[i]),
                unit_risk_age=float(risk[i]),
                new_unit_risk_age=float(new_risk[i]),
                remaining_y=float(remaining[i]),
                p12=float(p12[i]),
                unit_p12=float(unit_p12[i]),
                unit_cost=float(
                    cls_of[i].replacement_cost if d.replacement_cost is None else d.replacement_cost
                ),
                unit_cost_assumed=d.replacement_cost is None,
            )
        )
    return out


def first_unit_due(f: Facts, today: date, rules: Rules) -> tuple[date, str] | None:
    """When the device itself is due (rules 1 and 2), with every reason due that year."""
    d = f.dev
    if d.replace_by is not None:
        why = f"replace_by {d.replace_by:%Y-%m} set by planner"
        return d.replace_by, why + (f": {d.note}" if d.note else "")
    guess = " (age assumed: add installed)" if d.installed is None else ""
    label = CLASS_PLURAL.get(f.device_class, f"{f.device_class} devices")
    found: list[tuple[date, str]] = []
    if d.end_of_support is not None:
        found.append((d.end_of_support, f"end of support {d.end_of_support:%Y-%m}"))
    planned = f.profile.planned_age_y
    at = after(f.installed, planned) if f.consumable != "lamp" and planned != float("inf") else None
    if at is not None:
        past = at <= today
        why = f"{'past' if past else 'reaches'} planned age {planned:g} y for {label}"
        found.append((at, why + ("" if past else f" in {at:%Y-%m}") + guess))
    at = after(f.installed, f.unit_risk_age) if f.unit_risk_age != float("inf") else None
    if at is not None:
        if at <= today:
            why = f"P(fail in 12 months) {f.unit_p12:.0%}"
        else:
            why = f"P(fail in 12 months) passes {rules.risk_threshold:.0%} in {at:%Y-%m}"
        found.append((at, why + guess))
    if not found:
        return None
    found.sort(key=lambda x: x[0])
    first = max(found[0][0], today)
    same_year = [why for at, why in found if max(at, today).year == first.year]
    return found[0][0], "; ".join(same_year)


def unit_events(f: Facts, today: date, end: date, rules: Rules) -> tuple[list[Event], date | None]:
    """The device's own replacements within the horizon, and its first due date (any year)."""
    first = first_unit_due(f, today, rules)
    if first is None:
        return [], None
    label = CLASS_PLURAL.get(f.device_class, f"{f.device_class} devices")
    planned = f.profile.planned_age_y if f.consumable != "lamp" else float("inf")
    renew_y = min(planned, f.new_unit_risk_age)
    renew_why = (
        f"planned age {planned:g} y for {label}"
        if planned <= f.new_unit_risk_age
        else f"P(fail in 12 months) passes {rules.risk_threshold:.0%}"
    )
    events: list[Event] = []
    due: date | None = max(first[0], today)
    why = first[1]
    while due is not None and due <= end:
        events.append(Event(due, "replace", why, f.unit_cost, f.unit_cost_assumed))
        due = after(due, renew_y) if renew_y != float("inf") else None
        why = f"{renew_why} after the {events[-1].due.year} replacement"
    return events, first[0]


def what_of(d: LifecycleDevice) -> str:
    """'replace Cisco CBS350', or 'replace access point' when vendor and model are unknown."""
    named = " ".join(x for x in (d.vendor, d.model) if x)
    if not named:
        label = KIND_LABELS[DeviceKind(d.kind)]
        named = label if label[:2].isupper() else label[0].lower() + label[1:]
    return f"replace {named}"


def swap_why(f: Facts, age_y: float, rules: Rules) -> str:
    """Why a battery or lamp is swapped; `age_y` is its age at the swap."""
    life, dev = f.cons_life_y, f.dev
    overdue = age_y > life * (1 + 1e-9)
    if f.consumable == "battery":
        temp = rules.ambient_c if dev.ambient_c is None else dev.ambient_c
        if overdue:
            return f"battery past {life:.1f} y at {temp:g} °C ({age_y:.1f} y old)"
        return f"battery reaches its {life:.1f} y life at {temp:g} °C"
    use = dev.usage_hours_per_year or rules.lamp_use_h
    if overdue:
        return f"lamp past {life * use:,.0f} h at {use:,.0f} h/y ({age_y * use:,.0f} h)"
    return f"lamp reaches its {life * use:,.0f} h life at {use:,.0f} h/y"


def swap_events(
    f: Facts, renewals: list[date], today: date, end: date, rules: Rules
) -> tuple[list[Event], date | None]:
    """Battery or lamp swaps (rule 3), restarting at each replacement of the device."""
    if f.consumable is None:
        return [], None
    life = f.cons_life_y
    cost = f.profile.battery_cost if f.consumable == "battery" else rules.lamp_cost
    first = after(today, max(0.0, life - f.cons_age_y))
    events: list[Event] = []
    starts = [(today, f.cons_age_y), *[(r, 0.0) for r in renewals]]
    for i, (start, age0) in enumerate(starts):
        stop = starts[i + 1][0] if i + 1 < len(starts) else None
        at, age_at = after(start, max(0.0, life - age0)), max(age0, life)
        while at is not None and at <= end and (stop is None or at < stop):
            if stop is None or at.year != stop.year:
                why = swap_why(f, age_at, rules)
                events.append(Event(at, f.consumable, why, cost, True))
            at, age_at = after(at, life), life
    return events, first
