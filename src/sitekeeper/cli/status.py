"""`sitekeeper status`: what is wrong right now, problems first."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from sitekeeper.cli.common import console, handle_errors, iso, open_store, print_json


@handle_errors
def status(
    client: Annotated[str | None, typer.Option(help="Only this client (its id).")] = None,
    all_devices: Annotated[
        bool, typer.Option("--all", "-a", help="Show every device, not only problems.")
    ] = False,
    json: Annotated[
        bool, typer.Option("--json", help="Machine-readable output (all devices).")
    ] = False,
) -> None:
    """Show current problems (devices down, degraded, unknown; checks failing or flapping).

    Reads the store, so it works while `sitekeeper up` runs in another terminal.
    Exit code 0 when nothing is wrong, 3 when there are problems (for scripts and cron).
    """
    from sqlalchemy import func, select

    from sitekeeper.cli.render import status_view
    from sitekeeper.db import models as m
    from sitekeeper.errors import NotFound
    from sitekeeper.results.queries import device_views, last_result_at

    now = time.time()
    store = open_store()
    try:
        with store.session() as session:
            if client and session.scalar(select(m.Client.id).where(m.Client.key == client)) is None:
                known = ", ".join(session.scalars(select(m.Client.key).order_by(m.Client.key)))
                raise NotFound(f"no client {client!r}; known clients: {known or 'none'}")
            views = device_views(session, client=client, now=now)
            last = last_result_at(session)
            open_incidents = (
                session.scalar(
                    select(func.count())
                    .select_from(m.Incident)
                    .where(m.Incident.resolved_at.is_(None))
                )
                or 0
            )
    finally:
        store.close()
    problems = [v for v in views if v.is_problem]
    if json:
        print_json(
            {
                "last_result_at": iso(last),
                "devices": len(views),
                "problems": len(problems),
                "open_incidents": open_incidents,
                "items": [{**v.as_dict(), "since": iso(v.since)} for v in views],
            }
        )
    else:
        if not views:
            console.print(
                "No devices yet. Apply an inventory: [bold]sitekeeper inventory apply FILE[/]"
            )
        else:
            console.print(
                status_view(views, last, now, show_all=all_devices, wide=console.width >= 110)
            )
            if open_incidents:
                plural = "s" if open_incidents != 1 else ""
                console.print(
                    f"[bold red]{open_incidents} open incident{plural}[/] — see `sitekeeper incidents`"
                )
    if problems:
        raise typer.Exit(3)
