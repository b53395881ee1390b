"""Collector lateness at a sustained check rate, end to end on the embedded SQLite store:
schedule -> tcp probe (loopback) -> state engine -> store.

    python bench/collector_lateness.py --rate 1000 --seconds 60

Targets: TCP listeners in a separate process on 127.0.0.1 (accept, close), so their CPU is
not counted as ours. Reports start lateness (p50/p99/max), missed runs, overlaps prevented,
results stored, and our CPU time per check.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
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


async def run(rate: int, seconds: float, interval: float, warmup: float) -> dict[str, Any]:
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
    args = ap.parse_args()
    result = asyncio.run(run(args.rate, args.seconds, args.interval, args.warmup))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
