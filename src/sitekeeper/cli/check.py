"""`sitekeeper check run DEVICE`: run a device's checks now and show what the probes saw,
with the probes' own log lines (like blackbox_exporter's debug mode). Nothing is stored."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from sitekeeper.cli.common import console, handle_errors, open_store, print_json
from sitekeeper.errors import Ambiguous, NotFound

app = typer.Typer(help="Run checks on demand.", no_args_is_help=True)


def _credentials(session: Any) -> dict[str, dict[str, str]]:
    """Device credentials for the probes, if this store has a secret key yet."""
    from sitekeeper.cli.common import settings
    from sitekeeper.credentials import resolve_all
    from sitekeeper.secrets import SecretBox, SecretKeyError

    try:
        box = SecretBox.for_data_dir(settings().data_dir, create=False)
    except SecretKeyError:
        return {}
    return resolve_all(session, box)


def _find(catalog: Any, device: str) -> list[Any]:
    client_key, _, device_key = device.rpartition("/")
    matches = [
        info
        for info in catalog.checks.values()
        if info.device_key == device_key and (not client_key or info.client_key == client_key)
    ]
    clients = sorted({i.client_key for i in matches})
    if len(clients) > 1:
        raise Ambiguous(
            f"{device!r} is a device of several clients ({', '.join(clients)}); "
            f"say which, e.g. {clients[0]}/{device_key}"
        )
    if not matches:
        known = sorted({i.device_key for i in catalog.checks.values()})
        hint = (
            f"; known devices: {', '.join(known[:30])}{' ...' if len(known) > 30 else ''}"
            if known
            else "; apply an inventory first"
        )
        raise NotFound(f"no active device {device!r} with checks{hint}")
    return matches


@app.command("run")
@handle_errors
def run(
    device: Annotated[
        str, typer.Argument(help="Device id, or CLIENT/DEVICE when ids repeat across clients.")
    ],
    check: Annotated[
        str | None, typer.Option("--check", "-c", help="Only the check with this name.")
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Run DEVICE's checks now and print what each probe saw, step by step."""
    from sitekeeper.clock import SystemClock
    from sitekeeper.collector.runner import run_check
    from sitekeeper.protocols.http import HttpSessions
    from sitekeeper.results.catalog import load_catalog
    from sitekeeper.state.classify import classify

    store = open_store()
    try:
        with store.session() as session:
            catalog = load_catalog(session, credentials=_credentials(session))
    finally:
        store.close()
    infos = _find(catalog, device)
    if check:
        names = sorted(i.name for i in infos)
        infos = [i for i in infos if i.name == check]
        if not infos:
            raise NotFound(
                f"{device!r} has no check named {check!r}; its checks: {', '.join(names)}"
            )

    async def go() -> list[Any]:
        http = HttpSessions()
        clock = SystemClock()
        try:
            return await asyncio.gather(*(run_check(i, clock, http, debug=True) for i in infos))
        finally:
            await http.close()

    observations = asyncio.run(go())
    out = []
    for info, obs in zip(infos, observations, strict=True):
        status, reason = classify(obs, info.spec)
        out.append((info, obs, status, reason))
    if json:
        print_json(
            [
                {
                    "device": f"{i.client_key}/{i.device_key}",
                    "check": i.name,
                    "type": i.spec.type,
                    "target": f"{i.address}:{i.port}" if i.port else i.address,
                    "ok": o.ok,
                    "status": s.value,
                    "reason": r,
                    "latency_ms": o.latency_ms,
                    "values": o.values,
                    "error": o.error,
                    "log": list(o.log),
                }
                for i, o, s, r in out
            ]
        )
    else:
        for info, obs, status, reason in out:
            from sitekeeper.cli.render import badge

            title = Text.assemble(
                badge(status.value),
                f"  {info.client_key}/{info.device_key} ",
                (info.name, "bold"),
                f"  ({info.spec.type} {info.address}{':' + str(info.port) if info.port else ''})",
            )
            console.print(title)
            console.print(f"  judged: {escape(reason)}", highlight=False)
            if obs.latency_ms is not None:
                console.print(f"  latency: {obs.latency_ms:.1f} ms")
            if obs.values:
                table = Table(show_header=False, box=None, padding=(0, 2))
                for k, v in obs.values.items():
                    table.add_row(f"  {k}", str(v))
                console.print(table)
            for line in obs.log:
                console.print(f"  [dim]│ {escape(line)}[/]", highlight=False)
            console.print()
    if any(s.value != "OK" for _, _, s, _ in out):
        raise typer.Exit(3)
