"""`sitekeeper history import CLIENT FILE.csv` and `sitekeeper history list CLIENT`.

Past support tickets of a client — from a break-fix PSA, a spreadsheet, the previous
provider — so the advisor can calibrate on them and judge the signs of outgrowing break-fix
from day one. The columns are in docs/advisor.md; nothing is stored unless every row is valid.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

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

app = typer.Typer(
    help="A client's past support tickets, for the advisor: import a CSV, list what is there.",
    no_args_is_help=True,
)


def _client(session: Any, key: str) -> tuple[int, str]:
    """The client's id and its first site's time zone (UTC when it has no site)."""
    from sqlalchemy import select

    from sitekeeper.db import models as m

    row = client_row(session, key)
    tz = session.scalar(
        select(m.Site.timezone).where(m.Site.client_id == row.id).order_by(m.Site.id).limit(1)
    )
    return row.id, tz or "UTC"


@app.command("import")
@handle_errors
def import_(
    client: Annotated[str, typer.Argument(help="The client's id (as in the inventory file).")],
    file: Annotated[str, typer.Argument(help="The CSV file, or - for standard input.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the file and say what would change.")
    ] = False,
    json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Import past tickets from a CSV (header: ref, opened, restored, device, root_cause,
    impact, labour_hours, billed, after_hours, summary; ref and opened are required).

    Re-importing a file updates the tickets by `ref`; nothing is duplicated. Exit code 2 when
    the file is invalid: every problem is listed with its line, and nothing is stored."""
    import zoneinfo

    from sqlalchemy import select

    from sitekeeper.advisor.history import import_tickets
    from sitekeeper.advisor.tickets_csv import TicketImportError, parse_tickets
    from sitekeeper.db import models as m

    if file == "-":
        text, source = sys.stdin.read(), "standard input"
    else:
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            fail(f"cannot read {file}: {err}", code=EXIT_INVALID)
        source = file
    now = time.time()
    store = open_store()
    try:
        with store.session() as session:
            client_id, tz = _client(session, client)
            try:
                rows = parse_tickets(text, source, zoneinfo.ZoneInfo(tz), now)
            except TicketImportError as err:
                fail(str(err), code=EXIT_INVALID)
            keys = set(session.scalars(select(m.Device.key).where(m.Device.client_id == client_id)))
            report = import_tickets(session, client_id, rows, keys, now)
            if dry_run:
                session.rollback()
            else:
                session.add(
                    m.Audit(
                        at=now,
                        actor="cli",
                        action="history.import",
                        client_id=client_id,
                        detail={"source": source, "added": report.added, "updated": report.updated},
                    )
                )
                session.commit()
    finally:
        store.close()
    from sitekeeper.advisor.evidence import CALIBRATION_MONTHS, DAY_S, MONTH_D

    horizon = now - CALIBRATION_MONTHS * MONTH_D * DAY_S
    older = sum(1 for r in rows if r.opened_at < horizon)
    doc = {
        "client": client,
        "rows": len(rows),
        "older_than_advisor_reads": older,
        "added": report.added,
        "updated": report.updated,
        "unchanged": len(rows) - report.added - report.updated,
        "unknown_devices": list(report.unknown_devices),
        "dry_run": dry_run,
    }
    if json:
        print_json(doc)
        return
    verb = "would add" if dry_run else "added"
    console.print(
        f"{escape(client)}: {len(rows)} tickets read; {verb} {report.added}, "
        f"{'would update' if dry_run else 'updated'} {report.updated}, "
        f"{doc['unchanged']} unchanged",
        highlight=False,
    )
    if older:
        console.print(
            f"[yellow]note:[/] {older} ticket(s) are older than {CALIBRATION_MONTHS} months: "
            "kept, but the advisor reads only the last 36 months",
            highlight=False,
        )
    if report.unknown_devices:
        console.print(
            "[yellow]note:[/] device ids not in the inventory (kept, counted for the client "
            f"as a whole): {escape(', '.join(report.unknown_devices))}",
            highlight=False,
        )


@app.command("list")
@handle_errors
def list_(
    client: Annotated[str, typer.Argument(help="The client's id.")],
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="Newest N tickets.")] = 50,
    json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The client's imported tickets and recorded incidents, newest first."""
    import zoneinfo

    from sitekeeper.advisor.history import load_history

    store = open_store()
    try:
        with store.session() as session:
            client_id, tz_name = _client(session, client)
            events = load_history(session, client_id, 0.0)
        tz = zoneinfo.ZoneInfo(tz_name)
    finally:
        store.close()
    newest = list(reversed(events))[:limit]
    rows = [
        {
            "ref": e.ref,
            "source": e.source,
            "opened_at": e.opened_at,
            "restored_at": e.restored_at,
            "device": e.device,
            "root_cause": e.root_cause,
            "impact": e.impact,
        }
        for e in newest
    ]
    if json:
        print_json({"client": client, "total": len(events), "events": rows})
        return
    table = Table(
        header_style="bold",
        title=f"{client}: {len(events)} tickets and incidents (times in {tz_name})",
    )
    for col in ("opened", "hours", "device", "cause", "impact", "ref"):
        table.add_column(col)
    for e in newest:
        hours = f"{(e.restored_at - e.opened_at) / 3600:.1f}" if e.restored_at is not None else "—"
        table.add_row(
            datetime.fromtimestamp(e.opened_at, tz).strftime("%Y-%m-%d %H:%M"),
            hours,
            escape(e.device or "—"),
            escape(e.root_cause or "—"),
            "—" if e.impact is None else f"{e.impact:.2f}",
            escape(e.ref),
        )
    console.print(table)
