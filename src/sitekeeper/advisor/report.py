"""The advisor's report for one client: store in, one JSON-ready document out.

Used by `sitekeeper advise`, `GET /api/v1/clients/{key}/advice` and the dashboard's advisor
page, so all three say the same thing. Reads the client's devices, `service:` settings and
history; calibrates; simulates both support models on common random numbers; explains.
"""

from __future__ import annotations

import math
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from sitekeeper.advisor.evidence import CALIBRATION_MONTHS, DAY_S, MONTH_D, Evidence, evidence
from sitekeeper.advisor.history import load_history
from sitekeeper.advisor.settings import (
    HOURS,
    Overrides,
    Settings,
    client_params,
    observed_from,
    resolve,
    with_fees,
)
from sitekeeper.db import models as m
from sitekeeper.errors import NotFound
from sitekeeper.plan import (
    ClientParams,
    Comparison,
    ContractView,
    Estate,
    Fixed,
    ModelParams,
    Priors,
    Simulation,
    TornadoBar,
    compare,
    drivers,
    hybrid_plan,
    three_year,
    tornado,
)
from sitekeeper.plan.from_inventory import (
    InventoryDevice,
    assumptions,
    class_counts,
    estate_from_inventory,
)
from sitekeeper.plan.hybrid import HybridComparison
from sitekeeper.plan.tornado import TORNADO_TRIALS

DEFAULT_SEED = 20240601
DEFAULT_TRIALS = 10_000
COMPONENTS = ("fee", "labour", "hardware", "downtime", "security")
HIST_BINS = 40
TOP_DRIVERS = 8


@dataclass(frozen=True)
class ClientData:
    key: str
    name: str
    service: dict[str, Any]
    created_at: float
    tz: zoneinfo.ZoneInfo
    devices: list[InventoryDevice]
    end_of_support: dict[str, date]


def load_client(
    session: Session, key: str, client_ids: Sequence[int] | None = None
) -> tuple[ClientData, int]:
    """The client's devices and settings; NotFound names the known clients (within scope)."""
    query = select(m.Client).where(m.Client.key == key)
    row = session.scalar(query)
    if row is None or (client_ids is not None and row.id not in client_ids):
        keys_q = select(m.Client.key).order_by(m.Client.key)
        if client_ids is not None:
            keys_q = keys_q.where(m.Client.id.in_(client_ids))
        known = session.scalars(keys_q).all()
        hint = f" (known: {', '.join(known)})" if known else ""
        raise NotFound(f"no client {key!r}{hint}")
    site_tz = session.scalar(
        select(m.Site.timezone).where(m.Site.client_id == row.id).order_by(m.Site.id).limit(1)
    )
    rows = session.scalars(
        select(m.Device)
        .where(m.Device.client_id == row.id, m.Device.retired_at.is_(None))
        .order_by(m.Device.key)
    ).all()
    eos: dict[str, date] = {}
    for r in rows:
        value = ((r.entry or {}).get("lifecycle") or {}).get("end_of_support")
        if value:
            eos[r.key] = date.fromisoformat(value)
    return ClientData(
        key=row.key,
        name=row.name,
        service=dict(row.service or {}),
        created_at=row.created_at,
        tz=zoneinfo.ZoneInfo(site_tz or "UTC"),
        devices=[
            InventoryDevice(
                key=r.key,
                kind=r.kind,
                criticality=r.criticality,
                installed=r.installed,
                depends_on=tuple(r.depends_on or ()),
                depends_mode=r.depends_mode,
            )
            for r in rows
        ],
        end_of_support=eos,
    ), row.id


def _summary(s: Any) -> dict[str, Any]:
    return {
        "mean": round(s.mean, 2),
        "p50": round(s.p50, 2),
        "p90": round(s.p90, 2),
        "p99": round(s.p99, 2),
        "cvar95": round(s.cvar95, 2),
        "components": {k: round(s.components[k], 2) for k in COMPONENTS},
        "downtime_hours": round(s.downtime_hours, 3),
        "p_longest_outage_over_tolerance": round(s.p_over_tolerance, 4),
    }


def _histogram(sim: Simulation, cost: float) -> dict[str, Any]:
    bf, ms = sim.bf.total(cost), sim.ms.total(cost)
    low = float(min(bf.min(), ms.min()))
    high = float(np.percentile(np.concatenate([bf, ms]), 99.5))
    if high <= low:
        high = low + 1.0
    edges = np.linspace(low, high, HIST_BINS + 1)
    return {
        "edges": [round(float(x), 2) for x in edges],
        "break_fix": np.histogram(np.clip(bf, low, high), edges)[0].tolist(),
        "managed": np.histogram(np.clip(ms, low, high), edges)[0].tolist(),
    }


def _delta_line(sim: Simulation, cost: float, break_even: float | None) -> dict[str, Any]:
    """E[Δ] at a range of downtime costs: exact, because totals are linear in C_h."""
    a = float(sim.bf.fixed().mean() - sim.ms.fixed().mean())
    b = float(sim.bf.hours().mean() - sim.ms.hours().mean())
    top = max(cost, break_even or 0.0) * 3.0 or 1000.0
    xs = np.linspace(0.0, top, 31)
    return {
        "cost_per_hour": [round(float(x), 2) for x in xs],
        "delta": [round(a + b * float(x), 2) for x in xs],
        "fixed_difference": round(a, 2),
        "hours_difference": round(b, 4),
    }


def _signals_doc(ev: Evidence) -> list[dict[str, Any]]:
    out = []
    for s in ev.signals:
        value = None if isinstance(s.value, float) and math.isnan(s.value) else s.value
        out.append({"name": s.name, "status": s.status, "value": value, "reason": s.reason})
    return out


def _history_doc(ev: Evidence, tz: zoneinfo.ZoneInfo) -> dict[str, Any]:
    months = []
    for k in range(ev.window_months):
        at = datetime.fromtimestamp(ev.window_start + (k + 0.5) * MONTH_D * DAY_S, tz)
        months.append(at.strftime("%Y-%m"))
    return {
        "months_of_history": round(ev.months, 1),
        "events": ev.events,
        "window_events": sum(ev.monthly_counts),
        "window_months": ev.window_months,
        "months": months,
        "monthly_counts": list(ev.monthly_counts),
        "monthly_fit": [round(x, 3) for x in ev.monthly_fit],
        "monthly_disruption": [round(x, 5) for x in ev.monthly_disruption],
    }


def _calibration_doc(ev: Evidence) -> dict[str, Any]:
    return {
        "frailty_mean": round(ev.frailty_mean, 3),
        "frailty_credibility": round(ev.frailty_credibility, 3),
        "trend_factor": round(ev.trend_factor, 3),
        "classes": [
            {
                "class": c.device_class,
                "devices": c.devices,
                "device_years": round(c.exposure_y, 2),
                "events": c.events,
                "prior_rate": round(c.prior_mean, 4),
                "posterior_rate": round(c.posterior_mean, 4),
                "credibility": round(c.credibility, 3),
            }
            for c in ev.classes
        ],
    }


def _assumed(settings: Settings, ev: Evidence, devices: list[InventoryDevice]) -> list[str]:
    out = []
    dc = settings.downtime_cost
    if dc.source == "estimated":
        out.append(
            f"downtime cost {dc.value:,.0f}/h estimated bottom-up: {dc.detail} "
            "(loaded cost S: BLS ECEC; share of work lost A)"
        )
    else:
        out.append(f"downtime cost {dc.value:,.0f}/h ({dc.source})")
    out.append(f"business hours {HOURS[settings.hours]} ({settings.hours_source})")
    out.append(f"outage tolerance {settings.tolerance.value:g} h ({settings.tolerance.source})")
    defaults = [k for k, v in settings.rate_sources.items() if v == "default"]
    if defaults:
        out.append(
            "rate card defaults (S: published break-fix rate cards; fees A) for: "
            + ", ".join(defaults)
            + " (set them under service.rate_card)"
        )
    if ev.events == 0 and ev.months < 1:
        out.append("no history yet: the fleet priors stand in for the client's own rates")
    else:
        out.append(
            f"{ev.events} ticket(s) and incident(s) over {ev.months:.0f} months calibrate the "
            f"rates; the client's own data carries {ev.frailty_credibility:.0%} of the weight"
        )
    if ev.trend_factor > 1.0:
        out.append(f"a rising trend carries forward: next year's rates × {ev.trend_factor:.2f}")
    out.append("every ticket counts as one incident of the device it names")
    out += assumptions(devices)
    return out


@dataclass(frozen=True)
class Run:
    """Everything a report was computed from, and the explanations."""

    estate: Estate
    client: ClientParams
    params: ModelParams
    sim: Simulation
    comparison: Comparison
    evidence: Evidence
    settings: Settings
    hybrid: HybridComparison | None
    contract: ContractView | None
    bars: list[TornadoBar] | None


def run(
    data: ClientData,
    events: Sequence[Any],
    overrides: Overrides,
    trials: int,
    seed: int,
    now: float,
    with_tornado: bool = False,
) -> Run:
    settings = resolve(data.service, overrides)
    client = client_params(settings)
    today = datetime.fromtimestamp(now, data.tz).date()
    base = estate_from_inventory(data.devices, today)
    estate = Estate(base.devices, base.edges, with_fees(base.profiles, settings.device_fees))
    ev = evidence(
        data.devices,
        estate.devices,
        estate.profiles,
        events,
        now,
        observed_from(data.service, data.created_at, data.tz),
        data.tz,
        client.schedule,
        settings.tolerance.value,
        settings.users,
        data.end_of_support,
    )
    if ev.events == 0 and ev.months < 1:
        priors = Priors()
    else:
        priors = Priors(frailty=Fixed(1.0), class_rates=ev.class_rates)
    params = ModelParams(rates=settings.rates, priors=priors)
    # break-fix and managed come out of the hybrid run exactly as from a plain one (same seed)
    sim, hybrid = hybrid_plan(estate, client, params, trials, seed)
    contract = three_year(
        estate, client, params, trials, seed, managed=hybrid.devices, first_year=sim
    )
    bars = None
    if with_tornado:
        bars = tornado(estate, client, params, min(trials, TORNADO_TRIALS), seed)
    return Run(
        estate, client, params, sim, compare(sim, client), ev, settings, hybrid, contract, bars
    )


def _drivers_doc(r: Run) -> list[dict[str, Any]]:
    return [
        {
            "component": d.component,
            "name": d.name,
            "amount": round(d.delta, 2),
            "break_fix": round(d.bf, 2),
            "managed": round(d.ms, 2),
            "share_of_break_fix_downtime": None if d.share is None else round(d.share, 4),
            "text": d.explanation,
        }
        for d in drivers(r.sim, r.estate, r.client)[:TOP_DRIVERS]
    ]


def _hybrid_doc(h: HybridComparison | None) -> dict[str, Any] | None:
    if h is None:
        return None
    return {
        "devices": list(h.devices),
        "summary": _summary(h.hybrid),
        "annual_fee": round(h.annual_fee, 2),
        "saves_vs_break_fix": round(h.delta_vs_bf, 2),
        "saves_vs_break_fix_se": round(h.delta_vs_bf_se, 2),
        "saves_vs_managed": round(h.delta_vs_ms, 2),
        "saves_vs_managed_se": round(h.delta_vs_ms_se, 2),
        "p_cheapest": {k: round(v, 4) for k, v in h.p_cheapest.items()},
        "best": h.best,
    }


def _contract_doc(c: ContractView | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "years": [
            {
                "year": y.year,
                "break_fix": round(y.bf_mean, 2),
                "managed": round(y.ms_mean, 2),
                "hybrid": None if y.hybrid_mean is None else round(y.hybrid_mean, 2),
                "delta": round(y.delta_mean, 2),
                "delta_se": round(y.delta_se, 2),
            }
            for y in c.years
        ],
        "break_fix_total": round(c.bf_total, 2),
        "managed_total": round(c.ms_total, 2),
        "hybrid_total": None if c.hybrid_total is None else round(c.hybrid_total, 2),
        "delta_total": round(c.delta_total, 2),
        "delta_se": round(c.delta_se, 2),
        "p_managed_cheaper": round(c.p_ms_cheaper, 4),
    }


def _tornado_doc(bars: list[TornadoBar] | None) -> list[dict[str, Any]] | None:
    if bars is None:
        return None
    return [
        {
            "name": b.name,
            "label": b.label,
            "unit": b.unit,
            "low": b.low,
            "high": b.high,
            "base": b.base,
            "delta_low": round(b.delta_low, 2),
            "delta_high": round(b.delta_high, 2),
            "delta_base": round(b.delta_base, 2),
            "swing": round(b.swing, 2),
            "flip": None if b.flip is None else round(b.flip, 4),
            "flip_exact": b.flip_exact,
        }
        for b in bars
    ]


def _reason(r: Run) -> str:
    """The verdict's reason; a borderline one names the hybrid worth considering."""
    reason = r.comparison.reason
    h = r.hybrid
    if r.comparison.verdict != "borderline":
        return reason
    partial = h is not None and 0 < len(h.devices) < len(r.estate.devices)
    if not partial:
        cmp = r.comparison
        return (
            f"too close to call: managed saves {cmp.delta_mean:,.0f} ± {cmp.delta_se:,.0f} a "
            "year; no subset of devices does better on its own (the tornado shows which "
            "inputs matter)"
        )
    if h is not None:
        shown = ", ".join(h.devices[:6]) + (" ..." if len(h.devices) > 6 else "")
        reason = (
            f"too close to call; managing only {shown} (the high-blast-radius devices) "
            f"saves {h.delta_vs_bf:,.0f} a year against break-fix"
        )
    return reason


def document(data: ClientData, r: Run) -> dict[str, Any]:
    cmp, s = r.comparison, r.settings
    be_cost = cmp.break_even_cost_per_hour
    return {
        "client": data.key,
        "name": data.name,
        "plan": s.plan,
        "verdict": cmp.verdict,
        "reason": _reason(r),
        "switch_verdict": r.evidence.verdict,
        "inputs": {
            "downtime_cost_per_hour": round(s.downtime_cost.value, 2),
            "downtime_cost_source": s.downtime_cost.source,
            "downtime_cost_detail": s.downtime_cost.detail,
            "hours": s.hours,
            "hours_label": HOURS[s.hours],
            "tolerance_hours": s.tolerance.value,
            "trials": r.sim.n_trials,
            "seed": r.sim.seed,
            "devices": len(data.devices),
        },
        "devices_by_class": dict(class_counts(r.estate)),
        "break_fix": _summary(cmp.bf),
        "managed": _summary(cmp.ms),
        "delta": {
            "mean": round(cmp.delta_mean, 2),
            "se": round(cmp.delta_se, 2),
            "p_managed_cheaper": round(cmp.p_ms_cheaper, 4),
        },
        "break_even": {
            "downtime_cost_per_hour": None if be_cost is None else round(be_cost, 2),
            "monthly_fee": round(cmp.break_even_monthly_fee, 2),
        },
        "signals": _signals_doc(r.evidence),
        "calibration": _calibration_doc(r.evidence),
        "history": _history_doc(r.evidence, data.tz),
        "plots": {
            "histogram": _histogram(r.sim, r.client.cost_per_hour),
            "delta_vs_cost": _delta_line(r.sim, r.client.cost_per_hour, be_cost),
        },
        "drivers": _drivers_doc(r),
        "hybrid": _hybrid_doc(r.hybrid),
        "three_year": _contract_doc(r.contract),
        "tornado": _tornado_doc(r.bars),
        "assumptions": _assumed(s, r.evidence, data.devices),
    }


def advise(
    session: Session,
    key: str,
    overrides: Overrides,
    trials: int = DEFAULT_TRIALS,
    seed: int = DEFAULT_SEED,
    now: float | None = None,
    client_ids: Sequence[int] | None = None,
    with_tornado: bool = False,
) -> dict[str, Any]:
    """The report for one client. Raises NotFound, PlanInputError (bad settings or inventory)."""
    import time

    now = time.time() if now is None else now
    data, client_id = load_client(session, key, client_ids)
    if not data.devices:
        from sitekeeper.plan import PlanInputError

        raise PlanInputError(f"client {key!r} has no devices; add some to its inventory first")
    events = load_history(session, client_id, now - CALIBRATION_MONTHS * MONTH_D * DAY_S)
    return document(data, run(data, events, overrides, trials, seed, now, with_tornado))
