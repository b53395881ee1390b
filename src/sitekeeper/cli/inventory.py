"""`sitekeeper inventory validate|apply|export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from sitekeeper.cli.common import console, handle_errors, open_store, print_json
from sitekeeper.clock import SystemClock
from sitekeeper.errors import InventoryError
from sitekeeper.inventory.validate import load_inventory

app = typer.Typer(
    help="Inventory as code: validate, apply and export clients, sites and devices.",
    no_args_is_help=True,
)

FileArg = Annotated[Path, typer.Argument(help="Inventory YAML file.", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


@app.command()
@handle_errors
def validate(file: FileArg, json: JsonOpt = False) -> None:
    """Check FILE without changing anything; list every problem with file and line.

    Exit code 0 when valid, 2 when not.
    """
    try:
        valid = load_inventory(file)
    except InventoryError as err:
        if json:
            print_json({"valid": False, "problems": [p.as_dict() for p in err.problems]})
            raise typer.Exit(2) from None
        raise
    checks = sum(len(c) for c in valid.checks.values())
    if json:
        print_json(
            {
                "valid": True,
                "clients": len(valid.inventory.clients),
                "devices": valid.device_count(),
                "checks": checks,
            }
        )
        return
    console.print(
        f"[green]valid[/]: {len(valid.inventory.clients)} client(s), "
        f"{valid.device_count()} device(s), {checks} check(s)"
    )


@app.command()
@handle_errors
def apply(
    file: FileArg,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; change nothing.")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Validate FILE whole, then make the store match it.

    Idempotent: applying the same file twice changes nothing. Devices that are no longer in
    the file are retired (kept for history, no longer checked). Clients that are not in the
    file are left alone, so each client may have its own file. A running `sitekeeper up`
    picks the changes up within seconds.
    """
    from sitekeeper.inventory.apply import apply_inventory

    valid = load_inventory(file)
    store = open_store()
    try:
        with store.session() as session:
            report = apply_inventory(session, valid, SystemClock().now(), dry_run=dry_run)
            if dry_run:
                session.rollback()
            else:
                session.commit()
    finally:
        store.close()
    if json:
        print_json({"dry_run": dry_run, **report.as_dict()})
        return
    verb = "would be" if dry_run else ""
    c = report
    console.print(
        f"{'[yellow]dry run[/]: ' if dry_run else ''}"
        f"{len(c.added)} added, {len(c.changed)} changed, {len(c.retired)} retired, "
        f"{c.unchanged} unchanged {verb}".rstrip()
        + f"; checks: +{c.checks_added} ~{c.checks_changed} -{c.checks_retired}"
    )
    for label, items, colour in (
        ("added", c.added, "green"),
        ("changed", c.changed, "yellow"),
        ("retired", c.retired, "red"),
    ):
        for item in items:
            console.print(f"  [{colour}]{label:8}[/] {escape(item)}")


@app.command()
@handle_errors
def export(
    client: Annotated[str | None, typer.Option(help="Only this client (its id).")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to a file instead of stdout.")
    ] = None,
) -> None:
    """Write the active inventory (as applied) as YAML; `apply` on it changes nothing."""
    from sitekeeper.inventory.export import export_yaml

    store = open_store()
    try:
        with store.session() as session:
            text = export_yaml(session, client)
    finally:
        store.close()
    if output:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")
    else:
        typer.echo(text, nl=False)
