"""Collector lateness at a sustained check rate, end to end on the embedded SQLite store:
schedule -> tcp probe (loopback) -> state engine -> store.

    python bench/collector_lateness.py --rate 1000 --seconds 60

The collector runs on the loop `sitekeeper up` runs on (`sitekeeper.eventloop`: uvloop where
installed), and the output names it. Targets: TCP listeners in a separate process on 127.0.0.1 (accept, close), so their CPU is
not counted as ours. Reports start lateness (p50/p99/max), missed runs, overlaps prevented,
results stored, and our CPU time per check.

After the measured window, `--profile-seconds` more are sampled by py-spy (every thread, from
outside the process, idle time left out; not part of the figures above). Each sample is put
in a stage by its innermost frame that belongs to one — scheduler, probe, state engine, store
(ingest, SQLAlchemy, sqlite3) — or else "event loop and sockets"; each stage's share of the
samples is applied to the measured CPU per check.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _serve(ports: Any, ready: Any, count: int) -> None:
    async def main() -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.close()

        servers = [
            await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096) for _ in range(count)
        ]
        for i, s in enumerate(servers):
            ports[i] = s.sockets[0].getsockname()[1]
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


# Which stage a sampled stack belongs to: its innermost frame whose file matches one.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("store", ("sitekeeper/results/", "sitekeeper/db/", "sqlalchemy/", "sqlite3")),
    ("state engine", ("sitekeeper/state/", "sitekeeper/incidents/")),
    ("probe", ("sitekeeper/probes/", "sitekeeper/protocols/")),
    ("scheduler", ("sitekeeper/collector/", "sitekeeper/runtime.py")),
)
LOOP = "event loop and sockets"


def stage_of(stack: str) -> str:
    """The stage of one collapsed stack ("outer (file:1);...;inner (file:2)")."""
    for frame in reversed(stack.split(";")):
        for stage, parts in STAGES:
            if any(p in frame for p in parts):
                return stage
    return LOOP


def stage_shares(collapsed: str) -> dict[str, float]:
    """Each stage's share of py-spy's samples (raw/collapsed format), summing to 1."""
    totals: dict[str, float] = {}
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        stage = stage_of(stack)
        totals[stage] = totals.get(stage, 0.0) + int(count)
    whole = sum(totals.values()) or 1.0
    return {k: v / whole for k, v in totals.items()}


def py_spy() -> str | None:
    """py-spy on PATH or beside this Python (the dev extra installs it)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return spy if Path(spy).exists() else None


async def sample(seconds: float) -> dict[str, float] | None:
    """py-spy on this process for `seconds`; None when py-spy is missing or not allowed."""
    spy = py_spy()
    if spy is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stacks.txt"
        cmd = [spy, "record", "--pid", str(os.getpid()), "--duration", f"{max(1, round(seconds))}"]
        cmd += ["--rate", "250", "--format", "raw", "--output", str(out), "--nonblocking"]
        proc = await asyncio.create_subprocess_exec(
            *cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            await asyncio.wait_for(proc.wait(), seconds + 30)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            return None
        if proc.returncode != 0 or not out.exists():
            return None
        return stage_shares(out.read_text())


def inventory(ports: list[int], checks: int, interval: float) -> str:
    lines = [
        f"defaults: {{interval: {interval:g}s, timeout: {min(interval, 2.0):g}s, max_attempts: 3}}",
        "clients:",
        "  - id: bench",
        "    sites:",
        "      - id: s",
        "        devices:",
    ]
    for i in range(checks):
        lines.append(
            f"          - {{id: d{i:05d}, kind: other, address: 127.0.0.1, profile_checks: false, "
            f"checks: [{{type: tcp, port: {ports[i % len(ports)]}}}]}}"
        )
    return "\n".join(lines) + "\n"


async def run(
    rate: int, seconds: float, interval: float, warmup: float, profile_seconds: float
) -> dict[str, Any]:
    from sitekeeper.clock import SystemClock
    from sitekeeper.inventory.apply import apply_inventory
    from sitekeeper.inventory.validate import parse_inventory
    from sitekeeper.results.store import Store
    from sitekeeper.runtime import EmbeddedRuntime, RuntimeOptions

    n_ports = 50
    ports = multiprocessing.Array("i", n_ports)
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=_serve, args=(ports, ready, n_ports), daemon=True)
    server.start()
    ready.wait(30)
    checks = int(rate * interval)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.from_url(f"sqlite:///{Path(tmp) / 'bench.db'}")
        with store.session() as session:
            apply_inventory(
                session,
                parse_inventory(inventory(list(ports), checks, interval)),
                SystemClock().now(),
            )
            session.commit()
        runtime = EmbeddedRuntime(store, RuntimeOptions(concurrency=1000))
        stop = asyncio.Event()
        task = asyncio.create_task(runtime.run(stop))
        await asyncio.sleep(warmup)  # let the first spread of runs settle
        stats = runtime.scheduler.stats
        stats.reset_lateness()
        runs0, missed0, stored0 = stats.runs, stats.missed, runtime.sink.stored
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.monotonic()
        await asyncio.sleep(seconds)
        elapsed = time.monotonic() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        runs = stats.runs - runs0
        lat = stats.lateness()
        result = {
            "loop": type(asyncio.get_running_loop()).__module__.partition(".")[0],
            "target_rate": rate,
            "checks": checks,
            "interval_s": interval,
            "seconds": round(elapsed, 1),
            "runs_per_s": round(runs / elapsed, 1),
            "lateness_p50_ms": round(lat["p50_ms"], 2),
            "lateness_p99_ms": round(lat["p99_ms"], 2),
            "lateness_max_ms": round(lat["max_ms"], 2),
            "missed": stats.missed - missed0,
            "overlaps_prevented": stats.overlaps_prevented,
            "stored_per_s": round((runtime.sink.stored - stored0) / elapsed, 1),
            "cpu_ms_per_check": round(
                ((cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime))
                * 1000
                / max(runs, 1),
                3,
            ),
            "cpu_utilisation": round(
                ((cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)) / elapsed, 3
            ),
        }
        if profile_seconds > 0:
            shares = await sample(profile_seconds)
            result["stage_split"] = "py-spy" if shares else "unavailable"
            per_check = result["cpu_ms_per_check"] * 1000.0  # µs
            for stage in [*(name for name, _ in STAGES), LOOP, "other"]:
                share = (shares or {}).get(stage, 0.0)
                result["cpu_us_" + stage.replace(" ", "_")] = round(per_check * share, 1)
        stop.set()
        await task
        store.close()
    server.terminate()
    server.join(5)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rate", type=int, default=1000, help="checks per second")
    ap.add_argument("--seconds", type=float, default=60.0, help="measured duration")
    ap.add_argument(
        "--interval", type=float, default=10.0, help="check interval (checks = rate x interval)"
    )
    ap.add_argument("--warmup", type=float, default=12.0)
    ap.add_argument(
        "--profile-seconds",
        type=float,
        default=0.0,
        help="after the measured window, sample this long with py-spy to split CPU per check "
        "by stage",
    )
    args = ap.parse_args()
    from sitekeeper import eventloop

    # the loop `sitekeeper up` runs on (uvloop where installed), so what is measured is what runs
    result = eventloop.run(
        run(args.rate, args.seconds, args.interval, args.warmup, args.profile_seconds)
    )
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
