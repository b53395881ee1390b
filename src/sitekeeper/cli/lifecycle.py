"""`sitekeeper lifecycle CLIENT`: every device's age, support and expected life, and the
replacement plan and budget per year (docs/lifecycle.md).

Reads the client's current devices, their `lifecycle:` blocks, the incidents rooted at each and
the imported tickets naming each in the last 12 months and the projectors' last lamp-hours reading from the store, and hands them
to the pure planner (`sitekeeper.plan.lifecycle`).
"""

from __future__ import annotations

import csv
import math
import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer
from rich.markup import escape
from rich.table import Table

from sitekeeper.cli.common import (
    EXIT_INVALID,
    client_row,
    console,
    fail,
    handle_errors,
    open_store,
    print_json,
)

if TYPE_CHECKING:
    from sitekeeper.plan.lifecycle import Assessment, LifecycleDevice, Plan

CSV_COLUMNS = ("year", "client", "device", "kind", "what", "why", "cost", "cost_assumed")
YEAR_S = 365 * 86400.0
HEALTH_STYLE = {"ok": "green", "watch": "yellow", "poor": "red"}


def _client_id(session: Any, client: str) -> int:
    return int(client_row(session, client).id)


def _incident_counts(session: Any, cid: int, since: float) -> dict[int, int]:
    from sqlalchemy import func, select

    from sitekeeper.db import models as m

    rows = session.execute(
        select(m.Incident.root_device_id, func.count())
        .where(m.Incident.client_id == cid, m.Incident.opened_at >= since)
        .group_by(m.Incident.root_device_id)
    ).all()
    counts = {int(dev): int(n) for dev, n in rows}
    # imported tickets (`sitekeeper history import`) that name the device count too
    tickets = session.execute(
        select(m.Device.id, func.count())
        .join(
            m.TicketHistory,
            (m.TicketHistory.client_id == m.Device.client_id)
            & (m.TicketHistory.device_key == m.Device.key),
        )
        .where(m.Device.client_id == cid, m.TicketHistory.opened_at >= since)
        .group_by(m.Device.id)
    ).all()
    for dev, n in tickets:
        counts[int(dev)] = counts.get(int(dev), 0) + int(n)
    return counts


def _lamp_hours(session: Any, device_ids: list[int]) -> dict[int, float]:
    """The highest lamp-hours value in each projector's latest check results."""
    from sqlalchemy import select

    from sitekeeper.db import models as m

    if not device_ids:
        return {}
    rows = session.execute(
        select(m.Check.device_id, m.CheckState.values)
        .join(m.CheckState, m.CheckState.check_id == m.Check.id)
        .where(m.Check.device_id.in_(device_ids), m.Check.retired_at.is_(None))
    ).all()
    out: dict[int, float] = {}
    for dev, values in rows:
        hours = (values or {}).get("lamp_hours")
        if isinstance(hours, int | float) and math.isfinite(hours) and hours >= 0:
            out[dev] = max(out.get(dev, 0.0), float(hours))
    return out


def _devices(client: str) -> list[LifecycleDevice]:
    from pydantic import ValidationError
    from sqlalchemy import select

    from sitekeeper.db import models as m
    from sitekeeper.inventory.models import Lifecycle
    from sitekeeper.plan.lifecycle import LifecycleDevice

    store = open_store()
    try:
        with store.session() as session:
            cid = _client_id(session, client)
            rows = session.scalars(
                select(m.Device)
                .where(m.Device.client_id == cid, m.Device.retired_at.is_(None))
                .order_by(m.Device.key)
            ).all()
            incidents = _incident_counts(session, cid, time.time() - YEAR_S)
            lamps = _lamp_hours(session, [r.id for r in rows if r.kind == "projector"])
            out = []
            for r in rows:
                try:
                    lc = Lifecycle.model_validate((r.entry or {}).get("lifecycle") or {})
                except ValidationError as err:
                    fail(
                        f"device {r.key!r}: its stored lifecycle block is invalid "
                        f"({err.errors()[0]['msg']}); fix it in the inventory file and apply "
                        "it again"
                    )
                out.append(
                    LifecycleDevice(
                        key=r.key,
                        kind=r.kind,
                        name=r.name,
                        vendor=r.vendor,
                        model=r.model,
                        installed=r.installed,
                        warranty_end=r.warranty_end,
                        end_of_support=lc.end_of_support,
                        replacement_cost=lc.replacement_cost,
                        replace_by=lc.replace_by,
                        usage_hours_per_year=lc.usage_hours_per_year,
                        ambient_c=lc.ambient_c,
                        note=lc.note,
                        lamp_hours=lamps.get(r.id),
                        incidents_12m=incidents.get(r.id, 0),
                    )
                )
            return out
    finally:
        store.close()


def _device_dict(a: Assessment) -> dict[str, Any]:
    return {
        "device": a.key,
        "kind": a.kind,
        "class": a.device_class,
        "age_y": round(a.age_y, 2),
        "age_assumed": a.age_assumed,
        "warranty_end": a.warranty_end,
        "warranty": a.warranty,
        "end_of_support": a.end_of_support,
        "support": a.support,
        "life_of": a.life_of,
        "remaining_life_y": None
        if math.isinf(a.remaining_life_y)
        else round(a.remaining_life_y, 2),
        "p_fail_12m": round(a.p_fail_12m, 4),
        "incidents_12m": a.incidents_12m,
        "health": a.health,
        "action": a.action,
        "suggested_year": a.suggested_year,
        "due": a.due,
        "reason": a.reason,
        "cost": a.cost,
        "cost_assumed": a.cost_assumed,
    }


def _document(client: str, today: date, plan: Plan) -> dict[str, Any]:
    return {
        "client": client,
        "today": today,
        "years": list(plan.year_range),
        "devices": [_device_dict(a) for a in plan.devices],
        "plan": [
            {
                "year": line.year,
                "due": line.due,
                "device": line.device,
                "kind": line.kind,
                "what": line.what,
                "why": line.why,
                "cost": round(line.cost, 2),
                "cost_assumed": line.cost_assumed,
            }
            for line in plan.lines
        ],
        "totals": {str(y): round(v, 2) for y, v in plan.totals().items()},
        "assumed_totals": {str(y): round(v, 2) for y, v in plan.assumed_totals().items()},
        "total": round(plan.total, 2),
        "assumptions": list(plan.assumptions),
    }


def write_csv(out: TextIO, client: str, plan: Plan) -> None:
    """The plan's lines, one a row, under the CSV_COLUMNS header."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in plan.lines:
        writer.writerow(
            (
                line.year,
                client,
                line.device,
                line.kind,
                line.what,
                line.why,
                f"{line.cost:.2f}",
                "true" if line.cost_assumed else "false",
            )
        )


def _dated(when: date | None, status: str) -> str:
    return "—" if when is None else f"{when:%Y-%m} {status}"


def _devices_table(plan: Plan) -> Table:
    table = Table(title="Devices", header_style="bold", title_justify="left")
    # short cells stay on one line, so the reason gets what width is left
    table.add_column("device", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("age", justify="right", no_wrap=True)
    table.add_column("warranty")
    table.add_column("end of support")
    table.add_column("remaining life", justify="right")
    table.add_column("P(fail 12 m)", justify="right")
    table.add_column("health", no_wrap=True)
    table.add_column("suggested", no_wrap=True)
    table.add_column("reason")
    for a in plan.devices:
        life = "—" if math.isinf(a.remaining_life_y) else f"{a.remaining_life_y:.1f} y"
        if a.life_of != "unit":
            life += f" ({a.life_of})"
        health = f"[{HEALTH_STYLE[a.health]}]{a.health}[/]"
        if a.incidents_12m:
            health += f" ({a.incidents_12m})"
        suggested = "keep" if a.suggested_year is None else f"{a.suggested_year} {a.action}"
        table.add_row(
            escape(a.key),
            a.kind,
            f"{a.age_y:.1f} y" + ("?" if a.age_assumed else ""),
            _dated(a.warranty_end, a.warranty),
            _dated(a.end_of_support, a.support),
            life,
            f"{a.p_fail_12m:.0%}",
            health,
            suggested,
            escape(a.reason),
        )
    return table


def _plan_table(plan: Plan) -> Table:
    table = Table(title="Replacement plan", header_style="bold", title_justify="left")
    for col in ("year", "due", "device", "what", "why"):
        table.add_column(col)
    table.add_column("cost", justify="right")
    totals = plan.totals()
    for year in plan.year_range:
        lines = [x for x in plan.lines if x.year == year]
        for line in lines:
            mark = "*" if line.cost_assumed else ""
            table.add_row(
                str(year),
                f"{line.due:%Y-%m}",
                escape(line.device),
                escape(line.what),
                escape(line.why),
                f"{line.cost:,.0f}{mark}",
            )
        if not lines:
            table.add_row(str(year), "", "", "nothing due", "", "0")
        table.add_row("", "", "", "", f"[bold]total {year}[/]", f"[bold]{totals[year]:,.0f}[/]")
        table.add_section()
    return table


def _print(client: str, plan: Plan) -> None:
    span = f"{plan.start_year}–{plan.start_year + plan.years - 1}"
    console.print(
        f"[bold]{escape(client)}[/]: {len(plan.devices)} devices, replacement plan {span}"
    )
    if not plan.devices:
        console.print("no devices in this client's inventory; nothing to plan")
        return
    console.print(_devices_table(plan))
    console.print(_plan_table(plan))
    assumed = sum(plan.assumed_totals().values())
    console.print(
        f"Total {span}: [bold]{plan.total:,.0f}[/] ({assumed:,.0f} of it at typical prices, "
        "marked *; set lifecycle.replacement_cost in the inventory to use yours)",
        highlight=False,
    )
    if plan.assumptions:
        console.print("[bold]Assumed[/] (docs/lifecycle.md):")
        for line in plan.assumptions:
            console.print(f"  - {escape(line)}", highlight=False)


def _write_csv_file(path: str, client: str, plan: Plan) -> None:
    try:
        with Path(path).open("w", encoding="utf-8", newline="") as fh:
            write_csv(fh, client, plan)
    except OSError as err:
        fail(f"cannot write the plan to {path}: {err.strerror or err}", code=EXIT_INVALID)


@handle_errors
def lifecycle(
    client: Annotated[str, typer.Argument(help="The client's id (as in the inventory file).")],
    years: Annotated[
        int, typer.Option(min=1, max=50, help="Calendar years to plan, this one first.")
    ] = 5,
    csv_out: Annotated[
        str | None,
        typer.Option("--csv", metavar="FILE|-", help="Write the plan lines as CSV; - for stdout."),
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Age, warranty, end of support and expected life of CLIENT's devices, and the replacement
    plan and budget per year (what, when, why, cost).

    Edit the plan in the inventory file: each device's `lifecycle:` block (end_of_support,
    replacement_cost, replace_by, usage_hours_per_year, ambient_c). Exit code 2 for an unknown
    client or invalid input."""
    if csv_out == "-" and json:
        fail("--csv - and --json both write to standard output; choose one", code=EXIT_INVALID)
    try:
        from sitekeeper.plan.errors import PlanInputError
        from sitekeeper.plan.lifecycle import replacement_plan
    except ModuleNotFoundError as err:
        fail(f"the planner needs numpy ({err.name} is missing): pip install 'sitekeeper[plan]'")
    devices = _devices(client)
    today = date.today()
    try:
        plan = replacement_plan(devices, today, years)
    except PlanInputError as err:
        fail(str(err), code=EXIT_INVALID)
    if csv_out == "-":
        write_csv(sys.stdout, client, plan)
        return
    if csv_out is not None:
        _write_csv_file(csv_out, client, plan)
    if json:
        print_json(_document(client, today, plan))
    else:
        _print(client, plan)
    if csv_out is not None and not json:
        console.print(f"wrote {len(plan.lines)} plan lines to {escape(csv_out)}")
