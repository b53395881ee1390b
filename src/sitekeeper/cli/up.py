"""`sitekeeper up`: monitor continuously on the embedded store until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from sitekeeper import eventloop
from sitekeeper.cli.common import console, handle_errors, open_store


def install_stop_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows has no signals
            loop.add_signal_handler(sig, stop.set)


@handle_errors
def up(
    inventory: Annotated[
        Path | None,
        typer.Option("--inventory", "-i", help="Validate and apply this inventory file first."),
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option(help="Most checks running at once (default 500).", min=1)
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log each inventory reload and retention pass.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Do not print device status changes.")
    ] = False,
    listen: Annotated[
        str | None,
        typer.Option(
            help="Where to serve the dashboard and API (default 127.0.0.1:8470, or SITEKEEPER_LISTEN)."
        ),
    ] = None,
    web: Annotated[
        bool, typer.Option("--web/--no-web", help="Serve the dashboard and API.")
    ] = True,
    syslog_listen: Annotated[
        str | None,
        typer.Option(
            help="Where devices send syslog, UDP and TCP (default 0.0.0.0:1514, or "
            "SITEKEEPER_SYSLOG_LISTEN; `off` to turn off; 514 needs privileges)."
        ),
    ] = None,
    trap_listen: Annotated[
        str | None,
        typer.Option(
            help="Where devices send SNMP traps (default 0.0.0.0:1162, or "
            "SITEKEEPER_TRAP_LISTEN; `off` to turn off; 162 needs privileges)."
        ),
    ] = None,
) -> None:
    """Run the collector, the state engine and the store until Ctrl-C.

    Checks every active device of the applied inventory, keeps history, and follows
    `sitekeeper inventory apply` while running. Stops cleanly: checks in flight finish
    (each within its timeout) and every result is stored before exit.
    """
    from sitekeeper.api.server import serve
    from sitekeeper.cli.common import settings
    from sitekeeper.cli.serving import announce, prepare_web
    from sitekeeper.clock import SystemClock
    from sitekeeper.inventory.apply import apply_inventory
    from sitekeeper.inventory.validate import load_inventory
    from sitekeeper.lock import runtime_lock
    from sitekeeper.results.ingest import IngestReport
    from sitekeeper.runtime import EmbeddedRuntime, RuntimeOptions

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    cfg = settings()
    valid = load_inventory(inventory) if inventory else None  # validate before touching anything
    store = open_store()
    with runtime_lock(cfg, store.engine):
        if valid is not None:
            with store.session() as session:
                report = apply_inventory(session, valid, SystemClock().now(), actor="up")
                session.commit()
            console.print(
                f"applied {inventory}: {len(report.added)} added, {len(report.changed)} changed, "
                f"{len(report.retired)} retired"
            )
        options = RuntimeOptions.from_settings(cfg)
        if concurrency:
            options.concurrency = concurrency
        options.passive.syslog_listen = syslog_listen or options.passive.syslog_listen
        options.passive.trap_listen = trap_listen or options.passive.trap_listen

        def show_changes(report: IngestReport) -> None:
            """Devices changing status, one line each (checks are in `status`)."""
            for flip in report.flips:
                if flip.subject == "device":
                    when = datetime.fromtimestamp(flip.at).strftime("%H:%M:%S")
                    label = runtime.ingestor.catalog.device_label(flip.subject_id)
                    console.print(
                        f"{when} {escape(label)}: {flip.old} -> {flip.new} ({escape(flip.reason)})",
                        highlight=False,
                    )

        runtime = EmbeddedRuntime(store, options, on_report=None if quiet else show_changes)
        site = prepare_web(store, runtime, listen or cfg.listen) if web else None

        async def main() -> None:
            stop = asyncio.Event()
            install_stop_handlers(stop)
            task = asyncio.create_task(runtime.run(stop))
            served = asyncio.create_task(serve(site.app, site.sock, stop)) if site else None
            await asyncio.sleep(0.2)
            n = len(runtime.scheduler)
            console.print(
                f"sitekeeper is monitoring {n} check{'s' if n != 1 else ''} "
                f"(store: {store.url}). Ctrl-C to stop; `sitekeeper status` in another terminal."
            )
            if n == 0:
                console.print(
                    "[yellow]no checks yet[/]: apply an inventory with `sitekeeper inventory apply FILE`"
                )
            for problem in runtime.passive.stats.problems:
                console.print(f"[yellow]{escape(problem)}[/]")
            if site:
                announce(console, site)
            await task
            if served:
                await served

        try:
            eventloop.run(main())
        finally:
            store.close()
    s = runtime.scheduler.stats
    console.print(
        f"stopped cleanly after {s.runs} check runs; {runtime.sink.stored} results stored."
    )
