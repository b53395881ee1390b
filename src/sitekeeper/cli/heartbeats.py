"""`sitekeeper heartbeats list`: each heartbeat check's ping URL, last ping and status."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from sitekeeper.cli.common import console, handle_errors, iso, open_store, print_json, settings

app = typer.Typer(
    help="Heartbeat checks: the URL each job pings (`curl -fsS URL`), its last ping, its status.",
    no_args_is_help=True,
)


def _rows(base_url: str) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from sitekeeper.db import models as m
    from sitekeeper.results.passive import heartbeat_rows

    store = open_store()
    try:
        with store.session() as session:
            rows = heartbeat_rows(session)
            ids = [r.check_id for r in rows]
            found = session.scalars(select(m.CheckState).where(m.CheckState.check_id.in_(ids)))
            states = {s.check_id: s for s in found}
    finally:
        store.close()
    out = []
    for r in rows:
        state = states.get(r.check_id)
        out.append(
            {
                "client": r.client,
                "device": r.device,
                "check": r.check,
                "url": f"{base_url}{r.path}",
                "last_ping_at": r.last_ping.at if r.last_ping else None,
                "last_ping_kind": r.last_ping.kind.value if r.last_ping else None,
                "pings": r.pings,
                "status": state.status if state else "UNKNOWN",
                "reason": state.reason if state else "not judged yet (is `sitekeeper up` running?)",
            }
        )
    return out


@app.command("list")
@handle_errors
def list_(
    json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Every active heartbeat check with the URL its job pings.

    URLs start with SITEKEEPER_PUBLIC_URL (how jobs reach this server), else the listen
    address. The token in a URL is its only credential: treat it like a password."""
    cfg = settings()
    base = (cfg.public_url or f"http://{cfg.listen}").rstrip("/")
    rows = _rows(base)
    if json:
        print_json(rows)
        return
    if not rows:
        console.print("no heartbeat checks; add `{type: heartbeat, period: 1d}` to a device")
        return
    table = Table("device", "check", "ping URL", "last ping", "status")
    for r in rows:
        last = f"{iso(r['last_ping_at'])} ({r['last_ping_kind']})" if r["last_ping_at"] else "never"
        status = f"{r['status']}: {r['reason']}" if r["reason"] else r["status"]
        table.add_row(
            escape(f"{r['client']}/{r['device']}"),
            escape(r["check"]),
            escape(r["url"]),
            last,
            escape(status),
        )
    console.print(table)
