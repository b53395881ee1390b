"""The client's stated parameters (inventory `service:`) as the model's inputs.

Each value carries where it came from — stated in the inventory, given on the command line,
estimated, or the model's default — so the report can say so next to every number.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sitekeeper.plan import ClassProfile, ClientParams, PlanInputError, RateCard, Schedule

# S BLS ECEC Sept 2024: $26.39 wages + $8.88 benefits per hour in establishments < 50 workers
DEFAULT_LOADED_COST = 35.27
# A: the share of work lost when the whole site is down
DEFAULT_PRODUCTIVITY_LOSS = 0.75
DEFAULT_TOLERANCE_H = 8.0
HOURS = {"office": "Mon–Fri 09:00–17:00", "24x7": "24/7"}

_RATE_FIELDS = {
    "bf_rate": "bf_rate",
    "after_hours_multiplier": "after_hours_multiplier",
    "emergency_multiplier": "emergency_multiplier",
    "trip_charge": "trip_charge",
    "minimum_hours": "minimum_h",
    "site_fee": "site_fee_monthly",
    "project_rate": "project_rate",
}


@dataclass(frozen=True)
class Stated:
    """A value and its source: 'inventory', 'command line', 'estimated' or 'default'."""

    value: float
    source: str
    detail: str = ""


@dataclass(frozen=True)
class Overrides:
    """What the command line or an API call states for this run."""

    downtime_cost: float | None = None
    hours: str | None = None
    tolerance_h: float | None = None
    source: str = "command line"  # how the report names these values' origin


@dataclass(frozen=True)
class Settings:
    plan: str  # the client's current service plan
    downtime_cost: Stated
    hours: str
    hours_source: str
    tolerance: Stated
    rates: RateCard
    rate_sources: dict[str, str]  # rate_card field → 'inventory' or 'default'
    device_fees: dict[str, float]  # class → monthly fee stated in the rate card
    users: int | None


def _given(service: Mapping[str, Any], key: str, default: float) -> float:
    """The stated value (a stated 0 is a value), else the default."""
    value = service.get(key)
    return default if value is None else float(value)


def downtime_cost(
    service: Mapping[str, Any], override: float | None, source: str = "command line"
) -> Stated:
    """Stated, or bottom-up: staff × loaded cost × share of work lost + revenue not recovered."""
    if override is not None:
        return Stated(override, source)
    if service.get("downtime_cost") is not None:
        return Stated(float(service["downtime_cost"]), "inventory")
    employees = service.get("employees")
    revenue = service.get("revenue_per_hour")
    if not employees and not revenue:
        raise PlanInputError(
            "no downtime cost: state `service: {downtime_cost: N}` in the client's inventory "
            "(what an hour with the whole site down costs), or `employees:` for the bottom-up "
            "estimate, or give it for this run (--downtime-cost; ?cost= in the API)"
        )
    cost = _given(service, "loaded_cost", DEFAULT_LOADED_COST)
    share = _given(service, "productivity_loss", DEFAULT_PRODUCTIVITY_LOSS)
    lost_share = _given(service, "revenue_lost_share", 0.0)
    value = (employees or 0) * cost * share + float(revenue or 0.0) * lost_share
    detail = f"{employees or 0} staff × {cost:,.2f}/h × {share:.0%} of work lost"
    if revenue:
        detail += f" + revenue {float(revenue):,.0f}/h × {lost_share:.0%} not recovered"
    return Stated(value, "estimated", detail)


def resolve(service: Mapping[str, Any], overrides: Overrides) -> Settings:
    hours = overrides.hours or service.get("hours") or "office"
    if hours not in HOURS:
        raise PlanInputError(f"hours {hours!r}: use one of {', '.join(HOURS)}")
    hours_source = (
        overrides.source if overrides.hours else "inventory" if service.get("hours") else "default"
    )
    if overrides.tolerance_h is not None:
        tolerance = Stated(overrides.tolerance_h, overrides.source)
    elif service.get("tolerance_hours") is not None:
        tolerance = Stated(tolerance_hours(service), "inventory")
    else:
        tolerance = Stated(DEFAULT_TOLERANCE_H, "default")
    card = dict(service.get("rate_card") or {})
    changes: dict[str, Any] = {
        _RATE_FIELDS[k]: float(v) for k, v in card.items() if k in _RATE_FIELDS
    }
    rates = dataclasses.replace(RateCard(), **changes)
    # by the inventory's names, and only the fields a rate card can set
    sources = {
        key: ("inventory" if key in card else "default") for key in (*_RATE_FIELDS, "device_fees")
    }
    return Settings(
        plan=str(service.get("plan") or "managed"),
        downtime_cost=downtime_cost(service, overrides.downtime_cost, overrides.source),
        hours=hours,
        hours_source=hours_source,
        tolerance=tolerance,
        rates=rates,
        rate_sources=sources,
        device_fees={k: float(v) for k, v in (card.get("device_fees") or {}).items()},
        users=service.get("users") or service.get("employees") or None,
    )


def schedule(hours: str) -> Schedule:
    return Schedule.always() if hours == "24x7" else Schedule.weekdays(9, 17)


def client_params(settings: Settings) -> ClientParams:
    return ClientParams(
        cost_per_hour=settings.downtime_cost.value,
        schedule=schedule(settings.hours),
        tolerance_h=settings.tolerance.value,
    )


def with_fees(
    profiles: Mapping[str, ClassProfile], fees: Mapping[str, float]
) -> dict[str, ClassProfile]:
    """The class profiles with the rate card's monthly fees in place of the defaults."""
    unknown = sorted(set(fees) - set(profiles))
    if unknown:
        raise PlanInputError(
            f"rate_card.device_fees: unknown class(es) {', '.join(unknown)}; "
            f"use {', '.join(sorted(profiles))}"
        )
    return {
        name: dataclasses.replace(p, monthly_fee=fees[name]) if name in fees else p
        for name, p in profiles.items()
    }


def tolerance_hours(service: Mapping[str, Any]) -> float:
    """The client's stated tolerance (a stated 0 counts), else the default."""
    return _given(service, "tolerance_hours", DEFAULT_TOLERANCE_H)


def observed_from(service: Mapping[str, Any], created_at: float, tz: Any) -> float:
    """When the client's history starts: when it was added, or `service.since` if earlier
    (tickets before that are still read; the earliest of them starts it otherwise)."""
    since = service.get("since")
    if not since:
        return created_at
    start = date.fromisoformat(str(since))
    from datetime import datetime

    return min(created_at, datetime(start.year, start.month, start.day, tzinfo=tz).timestamp())
