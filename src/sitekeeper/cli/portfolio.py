"""`sitekeeper portfolio`: which clients show the signs of outgrowing break-fix."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from sitekeeper.cli.common import console, fail, handle_errors, open_store, print_json

VERDICT_STYLE = {"outgrown break-fix": "red", "watch": "yellow", "break-fix still fits": "green"}


@handle_errors
def portfolio(
    all_plans: Annotated[
        bool, typer.Option("--all-plans", help="Managed clients too (default: break-fix, hybrid).")
    ] = False,
    json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Break-fix clients, worst first, with the signs of outgrowing break-fix each shows
    (rising incidents, recurrence, disruption, delayed updates) from their own history."""
    try:
        from sitekeeper.advisor.portfolio import portfolio as signs
    except ModuleNotFoundError as err:
        fail(f"the advisor needs numpy ({err.name} is missing): pip install 'sitekeeper[plan]'")
    store = open_store()
    try:
        with store.session() as session:
            rows = signs(session, plans=() if all_plans else ("break-fix", "hybrid"))
    finally:
        store.close()
    if json:
        print_json({"clients": [dataclasses.asdict(r) for r in rows]})
        return
    if not rows:
        console.print(
            "No break-fix clients: set `service: {plan: break-fix}` on a client in its "
            "inventory, or use --all-plans."
        )
        return
    table = Table(header_style="bold", title="Signs of outgrowing break-fix")
    for col in ("client", "plan", "devices", "tickets (36 m)", "verdict", "red", "amber"):
        table.add_column(col)
    for r in rows:
        style = VERDICT_STYLE.get(r.verdict, "dim")
        table.add_row(
            escape(r.client),
            r.plan,
            str(r.devices),
            str(r.events),
            f"[{style}]{escape(r.verdict)}[/]",
            escape(", ".join(r.red) or "—"),
            escape(", ".join(r.amber) or "—"),
        )
    console.print(table)
    console.print("Details and the cost comparison: `sitekeeper advise CLIENT`")
