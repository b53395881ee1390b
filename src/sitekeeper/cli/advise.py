"""`sitekeeper advise CLIENT`: managed support or break-fix, for one client's inventory.

Reads the client's devices from the store, maps them to the advisor model
(`sitekeeper.plan.from_inventory`), simulates both support models on common random numbers
and prints the verdict, the numbers behind it and what was assumed (docs/advisor.md).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from sitekeeper.cli.common import EXIT_INVALID, console, fail, handle_errors, open_store, print_json

if TYPE_CHECKING:
    from sitekeeper.plan import Comparison, Schedule
    from sitekeeper.plan.from_inventory import InventoryDevice

DEFAULT_SEED = 20240601
DEFAULT_TRIALS = 10_000
DEFAULT_TOLERANCE_H = 8.0  # the model's default τ_out
COMPONENTS = ("fee", "labour", "hardware", "downtime", "security")


class Hours(StrEnum):
    """Business-hours presets the model's schedule supports."""

    OFFICE = "office"  # Mon–Fri 09:00–17:00
    ALWAYS = "24x7"  # every hour counts: homes, hospitality, some AV


def _schedule(hours: Hours) -> tuple[Schedule, str]:
    from sitekeeper.plan import Schedule

    if hours is Hours.ALWAYS:
        return Schedule.always(), "24/7"
    return Schedule.weekdays(9, 17), "Mon–Fri 09:00–17:00"


NO_COST = (
    "--downtime-cost is required: what one hour with the whole site down costs the client. "
    "The usual estimate is staff × loaded cost per hour × share of work lost, plus revenue "
    "not recovered (a 25-person office at 35/h losing 75% of its work: about 660/h); for a "
    "home, what they would pay to have it back in an hour instead of tomorrow"
)


def _devices(client: str) -> list[InventoryDevice]:
    from sqlalchemy import select

    from sitekeeper.db import models as m
    from sitekeeper.plan.from_inventory import InventoryDevice

    store = open_store()
    try:
        with store.session() as session:
            cid = session.scalar(select(m.Client.id).where(m.Client.key == client))
            if cid is None:
                known = session.scalars(select(m.Client.key).order_by(m.Client.key)).all()
                hint = f" (known: {', '.join(known)})" if known else ""
                fail(
                    f"no client {client!r} in the store{hint}; add it with "
                    "`sitekeeper inventory apply FILE`",
                    code=EXIT_INVALID,
                )
            rows = session.scalars(
                select(m.Device)
                .where(m.Device.client_id == cid, m.Device.retired_at.is_(None))
                .order_by(m.Device.key)
            ).all()
            return [
                InventoryDevice(
                    key=r.key,
                    kind=r.kind,
                    criticality=r.criticality,
                    installed=r.installed,
                    depends_on=tuple(r.depends_on or ()),
                    depends_mode=r.depends_mode,
                )
                for r in rows
            ]
    finally:
        store.close()


def _model_dict(s: Any) -> dict[str, Any]:
    return {
        "mean": round(s.mean, 2),
        "p50": round(s.p50, 2),
        "p90": round(s.p90, 2),
        "components": {k: round(s.components[k], 2) for k in COMPONENTS},
        "downtime_hours": round(s.downtime_hours, 3),
        "p_longest_outage_over_tolerance": round(s.p_over_tolerance, 4),
    }


def _document(
    client: str, cmp: Comparison, run: dict[str, Any], assumed: list[str], classes: Any
) -> dict[str, Any]:
    be_cost = cmp.break_even_cost_per_hour
    return {
        "client": client,
        "verdict": cmp.verdict,
        "reason": cmp.reason,
        "inputs": run,
        "devices_by_class": dict(classes),
        "break_fix": _model_dict(cmp.bf),
        "managed": _model_dict(cmp.ms),
        "delta": {
            "mean": round(cmp.delta_mean, 2),
            "se": round(cmp.delta_se, 2),
            "p_managed_cheaper": round(cmp.p_ms_cheaper, 4),
        },
        "break_even": {
            "downtime_cost_per_hour": None if be_cost is None else round(be_cost, 2),
            "monthly_fee": round(cmp.break_even_monthly_fee, 2),
        },
        "assumptions": assumed,
    }


def _headline(doc: dict[str, Any]) -> str:
    d, tol = doc["delta"], doc["inputs"]["tolerance_hours"]
    saver = "Managed" if d["mean"] >= 0 else "Break-fix"
    bf = doc["break_fix"]["p_longest_outage_over_tolerance"]
    ms = doc["managed"]["p_longest_outage_over_tolerance"]
    return (
        f"{saver} is expected to save {abs(d['mean']):,.0f}/yr (±{d['se']:,.0f}); managed is "
        f"cheaper in {d['p_managed_cheaper']:.0%} of simulated years; break-fix exceeds your "
        f"{tol:g} h outage tolerance in {bf:.0%} of years versus {ms:.0%} under managed."
    )


def _print(doc: dict[str, Any]) -> None:
    colour = {"managed": "green", "break-fix": "cyan", "borderline": "yellow"}[doc["verdict"]]
    console.print(f"[bold]{escape(doc['client'])}[/]: [bold {colour}]{doc['verdict']}[/]")
    console.print(escape(_headline(doc)), highlight=False)
    console.print(f"Why: {escape(doc['reason'])}", highlight=False)
    table = Table(header_style="bold")
    table.add_column("per year")
    table.add_column("break-fix", justify="right")
    table.add_column("managed", justify="right")
    bf, ms = doc["break_fix"], doc["managed"]
    for label, key in (("mean cost", "mean"), ("P50 cost", "p50"), ("P90 cost", "p90")):
        table.add_row(label, f"{bf[key]:,.0f}", f"{ms[key]:,.0f}")
    for comp in COMPONENTS:
        table.add_row(
            f"  {comp}", f"{bf['components'][comp]:,.0f}", f"{ms['components'][comp]:,.0f}"
        )
    table.add_row("downtime hours", f"{bf['downtime_hours']:.1f}", f"{ms['downtime_hours']:.1f}")
    tol = doc["inputs"]["tolerance_hours"]
    table.add_row(
        f"P(longest outage > {tol:g} h)",
        f"{bf['p_longest_outage_over_tolerance']:.0%}",
        f"{ms['p_longest_outage_over_tolerance']:.0%}",
    )
    console.print(table)
    be = doc["break_even"]
    be_cost = be["downtime_cost_per_hour"]
    console.print(
        "What would change the answer: "
        + (
            f"a downtime cost of {be_cost:,.0f}/h"
            if be_cost is not None
            else "no positive downtime cost makes the two equal"
        )
        + f", or a managed fee of {be['monthly_fee']:,.0f}/month",
        highlight=False,
    )
    run = doc["inputs"]
    console.print("[bold]Assumed[/] (change with the options shown):")
    console.print(
        f"  - downtime cost {run['downtime_cost_per_hour']:,.0f}/h (--downtime-cost, stated); "
        f"business hours {run['hours_label']} (--hours); tolerance {tol:g} h "
        f"(--tolerance-hours); {run['trials']:,} trials, seed {run['seed']} (--trials, --seed)",
        highlight=False,
    )
    console.print(
        "  - the model's default rates, fees and priors (docs/advisor.md); no incident history "
        "is used yet",
        highlight=False,
    )
    for line in doc["assumptions"]:
        console.print(f"  - {escape(line)}", highlight=False)


@handle_errors
def advise(
    client: Annotated[str, typer.Argument(help="The client's id (as in the inventory file).")],
    downtime_cost: Annotated[
        float | None,
        typer.Option(
            "--downtime-cost",
            min=0.0,
            help="Cost of one hour with the whole site down, per hour (required).",
        ),
    ] = None,
    hours: Annotated[
        Hours, typer.Option(help="Business hours: office (Mon–Fri 9–17) or 24x7.")
    ] = Hours.OFFICE,
    tolerance_hours: Annotated[
        float,
        typer.Option(min=0.0, help="Longest acceptable single outage, in business hours."),
    ] = DEFAULT_TOLERANCE_H,
    trials: Annotated[
        int, typer.Option(min=2, max=1_000_000, help="Simulated years per support model.")
    ] = DEFAULT_TRIALS,
    seed: Annotated[
        int, typer.Option(min=0, help="Random seed; the same seed, the same numbers.")
    ] = (DEFAULT_SEED),
    json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Managed support or break-fix for CLIENT: expected annual cost of each, with the spread.

    Exit code 2 for an unknown client or invalid input."""
    if downtime_cost is None:
        fail(NO_COST, code=EXIT_INVALID)
    try:
        from sitekeeper.plan import ClientParams, ModelParams, PlanInputError, compare, simulate
        from sitekeeper.plan.from_inventory import (
            assumptions,
            class_counts,
            estate_from_inventory,
        )
    except ModuleNotFoundError as err:
        fail(f"the advisor needs numpy ({err.name} is missing): pip install 'sitekeeper[plan]'")
    devices = _devices(client)
    schedule, hours_label = _schedule(hours)
    try:
        estate = estate_from_inventory(devices, date.today())
        params = ClientParams(
            cost_per_hour=downtime_cost, schedule=schedule, tolerance_h=tolerance_hours
        )
        if json:
            sim = simulate(estate, params, ModelParams(), trials, seed)
        else:
            with console.status(f"simulating {trials:,} years of {len(devices)} devices ..."):
                sim = simulate(estate, params, ModelParams(), trials, seed)
        cmp = compare(sim, params)
    except PlanInputError as err:
        fail(str(err), code=EXIT_INVALID)
    run = {
        "downtime_cost_per_hour": downtime_cost,
        "hours": hours.value,
        "hours_label": hours_label,
        "tolerance_hours": tolerance_hours,
        "trials": trials,
        "seed": seed,
        "devices": len(devices),
    }
    doc = _document(client, cmp, run, assumptions(devices), class_counts(estate))
    if json:
        print_json(doc)
    else:
        _print(doc)
