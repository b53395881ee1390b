"""`sitekeeper demo`: the simulated site, monitored live, in one process.

Starts the lab (with its control API, so `sitekeeper lab fail core-switch` works from
another terminal), applies its inventory to the store, runs the embedded runtime, and
shows the site live until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.text import Text

from sitekeeper import eventloop
from sitekeeper.cli.common import console, handle_errors, open_store

HINT = (
    "In another terminal:  [bold].venv/bin/sitekeeper lab fail core-switch[/]   "
    "then  [bold]lab recover core-switch[/]\n"
    "Also try:  lab on-battery ups · lab lamp-error projector · lab stream-dead cam-2 · "
    "lab degrade codec --latency-ms 800 · lab flap ap-2 · "
    "sitekeeper status · sitekeeper check run nvr · Ctrl-C to stop"
)


def _render(
    views: list[Any],
    flips: list[Any],
    last: float | None,
    title: str,
    header: str = "",
    incidents: list[str] | None = None,
) -> RenderableType:
    from sitekeeper.cli.render import STYLE, device_table, summary_line

    now = time.time()
    events = Text()
    for f in flips:
        when = datetime.fromtimestamp(f.at).strftime("%H:%M:%S")
        what = f.device if f.subject == "device" else f"{f.device}/{f.check}"
        events.append(f"{when} {what} ", style="bold" if f.subject == "device" else "")
        events.append(f"{f.old} → ", style="dim")
        events.append(f.new, style=STYLE.get(f.new, ""))
        events.append(f"  {f.reason}\n", style="dim")
    parts: list[RenderableType] = [
        summary_line(views, last, now),
        device_table(views, now, wide=console.width >= 110),
    ]
    if incidents:
        parts.insert(
            1,
            Panel(
                Text("\n".join(incidents), style="bold red"),
                title="open incidents",
                title_align="left",
            ),
        )
    if flips:
        events.rstrip()
        parts.append(Panel(events, title="latest changes", title_align="left"))
    parts.append(Text.from_markup(HINT, style="cyan"))
    if header:
        parts.append(Text(header, style="bold"))
    return Panel(Group(*parts), title=title, title_align="left")


@handle_errors
def demo(
    duration: Annotated[
        float | None,
        typer.Option(help="Stop after this many seconds (default: run until Ctrl-C).", min=1),
    ] = None,
    control_port: Annotated[int, typer.Option(help="Port of the lab's control API.")] = 8479,
    listen: Annotated[
        str | None,
        typer.Option(
            help="Where to serve the dashboard (default 127.0.0.1:8470, or SITEKEEPER_LISTEN)."
        ),
    ] = None,
    web: Annotated[
        bool, typer.Option("--web/--no-web", help="Serve the dashboard and API.")
    ] = True,
    live: Annotated[
        bool | None,
        typer.Option(
            "--live/--no-live",
            help="Live table (default when the terminal is interactive) or plain lines of changes.",
        ),
    ] = None,
    mqtt: Annotated[
        str | None,
        typer.Option(
            "--mqtt",
            metavar="HOST:PORT",
            help="Broker for the lab's MQTT devices (default: 127.0.0.1:1883 when one answers there, or SITEKEEPER_LAB_MQTT; `off` for none).",
        ),
    ] = None,
) -> None:
    """Run a simulated integrated site and monitor it live.

    26 devices on loopback (127.77.0.x; on systems where only 127.0.0.1 is usable,
    distinct ports on 127.0.0.1), and 4 more publishing to an MQTT broker when one answers,
    checked every 10 s (retries every 3 s, hard after 3 failures). Break something from
    another terminal and watch sitekeeper see it.
    Uses your store (SITEKEEPER_DATA_DIR), where the lab is the client `lab`; the
    advisor's two demo clients `home` and `office` are added with three years of tickets.
    """
    from sitekeeper.api.server import serve
    from sitekeeper.cli.common import settings
    from sitekeeper.cli.serving import announce, prepare_web
    from sitekeeper.cli.up import install_stop_handlers
    from sitekeeper.clock import SystemClock
    from sitekeeper.collector.passive import SYSLOG_PORT, TRAP_PORT, parse_listen
    from sitekeeper.lab.lab import Lab
    from sitekeeper.lab.mqtt_devices import choose_broker
    from sitekeeper.lab.setup import install as install_lab
    from sitekeeper.lab.setup import install_advisor_demo
    from sitekeeper.lock import runtime_lock
    from sitekeeper.results.queries import device_views, last_result_at, recent_flips
    from sitekeeper.runtime import EmbeddedRuntime, RuntimeOptions

    cfg = settings()
    store = open_store()
    use_live = sys.stdout.isatty() if live is None else live

    def snapshot() -> tuple[list[Any], list[Any], float | None]:
        with store.session() as session:
            return (
                device_views(session, client="lab", now=time.time()),
                recent_flips(session, client="lab", limit=8),
                last_result_at(session),
            )

    def incident_lines() -> list[str]:
        from sitekeeper.cli.incidents import _rows

        with store.session() as session:
            rows = _rows(session, "open", "lab")
        return [
            f"#{r['id']} {r['root']} is down — {len(r['unreachable'])} unreachable behind it; "
            f"impacted: {', '.join(r['services']) or 'none declared'}"
            for r in rows
        ]

    options = RuntimeOptions.from_settings(cfg)
    # The lab lives on loopback, and so do the demo's syslog and trap receivers (unless
    # set): the lab's SNMP devices send their traps there (UPS on battery, link down).
    if "SITEKEEPER_SYSLOG_LISTEN" not in os.environ:
        options.passive.syslog_listen = f"127.0.0.1:{SYSLOG_PORT}"
    if "SITEKEEPER_TRAP_LISTEN" not in os.environ:
        options.passive.trap_listen = f"127.0.0.1:{TRAP_PORT}"
    trap_at = parse_listen(options.passive.trap_listen or "off", "trap", TRAP_PORT)
    runtime = EmbeddedRuntime(store, options)
    site = prepare_web(store, runtime, listen or cfg.listen) if web else None
    header = ""
    if site:
        header = f"Dashboard: {site.url}"
        if site.setup_url:
            header += f"  — first, create the admin account: {site.setup_url}"

    async def main() -> None:
        stop = asyncio.Event()
        install_stop_handlers(stop)
        broker, note = await choose_broker(mqtt)
        if note:
            console.print(note, highlight=False)
        trap_to = f"127.0.0.1:{trap_at[1]}" if trap_at else None
        async with Lab(control_port=control_port, mqtt_broker=broker, trap_to=trap_to) as lab:
            with store.session() as session:
                install_lab(session, lab.inventory_text(), runtime.box, SystemClock().now(), "demo")
                # two break-fix clients with three years of tickets, for `sitekeeper advise`
                install_advisor_demo(session, SystemClock().now(), "demo")
                session.commit()
            task = asyncio.create_task(runtime.run(stop))
            served = asyncio.create_task(serve(site.app, site.sock, stop)) if site else None
            title = f"sitekeeper demo — {lab.status()['site']} ({len(lab.device_ids)} devices, lab {lab.mode})"
            console.print(
                f"lab up in {(lab.startup_s or 0) * 1000:.0f} ms; control API at {lab.control_url}; store {store.url}"
            )
            console.print(
                "advisor demo clients (break-fix, three years of tickets): "
                "`sitekeeper advise home`, `sitekeeper advise office`",
                highlight=False,
            )
            ends = time.monotonic() + duration if duration else None
            if site:
                announce(console, site)
            if use_live:
                await _live(stop, snapshot, title, ends)
            else:
                await _lines(stop, snapshot, ends)
            stop.set()
            await task
            if served:
                await served
            views, _, _ = await asyncio.to_thread(snapshot)
            up = sum(1 for v in views if v.status == "UP")
            console.print(f"{up}/{len(views)} lab devices up")
            s = runtime.scheduler.stats
            lat = s.lateness()
            console.print(
                f"demo stopped: {s.runs} check runs, {runtime.sink.stored} results stored, "
                f"start lateness p50 {lat['p50_ms']:.1f} ms / p99 {lat['p99_ms']:.1f} ms, "
                f"{s.missed} missed runs"
            )

    async def tick(stop: asyncio.Event, ends: float | None) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)
        return not stop.is_set() and (ends is None or time.monotonic() < ends)

    async def _live(stop: asyncio.Event, snap: Any, title: str, ends: float | None) -> None:
        with Live(console=console, refresh_per_second=2, screen=False) as view:
            while True:
                views, flips, last = await asyncio.to_thread(snap)
                incidents = await asyncio.to_thread(incident_lines)
                view.update(_render(views, flips, last, title, header, incidents))
                if not await tick(stop, ends):
                    return

    async def _lines(stop: asyncio.Event, snap: Any, ends: float | None) -> None:
        console.print(HINT.replace("[bold]", "").replace("[/]", ""))
        seen: set[tuple[float, str, str | None, str]] = set()
        open_now: set[str] = set()
        first = True
        while True:
            _views, flips, _ = await asyncio.to_thread(snap)
            for f in reversed(flips):
                key = (f.at, f.device, f.check, f.new)
                if key in seen:
                    continue
                seen.add(key)
                if f.subject == "device" and not first:
                    when = datetime.fromtimestamp(f.at).strftime("%H:%M:%S")
                    console.print(
                        f"{when} {f.device}: {f.old} -> {f.new} ({f.reason})", highlight=False
                    )
            first = False
            shown = set(await asyncio.to_thread(incident_lines))
            for line in sorted(shown - open_now):
                console.print(f"{datetime.now():%H:%M:%S} INCIDENT {line}", highlight=False)
            for line in sorted(open_now - shown):
                console.print(f"{datetime.now():%H:%M:%S} resolved: {line}", highlight=False)
            open_now.clear()
            open_now.update(shown)
            if not await tick(stop, ends):
                return

    try:
        with runtime_lock(cfg, store.engine):
            eventloop.run(main())
    finally:
        store.close()
