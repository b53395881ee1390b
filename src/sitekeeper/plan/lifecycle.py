"""Lifecycle of a client's devices and their replacement plan and budget (pure: no store, no clock).

For each device: its age, warranty and end-of-support status, median remaining life and
P(fail within 12 months) from its class's Weibull profile (spec §1.5; for a UPS its battery,
for a projector its lamp), a health flag from its recent incidents, and the year it should be
replaced, with the reason in words. `replacement_plan` turns that into dated lines (what,
when, why, cost) and a budget per calendar year.

The rules, in order (docs/lifecycle.md gives the sources):

1. `replace_by` set by the planner overrides everything for the device itself.
2. Otherwise the device is due at the earliest of: its vendor end of support; the class's
   planned age (`planned_age_y`, where the class has one); the age at which P(fail within the
   next 12 months) reaches `Rules.risk_threshold`.
3. A UPS battery or a projector lamp is a line of its own, swapped at the age by which
   `Rules.consumable_share` of them have failed (B20 life), again and again within the
   horizon. A swap due in the same year as, and before, the replacement of the device itself
   is left out: the new device comes with its own.
4. A replaced device starts again at age 0 and recurs at its planned age or risk age.
5. Something overdue is planned for the current year. A device with nothing due inside the
   horizon is "keep". Health does not move the year: incidents may be configuration rather
   than wear, so a planner who sees "poor" decides with `replace_by`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sitekeeper.plan.errors import PlanInputError
from sitekeeper.plan.from_inventory import DEFAULT_AGE_Y
from sitekeeper.plan.lifecycle_inputs import LifecycleDevice, Rules
from sitekeeper.plan.lifecycle_timeline import (
    Event,
    Facts,
    device_facts,
    swap_events,
    unit_events,
    what_of,
)

__all__ = [
    "Assessment",
    "LifecycleDevice",
    "Plan",
    "PlanLine",
    "Rules",
    "assess",
    "replacement_plan",
]


@dataclass(frozen=True)
class Assessment:
    """One device's lifecycle today and what the plan suggests for it."""

    key: str
    kind: str
    device_class: str
    age_y: float
    age_assumed: bool  # no install date: taken as DEFAULT_AGE_Y
    warranty_end: date | None
    warranty: str  # active, expiring, expired, unknown
    end_of_support: date | None
    support: str  # supported, ending, ended, unknown
    life_of: str  # what the two numbers below describe: unit, battery or lamp
    remaining_life_y: float  # median remaining life given its age; inf without wear-out
    p_fail_12m: float
    incidents_12m: int
    health: str  # ok, watch, poor
    action: str  # replace, battery, lamp, keep
    suggested_year: int | None  # None: keep (nothing due inside the horizon)
    due: date | None  # the first due date, also beyond the horizon; None: nothing ever
    reason: str
    cost: float | None
    cost_assumed: bool


@dataclass(frozen=True)
class PlanLine:
    year: int
    due: date
    device: str
    kind: str
    what: str
    why: str
    cost: float
    cost_assumed: bool  # a typical price, not one the inventory states


@dataclass(frozen=True)
class Plan:
    """Replacement lines within `years` calendar years from `start_year`, and the devices."""

    start_year: int
    years: int
    lines: tuple[PlanLine, ...]
    devices: tuple[Assessment, ...]
    assumptions: tuple[str, ...]

    @property
    def year_range(self) -> range:
        return range(self.start_year, self.start_year + self.years)

    def totals(self) -> dict[int, float]:
        """Budget per year (every year of the horizon, 0 when nothing is due)."""
        out = dict.fromkeys(self.year_range, 0.0)
        for line in self.lines:
            out[line.year] += line.cost
        return out

    def assumed_totals(self) -> dict[int, float]:
        """The part of each year's budget that rests on typical prices."""
        out = dict.fromkeys(self.year_range, 0.0)
        for line in self.lines:
            if line.cost_assumed:
                out[line.year] += line.cost
        return out

    @property
    def total(self) -> float:
        return sum(line.cost for line in self.lines)


def _status(end: date | None, today: date, soon_days: int, words: tuple[str, str, str]) -> str:
    if end is None:
        return "unknown"
    if end <= today:
        return words[2]
    return words[1] if (end - today).days <= soon_days else words[0]


def _health(n: int, rules: Rules) -> str:
    if n >= rules.poor_incidents:
        return "poor"
    return "watch" if n >= rules.watch_incidents else "ok"


def _assess_one(f: Facts, today: date, end: date, rules: Rules) -> tuple[Assessment, list[Event]]:
    units, unit_due = unit_events(f, today, end, rules)
    swaps, swap_due = swap_events(f, [e.due for e in units], today, end, rules)
    events = sorted(units + swaps, key=lambda e: (e.due, e.action != "replace"))
    dues = [d for d in (unit_due, swap_due) if d is not None]
    due = min(dues) if dues else None
    d = f.dev
    if events:
        first = events[0]
        action, year, reason = first.action, first.due.year, first.why
        cost, assumed = first.cost, first.assumed
    else:
        action, year, cost, assumed = "keep", None, None, False
        reason = f"nothing due by {end.year}"
        if due is not None:
            reason += f"; next due in {due.year}"
    a = Assessment(
        key=d.key,
        kind=d.kind,
        device_class=f.device_class,
        age_y=f.age_y,
        age_assumed=d.installed is None,
        warranty_end=d.warranty_end,
        warranty=_status(
            d.warranty_end, today, rules.warranty_soon_days, ("active", "expiring", "expired")
        ),
        end_of_support=d.end_of_support,
        support=_status(
            d.end_of_support, today, rules.support_soon_days, ("supported", "ending", "ended")
        ),
        life_of=f.consumable or "unit",
        remaining_life_y=f.remaining_y,
        p_fail_12m=f.p12,
        incidents_12m=d.incidents_12m,
        health=_health(d.incidents_12m, rules),
        action=action,
        suggested_year=year,
        due=due,
        reason=reason,
        cost=cost,
        cost_assumed=assumed,
    )
    return a, events


def _assumptions(facts: list[Facts], rules: Rules) -> tuple[str, ...]:
    out = []
    undated = sum(1 for f in facts if f.dev.installed is None)
    if undated:
        out.append(
            f"{undated} device(s) without an install date are taken as {DEFAULT_AGE_Y:g} y old"
        )
    priced = sum(1 for f in facts if f.unit_cost_assumed)
    if priced:
        out.append(
            f"{priced} device(s) without lifecycle.replacement_cost are priced at a typical "
            "price for their kind"
        )
    ups = [f for f in facts if f.consumable == "battery"]
    if ups:
        costs = sorted({f.profile.battery_cost for f in ups})
        out.append(
            f"UPS batteries cost {', '.join(f'{c:,.0f}' for c in costs)} each and are taken as "
            "old as their UPS (no swap is recorded)"
        )
        warm = sum(1 for f in ups if f.dev.ambient_c is None)
        if warm:
            out.append(
                f"{warm} UPS(es) without lifecycle.ambient_c are taken at {rules.ambient_c:g} °C"
            )
    lamps = [f for f in facts if f.consumable == "lamp"]
    if lamps:
        out.append(
            f"projector lamps are rated {rules.lamp_rated_h:,.0f} h and cost {rules.lamp_cost:,.0f}"
        )
        unused = sum(1 for f in lamps if f.dev.usage_hours_per_year is None)
        if unused:
            out.append(
                f"{unused} projector(s) without lifecycle.usage_hours_per_year are taken at "
                f"{rules.lamp_use_h:,.0f} h/y"
            )
        unread = sum(1 for f in lamps if f.dev.lamp_hours is None)
        if unread:
            out.append(
                f"{unread} projector(s) without a lamp-hours reading are taken as swapping "
                "lamps on schedule since install"
            )
    return tuple(out)


def _check(devices: Iterable[LifecycleDevice], years: int) -> list[LifecycleDevice]:
    if not 1 <= years <= 50:
        raise PlanInputError(f"years = {years}: plan between 1 and 50 years ahead")
    devs = sorted(devices, key=lambda d: d.key)
    keys = [d.key for d in devs]
    if len(set(keys)) != len(keys):
        raise PlanInputError("lifecycle: device keys must be unique within the plan")
    return devs


def replacement_plan(
    devices: Iterable[LifecycleDevice], today: date, years: int = 5, rules: Rules | None = None
) -> Plan:
    """The plan for calendar years `today.year` .. `today.year + years − 1`, lines by date."""
    rules = rules or Rules()
    devs = _check(devices, years)
    end = date(today.year + years - 1, 12, 31)
    facts = device_facts(devs, today, years, rules) if devs else []
    assessed, lines = [], []
    for f in facts:
        a, events = _assess_one(f, today, end, rules)
        assessed.append(a)
        whats = {
            "replace": what_of(f.dev),
            "battery": "replace UPS battery",
            "lamp": "replace lamp",
        }
        lines += [
            PlanLine(
                e.due.year, e.due, f.dev.key, f.dev.kind, whats[e.action], e.why, e.cost, e.assumed
            )
            for e in events
        ]
    lines.sort(key=lambda x: (x.due, x.device, x.what))
    return Plan(today.year, years, tuple(lines), tuple(assessed), _assumptions(facts, rules))


def assess(
    devices: Iterable[LifecycleDevice], today: date, years: int = 5, rules: Rules | None = None
) -> tuple[Assessment, ...]:
    """Each device's lifecycle today and the suggestion the plan makes for it."""
    return replacement_plan(devices, today, years, rules).devices
