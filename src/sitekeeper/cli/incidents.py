"""`sitekeeper incidents` and `sitekeeper incident show|ack|comment|resolve ID`."""

from __future__ import annotations

import getpass
import time
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from sitekeeper.cli.common import ago, console, handle_errors, iso, open_store, print_json
from sitekeeper.errors import NotFound

incident_app = typer.Typer(
    help="One incident: show it, acknowledge, comment, resolve by hand.", no_args_is_help=True
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
IdArg = Annotated[int, typer.Argument(help="The incident's number (see `sitekeeper incidents`).")]


def _rows(session: Any, state: str, client: str | None) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from sitekeeper.db import models as m

    stmt = select(m.Incident).order_by(m.Incident.opened_at.desc())
    if state == "open":
        stmt = stmt.where(m.Incident.resolved_at.is_(None))
    if client:
        cid = session.scalar(select(m.Client.id).where(m.Client.key == client))
        if cid is None:
            raise NotFound(f"no client {client!r}")
        stmt = stmt.where(m.Incident.client_id == cid)
    out = []
    for inc in session.scalars(stmt.limit(500)):
        root = session.get(m.Device, inc.root_device_id)
        client_row = session.get(m.Client, inc.client_id)
        keys = session.scalars(select(m.Device.key).where(m.Device.id.in_(inc.members))).all()
        out.append(
            {
                "id": inc.id,
                "client": client_row.key if client_row else "?",
                "root": root.key if root else str(inc.root_device_id),
                "state": "open" if inc.resolved_at is None else "resolved",
                "severity": inc.severity,
                "unreachable": sorted(keys),
                "services": list(inc.services),
                "opened_at": inc.opened_at,
                "resolved_at": inc.resolved_at,
                "acked": inc.acked_at is not None,
                "flapping": inc.flapping,
                "title": inc.title,
            }
        )
    return out


@handle_errors
def incidents(
    all_incidents: Annotated[bool, typer.Option("--all", "-a", help="Also resolved ones.")] = False,
    client: Annotated[str | None, typer.Option(help="Only this client (its id).")] = None,
    json: JsonOpt = False,
) -> None:
    """Open incidents, newest first: one per root cause, with what is cut off behind it.

    Exit code 0 when none are open, 3 when some are (for scripts)."""
    store = open_store()
    try:
        with store.session() as session:
            rows = _rows(session, "all" if all_incidents else "open", client)
    finally:
        store.close()
    if json:
        print_json(
            [
                {**r, "opened_at": iso(r["opened_at"]), "resolved_at": iso(r["resolved_at"])}
                for r in rows
            ]
        )
    elif not rows:
        console.print("[green]no open incidents[/]" if not all_incidents else "no incidents yet")
    else:
        now = time.time()
        table = Table(header_style="bold", expand=True)
        for col in (
            "#",
            "State",
            "Sev",
            "Client",
            "Root cause",
            "Unreachable",
            "Impacted",
            "Opened",
        ):
            table.add_column(col, overflow="fold")
        for r in rows:
            state = "[bold red]OPEN[/]" if r["state"] == "open" else "[green]resolved[/]"
            if r["acked"] and r["state"] == "open":
                state += " (acked)"
            if r["flapping"]:
                state += " [magenta]flapping[/]"
            unreachable = r["unreachable"]
            table.add_row(
                str(r["id"]),
                state,
                str(r["severity"]),
                escape(r["client"]),
                escape(r["root"]),
                f"{len(unreachable)}: {', '.join(unreachable[:6])}{' ...' if len(unreachable) > 6 else ''}"
                if unreachable
                else "—",
                escape(", ".join(r["services"])) or "—",
                ago(r["opened_at"], now),
            )
        console.print(table)
    if any(r["state"] == "open" for r in rows):
        raise typer.Exit(3)


def _act(incident_id: int, action: str, text: str = "") -> dict[str, Any]:
    from sitekeeper.clock import SystemClock
    from sitekeeper.db import models as m
    from sitekeeper.incidents import actions

    now = SystemClock().now()
    actor = f"{getpass.getuser()} (cli)"
    store = open_store()
    try:
        with store.session() as session:
            inc = session.get(m.Incident, incident_id)
            if inc is None:
                raise NotFound(f"no incident {incident_id}; see `sitekeeper incidents --all`")
            if action == "ack":
                actions.acknowledge(session, inc, actor=actor, user_id=None, now=now)
            elif action == "resolve":
                actions.resolve_by_hand(session, inc, actor=actor, user_id=None, now=now)
            else:
                actions.comment(session, inc, actor=actor, text=text, now=now)
            session.commit()
            return {"id": inc.id, "action": action}
    finally:
        store.close()


@incident_app.command("show")
@handle_errors
def show(incident_id: IdArg, json: JsonOpt = False) -> None:
    """An incident and its timeline: opened, suppressed children, notifications, acks, comments."""
    from sqlalchemy import select

    from sitekeeper.db import models as m

    store = open_store()
    try:
        with store.session() as session:
            inc = session.get(m.Incident, incident_id)
            if inc is None:
                raise NotFound(f"no incident {incident_id}; see `sitekeeper incidents --all`")
            row = next((r for r in _rows(session, "all", None) if r["id"] == incident_id), None)
            events = [
                {"at": e.at, "kind": e.kind, "actor": e.actor, "text": e.text}
                for e in session.scalars(
                    select(m.IncidentEvent)
                    .where(m.IncidentEvent.incident_id == incident_id)
                    .order_by(m.IncidentEvent.at, m.IncidentEvent.id)
                )
            ]
    finally:
        store.close()
    if json:
        print_json({**(row or {}), "timeline": [{**e, "at": iso(e["at"])} for e in events]})
        return
    assert row is not None
    console.print(
        f"[bold]#{row['id']} {escape(row['title'])}[/] — {row['state']}, severity {row['severity']}, client {escape(row['client'])}"
    )
    if row["unreachable"]:
        console.print(
            f"unreachable behind it ({len(row['unreachable'])}): {escape(', '.join(row['unreachable']))}"
        )
    if row["services"]:
        console.print(f"impacted: {escape(', '.join(row['services']))}")
    for e in events:
        console.print(
            f"  {iso(e['at'])}  {e['kind']:9} {escape(e['text'])}  [dim]({escape(e['actor'])})[/]",
            highlight=False,
        )


@incident_app.command("ack")
@handle_errors
def ack(incident_id: IdArg) -> None:
    """Acknowledge: someone is on it (stops escalation)."""
    _act(incident_id, "ack")
    console.print(f"acknowledged incident {incident_id}")


@incident_app.command("comment")
@handle_errors
def comment(incident_id: IdArg, text: Annotated[str, typer.Argument(help="The comment.")]) -> None:
    """Add a comment to the incident's timeline."""
    _act(incident_id, "comment", text)
    console.print(f"commented on incident {incident_id}")


@incident_app.command("resolve")
@handle_errors
def resolve(incident_id: IdArg) -> None:
    """Resolve by hand (if the device is still down, a new incident opens)."""
    _act(incident_id, "resolve")
    console.print(f"resolved incident {incident_id}")
