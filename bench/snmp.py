"""SNMP polling cost: sitekeeper's asyncio engine against Prometheus' snmp_exporter, on the
same agents in the same run.

    python bench/snmp.py                            # 5 rounds of 5 s phases
    python bench/snmp.py --rounds 3 --seconds 2     # quick

Agents: Debian's snmpd on loopback, `--agents` instances with their own config
(tests/snmp/snmpd.py). snmpd is single-threaded and is what limits throughput, so the headline
is the poller's CPU per operation: ours from getrusage() in a child process that does only
the polling, the exporter's from /proc/PID/stat (all its threads). The HTTP client that
drives the exporter runs in this process and is not counted. Each workload runs in rounds,
ours then the exporter, each phase warmed up and then measured alone, so a change in the
machine's load between rounds hits both sides alike; figures are medians over the rounds,
and the ratio is the median of the rounds' ratios.

- GET: one v2c GET of the same 10 OIDs; `--in-flight` requests outstanding at all times,
  spread over the agents. For the exporter one scrape = one such GET (a module with only
  `get:` and a metric per OID), so it also renders the Prometheus text and serves HTTP:
  that is what a scrape of it costs.
- Walk: ifTable then ifXTable with GETBULK (max-repetitions 25 on both sides).
- Loss: ours only, 1,000 GETs in flight with no retries: every lost answer is a timeout.

Prints one JSON object; ratios are ours / exporter for operations per CPU-second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests.snmp.snmpd starts the agents

from tests.snmp.snmpd import COMMUNITY  # noqa: E402  (the agents' read community)

from peers import (  # noqa: E402
    SNMP_EXPORTER,
    ensure_debian_package,
    process_cpu_s,
    running_snmp_exporter,
)
from snmp_workload import (  # noqa: E402
    GET_OIDS,
    LOSS_IN_FLIGHT,
    MAX_REPETITIONS,
    RETRIES,
    TIMEOUT_S,
    WALK_ROOTS,
    exporter_modules,
)

MAX_OPS = 10_000_000  # per phase; phases end on time long before


@dataclass
class Phase:
    """What one measured phase saw."""

    ops: int
    errors: int
    seconds: float
    poller_cpu_s: float
    poller_sys_s: float  # the kernel's share of poller_cpu_s (system calls, loopback)
    agent_cpu_s: float
    latencies: list[float]

    @property
    def per_cpu_s(self) -> float:
        return self.ops / max(self.poller_cpu_s, 1e-9)

    def summary(self) -> dict[str, float]:
        lat = sorted(self.latencies) or [0.0]
        ops = max(self.ops, 1)
        return {
            "ops": self.ops,
            "errors": self.errors,
            "per_s": round(self.ops / self.seconds, 1),
            "cpu_us": round(self.poller_cpu_s * 1e6 / ops, 1),
            "per_cpu_s": round(self.per_cpu_s, 1),
            "sys_pct": round(100 * self.poller_sys_s / max(self.poller_cpu_s, 1e-9)),
            "agent_cpu_us": round(self.agent_cpu_s * 1e6 / ops, 1),
            "p50_ms": round(statistics.median(lat) * 1000, 2),
            "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, 2),
        }


async def drive(
    op: Callable[[int], Awaitable[bool]], in_flight: int, seconds: float, max_ops: int
) -> tuple[int, int, list[float]]:
    """Keep `in_flight` operations outstanding (worker i uses agent i mod n) until `seconds`
    pass or `max_ops` have started. Returns (ok, failed, latency of each ok one)."""
    deadline = time.monotonic() + seconds
    started = 0
    ok = failed = 0
    latencies: list[float] = []

    async def worker(i: int) -> None:
        nonlocal started, ok, failed
        while started < max_ops and time.monotonic() < deadline:
            started += 1
            t0 = time.monotonic()
            if await op(i):
                ok += 1
                latencies.append(time.monotonic() - t0)
            else:
                failed += 1

    await asyncio.gather(*(worker(i) for i in range(in_flight)))
    return ok, failed, latencies


def agents_cpu_s(pids: list[int]) -> float:
    return sum(sum(process_cpu_s(pid)) for pid in pids)


async def measure(
    op: Callable[[int], Awaitable[bool]],
    in_flight: int,
    seconds: float,
    warmup: float,
    cpu: Callable[[], tuple[float, float]],
    agent_pids: list[int],
) -> Phase:
    await drive(op, in_flight, warmup, MAX_OPS)
    (user0, sys0), agent0, t0 = cpu(), agents_cpu_s(agent_pids), time.monotonic()
    ok, failed, latencies = await drive(op, in_flight, seconds, MAX_OPS)
    elapsed = time.monotonic() - t0
    user1, sys1 = cpu()
    return Phase(
        ok,
        failed,
        elapsed,
        (user1 - user0) + (sys1 - sys0),
        sys1 - sys0,
        agents_cpu_s(agent_pids) - agent0,
        latencies,
    )


def _own_cpu_s() -> tuple[float, float]:
    """(user, system) CPU seconds of this process, to the microsecond (`os.times()` counts
    in 10 ms ticks, coarse for a phase of a second or two)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


async def _ours(spec: dict[str, Any], conn: Connection) -> None:
    """Answer the parent's commands ("get", "walk", "loss", "stop") one at a time, each with
    the phase it measured; idle (blocked on the pipe) in between."""
    from sitekeeper.protocols.snmp import NoValue, SnmpClient, SnmpError, Target

    def targets(timeout: float, retries: int) -> list[Target]:
        return [
            Target(h, p, community=COMMUNITY, timeout=timeout, retries=retries)
            for h, p in spec["agents"]
        ]

    normal = targets(TIMEOUT_S, RETRIES)
    rows: int = spec["walk_rows"]

    def getter(client: SnmpClient, to: list[Target]) -> Callable[[int], Awaitable[bool]]:
        async def get(i: int) -> bool:
            try:
                answer = await client.get(to[i % len(to)], GET_OIDS)
            except SnmpError:
                return False
            return len(answer) == len(GET_OIDS) and not any(
                isinstance(v, NoValue) for _, v in answer
            )

        return get

    async def walk(i: int) -> bool:
        target = normal[i % len(normal)]
        n = 0
        try:
            for root in WALK_ROOTS:
                n += len(await client.walk(target, root, max_repetitions=MAX_REPETITIONS))
        except SnmpError:
            return False
        return n == rows

    async with SnmpClient(max_per_agent=spec["in_flight"]) as client:
        ops = {"get": getter(client, normal), "walk": walk}
        while (kind := conn.recv()) != "stop":
            if kind == "loss":
                conn.send(await _loss(spec, getter, targets(5.0, 0)))
                continue
            phase = await measure(
                ops[kind],
                spec["in_flight"],
                spec["seconds"],
                spec["warmup"],
                _own_cpu_s,
                spec["agent_pids"],
            )
            conn.send(phase.__dict__)


async def _loss(spec: dict[str, Any], getter: Any, targets: list[Any]) -> dict[str, int]:
    """LOSS_IN_FLIGHT GETs outstanding, no retries: every answer lost is a timeout."""
    from sitekeeper.protocols.snmp import SnmpClient

    async with SnmpClient(max_per_agent=LOSS_IN_FLIGHT) as client:
        ok, failed, _ = await drive(
            getter(client, targets), LOSS_IN_FLIGHT, spec["seconds"] * 10, spec["loss_requests"]
        )
        stats = client.stats
    return {
        "loss_requests": ok + failed,
        "loss_lost": stats.timeouts,
        "loss_failed": failed,
        "loss_sent": stats.sent,
        "loss_received": stats.received,
        "loss_dropped": stats.dropped,
    }


def _ours_child(spec: dict[str, Any], conn: Connection) -> None:
    try:
        asyncio.run(_ours(spec, conn))
    except BaseException as err:
        conn.send({"error": repr(err)})
        raise


class Ours:
    """Our poller in its own process, so its CPU is the poller's alone; it measures one
    phase whenever asked, so its phases can alternate with the exporter's."""

    def __init__(self, spec: dict[str, Any]) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_ours_child, args=(spec, child), daemon=True)
        self.proc.start()
        child.close()
        self.limit = spec["warmup"] + spec["seconds"] * 10 + 60

    def ask(self, kind: str) -> dict[str, Any]:
        self.conn.send(kind)
        if not self.conn.poll(self.limit):
            raise RuntimeError(f"our {kind} phase did not finish in {self.limit:.0f} s")
        result: dict[str, Any] = self.conn.recv()
        if "error" in result:
            raise RuntimeError(f"our {kind} phase failed: {result['error']}")
        return result

    def close(self) -> None:
        if self.proc.is_alive():
            with suppress(OSError):
                self.conn.send("stop")
            self.proc.join(10)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()


async def run_exporter(
    base_url: str, module: str, spec: dict[str, Any], expect: int, exporter_pid: int
) -> Phase:
    import aiohttp

    urls = [f"{base_url}/snmp?target={h}:{p}&module={module}" for h, p in spec["agents"]]
    in_flight = spec["in_flight"]
    connector = aiohttp.TCPConnector(limit=in_flight)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S * (RETRIES + 1) * 4)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def scrape(i: int) -> bool:
            try:
                async with session.get(urls[i % len(urls)]) as response:
                    body = await response.text()
            except (aiohttp.ClientError, TimeoutError):
                return False
            return response.status == 200 and samples(body) == expect

        return await measure(
            scrape,
            in_flight,
            spec["seconds"],
            spec["warmup"],
            lambda: process_cpu_s(exporter_pid),
            spec["agent_pids"],
        )


def samples(body: str) -> int:
    """Samples in an exporter answer, less its own snmp_scrape_* ones."""
    return sum(
        1 for line in body.splitlines() if line and not line.startswith(("#", "snmp_scrape_"))
    )


async def walk_rows(agent: tuple[str, int]) -> int:
    from sitekeeper.protocols.snmp import SnmpClient, Target

    async with SnmpClient() as client:
        target = Target(*agent, community=COMMUNITY)
        return sum([len(await client.walk(target, root)) for root in WALK_ROOTS])


def summarise(kind: str, ours: list[Phase], theirs: list[Phase]) -> dict[str, Any]:
    """Medians over the rounds for each side, and the median of the per-round ratios of
    operations per CPU-second (each round's two phases ran back to back); each median's
    per-round values beside it as KEY_rounds."""
    result: dict[str, Any] = {}
    for side, phases in (("ours", ours), ("exporter", theirs)):
        rows = [p.summary() for p in phases]
        for key in rows[0]:
            values = [r[key] for r in rows]
            total = key in ("ops", "errors")
            result[f"{kind}_{side}_{key}"] = sum(values) if total else statistics.median(values)
            if not total:
                result[f"{kind}_{side}_{key}_rounds"] = values
    ratios = [a.per_cpu_s / max(b.per_cpu_s, 1e-9) for a, b in zip(ours, theirs, strict=True)]
    result[f"{kind}_cpu_ratio"] = round(statistics.median(ratios), 2)
    result[f"{kind}_cpu_ratio_min"] = round(min(ratios), 2)
    result[f"{kind}_cpu_ratio_rounds"] = [round(x, 2) for x in ratios]
    return result


def run(args: argparse.Namespace) -> dict[str, Any]:
    from tests.snmp.snmpd import running_snmpd

    exporter_bin = ensure_debian_package("prometheus-snmp-exporter", SNMP_EXPORTER)
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        agents = [
            stack.enter_context(running_snmpd(Path(tmp) / f"snmpd{i}")) for i in range(args.agents)
        ]
        exporter = stack.enter_context(
            running_snmp_exporter(exporter_bin, exporter_modules(), Path(tmp) / "exporter")
        )
        spec: dict[str, Any] = {
            "agents": [(a.host, a.port) for a in agents],
            "agent_pids": [a.pid for a in agents],
            "in_flight": args.in_flight,
            "seconds": args.seconds,
            "warmup": args.warmup,
            "loss_requests": args.loss_requests,
        }
        spec["walk_rows"] = rows = asyncio.run(walk_rows(spec["agents"][0]))
        ours = Ours(spec)
        stack.callback(ours.close)
        result: dict[str, Any] = {
            "agents": args.agents,
            "in_flight": args.in_flight,
            "seconds": args.seconds,
            "rounds": args.rounds,
            "get_oids": len(GET_OIDS),
            "walk_rows": rows,
        }
        errors = 0
        for kind, module, expect in (("get", "get10", len(GET_OIDS)), ("walk", "ifwalk", rows)):
            mine: list[Phase] = []
            theirs: list[Phase] = []
            for i in range(args.rounds):
                print(f"snmp bench: {kind}, round {i + 1}/{args.rounds}", file=sys.stderr)
                mine.append(Phase(**ours.ask(kind)))
                theirs.append(
                    asyncio.run(run_exporter(exporter.base_url, module, spec, expect, exporter.pid))
                )
            result |= summarise(kind, mine, theirs)
            errors += sum(p.errors for p in mine + theirs)
        result["errors"] = errors
        print("snmp bench: 1,000 in flight, ours", file=sys.stderr, flush=True)
        result |= ours.ask("loss")
    return result


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seconds", type=float, default=5.0, help="each measured phase")
    ap.add_argument("--warmup", type=float, default=1.0, help="unmeasured, before each phase")
    ap.add_argument("--rounds", type=int, default=5, help="ours-then-exporter pairs per workload")
    ap.add_argument("--agents", type=int, default=2, help="snmpd instances (ports)")
    ap.add_argument("--in-flight", type=int, default=100, help="outstanding requests")
    ap.add_argument(
        "--loss-requests", type=int, default=20_000, help="GETs at 1,000 in flight (ours)"
    )
    args = ap.parse_args()
    # A plain exit on SIGTERM, so the agents, the exporter and our child are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    if min(args.agents, args.in_flight, args.rounds) < 1 or args.seconds <= 0:
        ap.error("--agents, --in-flight and --rounds must be at least 1, --seconds positive")
    json.dump(run(args), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
