"""TCP and HTTP check cost: sitekeeper's probes against Prometheus' blackbox_exporter and the
Nagios model (a monitoring-plugins process forked per check), on the same targets in the
same run.

    python bench/probes_tcp_http.py                              # 3 rounds of 2.5 s phases
    python bench/probes_tcp_http.py --rounds 2 --seconds 1.5     # quick
    python bench/probes_tcp_http.py --layers                     # our CPU, layer by layer
    python bench/probes_tcp_http.py --layers --loop asyncio      # ... without uvloop
    python bench/probes_tcp_http.py --profile /tmp/prof          # cProfile of our side

Targets: `--targets` loopback addresses 127.1.x.y, each with a TCP listener (accepts, then
closes) and an HTTP server (a fixed 200 reply, then closes), all in one separate asyncio
process that every side shares; its CPU is not counted for anyone (it is reported per check,
to show it is not the bottleneck). Each side keeps `--in-flight` checks outstanding, spread
over the targets, and is measured in a process of its own:

- ours: `sitekeeper.collector.runner.run_check` (what the collector calls: the probe table,
  the deadline, `probes.tcp` / `probes.http` with one shared HttpSessions) in a child that
  does nothing else, on the event loop the product runs on (`sitekeeper.eventloop.run`:
  uvloop where installed; `--loop asyncio` for asyncio's own); CPU from
  getrusage(RUSAGE_SELF) there.
- blackbox_exporter (Debian's): modules tcp_connect and http_2xx with the same timeout,
  `/probe?module=...&target=...` driven over keep-alive connections by a child process that
  is not counted; the exporter's CPU from /proc/PID/stat, all threads.
- plugins: `check_tcp` / `check_http` forked per check by a child process; the plugins' CPU
  (exec, loading, the check, exit) from getrusage(RUSAGE_CHILDREN) deltas, the launcher's
  own CPU reported apart.

Every answer is verified (ok, and status 200 for HTTP); anything else counts as an error.
Rounds run the three sides back to back (order rotated each round); figures are medians over
the rounds and ratios (ours / peer, checks per CPU-second) the median of per-round ratios.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import multiprocessing
import pstats
import resource
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack, suppress
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from peers import (  # noqa: E402
    BLACKBOX_EXPORTER,
    ensure_debian_package,
    process_cpu_s,
    running_blackbox_exporter,
)
from probe_layers import LAYERS, TIMEOUT_S, Check, layer_checks  # noqa: E402
from probe_targets import MAX_TARGETS, Targets, running_targets  # noqa: E402

PLUGINS = Path("/usr/lib/nagios/plugins")
CHECK_TCP = PLUGINS / "check_tcp"
CHECK_HTTP = PLUGINS / "check_http"
KINDS = ("tcp", "http")
SIDES = ("ours", "exporter", "plugins")
MAX_OPS = 10_000_000  # per phase; phases end on time long before
# -- a measured phase ------------------------------------------------------------------------


@dataclass
class Phase:
    """What one measured phase of one side saw."""

    ops: int
    errors: int
    seconds: float
    cpu_s: float  # the side's counted CPU
    sys_s: float  # the kernel's share of cpu_s
    launcher_cpu_s: float  # plugins only: the process that forks them (not counted)
    target_cpu_s: float
    first_error: str

    @property
    def per_cpu_s(self) -> float:
        return self.ops / max(self.cpu_s, 1e-9)

    def summary(self) -> dict[str, float]:
        ops = max(self.ops, 1)
        return {
            "ops": self.ops,
            "errors": self.errors,
            "per_s": round(self.ops / self.seconds, 1),
            "per_cpu_s": round(self.per_cpu_s, 1),
            "cpu_us": round(self.cpu_s * 1e6 / ops, 1),
            "sys_pct": round(100 * self.sys_s / max(self.cpu_s, 1e-9)),
            "launcher_cpu_us": round(self.launcher_cpu_s * 1e6 / ops, 1),
            "target_cpu_us": round(self.target_cpu_s * 1e6 / ops, 1),
            "target_cpu_pct": round(100 * self.target_cpu_s / self.seconds),
        }


Cpu = Callable[[], tuple[float, float]]  # (user, system) seconds so far


async def drive(check: Check, in_flight: int, seconds: float) -> tuple[int, int, str]:
    """Keep `in_flight` checks outstanding for `seconds` (at most MAX_OPS started); check k
    goes to target k mod n. Returns (ok, failed, the first failure's reason)."""
    deadline = time.monotonic() + seconds
    started = ok = failed = 0
    first_error = ""

    async def worker() -> None:
        nonlocal started, ok, failed, first_error
        while started < MAX_OPS and time.monotonic() < deadline:
            k = started
            started += 1
            problem = await check(k)
            if problem is None:
                ok += 1
            else:
                failed += 1
                first_error = first_error or problem

    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return ok, failed, first_error


async def measure(
    check: Check,
    spec: dict[str, Any],
    cpu: Cpu,
    launcher: Cpu,
    profile: cProfile.Profile | None = None,
) -> Phase:
    await drive(check, spec["in_flight"], spec["warmup"])
    target0 = sum(process_cpu_s(spec["target_pid"]))
    (u0, s0), (lu0, ls0), t0 = cpu(), launcher(), time.monotonic()
    if profile is not None:
        profile.enable()
    ok, failed, first_error = await drive(check, spec["in_flight"], spec["seconds"])
    if profile is not None:
        profile.disable()
    elapsed = time.monotonic() - t0
    (u1, s1), (lu1, ls1) = cpu(), launcher()
    return Phase(
        ok,
        failed,
        elapsed,
        (u1 - u0) + (s1 - s0),
        s1 - s0,
        (lu1 - lu0) + (ls1 - ls0),
        sum(process_cpu_s(spec["target_pid"])) - target0,
        first_error,
    )


def _rusage(who: int) -> Cpu:
    """(user, system) CPU of this process or of its reaped children, to the microsecond."""

    def read() -> tuple[float, float]:
        usage = resource.getrusage(who)
        return usage.ru_utime, usage.ru_stime

    return read


def _nothing() -> tuple[float, float]:
    return 0.0, 0.0


# -- the three sides, each in a child process ------------------------------------------------


async def _ours(spec: dict[str, Any], conn: Connection) -> None:
    """Our probes as the collector runs them: run_check() with a CheckInfo per target."""
    from sitekeeper.checks.specs import HttpCheck, TcpCheck
    from sitekeeper.clock import SystemClock
    from sitekeeper.collector.runner import run_check
    from sitekeeper.protocols.http import HttpSessions
    from sitekeeper.results.catalog import CheckInfo

    clock = SystemClock()
    http = HttpSessions()
    targets: Targets = spec["targets"]
    infos = {
        "tcp": [
            CheckInfo(
                i, 1, i, f"d{i}", "bench", "tcp", a, None, TcpCheck(port=tp, timeout=TIMEOUT_S)
            )
            for i, (a, tp, _) in enumerate(targets)
        ],
        "http": [
            CheckInfo(
                i, 1, i, f"d{i}", "bench", "http", a, None, HttpCheck(port=hp, timeout=TIMEOUT_S)
            )
            for i, (a, _, hp) in enumerate(targets)
        ],
    }

    def checker(kind: str) -> Check:
        these = infos[kind]

        async def check(k: int) -> str | None:
            obs = await run_check(these[k % len(these)], clock, http)
            if obs.ok is not True:
                return obs.error or "not ok"
            if kind == "http" and obs.values.get("http_status") != 200:
                return f"status {obs.values.get('http_status')}"
            return None

        return check

    checks = {kind: checker(kind) for kind in KINDS}
    extra, close_layers = layer_checks(targets) if spec["layers"] else ({}, None)
    checks |= extra
    profile_dir = spec["profile"]
    try:
        while (kind := conn.recv()) != "stop":
            profile = cProfile.Profile() if profile_dir else None
            phase = await measure(
                checks[kind], spec, _rusage(resource.RUSAGE_SELF), _nothing, profile
            )
            if profile is not None:
                _dump_profile(profile, Path(profile_dir) / f"ours_{kind}.prof", phase.ops)
            conn.send(asdict(phase))
    finally:
        await http.close()
        if close_layers is not None:
            await close_layers()


def _dump_profile(profile: cProfile.Profile, path: Path, ops: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    profile.dump_stats(str(path))
    print(f"\n== {path.name}: {ops} checks; top functions by own time ==", file=sys.stderr)
    pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(30)
    pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(40)


async def _exporter(spec: dict[str, Any], conn: Connection) -> None:
    """Drive blackbox_exporter's /probe over keep-alive connections; count the exporter."""
    import aiohttp

    base: str = spec["exporter_url"]
    pid: int = spec["exporter_pid"]
    targets: Targets = spec["targets"]
    urls = {
        "tcp": [f"{base}/probe?module=tcp_connect&target={a}:{tp}" for a, tp, _ in targets],
        "http": [f"{base}/probe?module=http_2xx&target=http://{a}:{hp}/" for a, _, hp in targets],
    }
    connector = aiohttp.TCPConnector(limit=spec["in_flight"])
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S * 4)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        def checker(kind: str) -> Check:
            these = urls[kind]

            async def check(k: int) -> str | None:
                try:
                    async with session.get(these[k % len(these)]) as response:
                        body = await response.text()
                except (aiohttp.ClientError, TimeoutError) as err:
                    return repr(err)
                return exporter_problem(kind, response.status, body)

            return check

        while (kind := conn.recv()) != "stop":
            phase = await measure(checker(kind), spec, lambda: process_cpu_s(pid), _nothing)
            conn.send(asdict(phase))


def exporter_problem(kind: str, status: int, body: str) -> str | None:
    """Why a /probe answer is not a successful check (None when it is)."""
    lines = set(body.splitlines())
    if status != 200:
        return f"exporter answered {status}"
    if "probe_success 1" not in lines:
        return "probe_success is not 1"
    if kind == "http" and "probe_http_status_code 200" not in lines:
        return "probe_http_status_code is not 200"
    return None


async def _plugins(spec: dict[str, Any], conn: Connection) -> None:
    """Fork check_tcp / check_http per check, as Nagios does; count the plugin processes."""
    targets: Targets = spec["targets"]
    timeout = str(int(TIMEOUT_S))
    argvs = {
        "tcp": [[str(CHECK_TCP), "-H", a, "-p", str(tp), "-t", timeout] for a, tp, _ in targets],
        "http": [
            [str(CHECK_HTTP), "-I", a, "-p", str(hp), "-u", "/", "-e", "200", "-t", timeout]
            for a, _, hp in targets
        ],
    }
    expected = {"tcp": b"TCP OK", "http": b"HTTP OK"}

    def checker(kind: str) -> Check:
        these = argvs[kind]

        async def check(k: int) -> str | None:
            proc = await asyncio.create_subprocess_exec(
                *these[k % len(these)],
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            out, _ = await proc.communicate()
            if proc.returncode != 0 or not out.startswith(expected[kind]):
                return f"exit {proc.returncode}: {out[:200].decode(errors='replace')}"
            return None

        return check

    while (kind := conn.recv()) != "stop":
        phase = await measure(
            checker(kind),
            spec,
            _rusage(resource.RUSAGE_CHILDREN),
            _rusage(resource.RUSAGE_SELF),
        )
        conn.send(asdict(phase))


SIDE_MAIN = {"ours": _ours, "exporter": _exporter, "plugins": _plugins}


def _side_child(side: str, spec: dict[str, Any], conn: Connection) -> None:
    """Ours runs on the loop the product runs on (`sitekeeper.eventloop`: uvloop where
    installed) unless `--loop asyncio`; the peers' drivers are not counted."""
    from sitekeeper import eventloop

    product_loop = side == "ours" and spec["loop"] == "product"
    try:
        (eventloop.run if product_loop else asyncio.run)(SIDE_MAIN[side](spec, conn))
    except BaseException as err:
        with suppress(OSError):
            conn.send({"error": repr(err)})
        raise


class Side:
    """One side in its own process; it measures a phase whenever asked, so the sides'
    phases can alternate."""

    def __init__(self, side: str, spec: dict[str, Any]) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.side = side
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_side_child, args=(side, spec, child), daemon=True)
        self.proc.start()
        child.close()
        self.limit = spec["warmup"] + spec["seconds"] + 4 * TIMEOUT_S + 60

    def ask(self, kind: str) -> Phase:
        self.conn.send(kind)
        if not self.conn.poll(self.limit):
            raise RuntimeError(f"{self.side} {kind} phase did not finish in {self.limit:.0f} s")
        result: dict[str, Any] = self.conn.recv()
        if "error" in result:
            raise RuntimeError(f"{self.side} {kind} phase failed: {result['error']}")
        return Phase(**result)

    def close(self) -> None:
        if self.proc.is_alive():
            with suppress(OSError):
                self.conn.send("stop")
            self.proc.join(10)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()


# -- the run ---------------------------------------------------------------------------------


def blackbox_modules() -> dict[str, Any]:
    """tcp_connect and http_2xx as in the exporter's example config, with our timeout."""
    ip4 = {"preferred_ip_protocol": "ip4", "ip_protocol_fallback": False}
    return {
        "tcp_connect": {"prober": "tcp", "timeout": f"{TIMEOUT_S:g}s", "tcp": ip4},
        "http_2xx": {"prober": "http", "timeout": f"{TIMEOUT_S:g}s", "http": ip4},
    }


def summarise(kind: str, phases: dict[str, list[Phase]]) -> dict[str, Any]:
    """Medians over the rounds for each side (totals for ops and errors), and the median
    and lowest of the per-round ratios of checks per CPU-second, ours / each peer; each
    median's per-round values beside it as KEY_rounds."""
    result: dict[str, Any] = {}
    for side, these in phases.items():
        rows = [p.summary() for p in these]
        for key in rows[0]:
            if key == "launcher_cpu_us" and side != "plugins":
                continue
            values = [r[key] for r in rows]
            total = key in ("ops", "errors")
            result[f"{kind}_{side}_{key}"] = (
                sum(values) if total else round(statistics.median(values), 1)
            )
            if not total:
                result[f"{kind}_{side}_{key}_rounds"] = [round(v, 1) for v in values]
        errors = [p.first_error for p in these if p.first_error]
        if errors:
            result[f"{kind}_{side}_first_error"] = errors[0]
    for peer in ("exporter", "plugins"):
        ratios = [
            a.per_cpu_s / max(b.per_cpu_s, 1e-9)
            for a, b in zip(phases["ours"], phases[peer], strict=True)
        ]
        result[f"{kind}_{peer}_ratio"] = round(statistics.median(ratios), 2)
        result[f"{kind}_{peer}_ratio_min"] = round(min(ratios), 2)
        result[f"{kind}_{peer}_ratio_rounds"] = [round(x, 2) for x in ratios]
    return result


def compare(args: argparse.Namespace, spec: dict[str, Any], stack: ExitStack) -> dict[str, Any]:
    """The three sides, kind by kind, in rounds."""
    sides = {}
    for name in SIDES:
        sides[name] = Side(name, spec)
        stack.callback(sides[name].close)
    result: dict[str, Any] = {}
    errors = 0
    for kind in KINDS:
        phases: dict[str, list[Phase]] = {name: [] for name in SIDES}
        for r in range(args.rounds):
            order = SIDES[r % len(SIDES) :] + SIDES[: r % len(SIDES)]
            print(f"tcp/http bench: {kind}, round {r + 1}/{args.rounds}", file=sys.stderr)
            for name in order:
                phases[name].append(sides[name].ask(kind))
        result |= summarise(kind, phases)
        errors += sum(p.errors for these in phases.values() for p in these)
    result["errors"] = errors
    return result


def layers(args: argparse.Namespace, spec: dict[str, Any], stack: ExitStack) -> dict[str, Any]:
    """Our CPU per check at each layer (probe_layers), then run_check as the collector
    calls it; medians over the rounds, each round taking the layers in turn."""
    ours = Side("ours", spec)
    stack.callback(ours.close)
    names = [*LAYERS[:3], "tcp", *LAYERS[3:], "http"]
    phases: dict[str, list[Phase]] = {name: [] for name in names}
    for r in range(args.rounds):
        print(f"tcp/http bench: layers, round {r + 1}/{args.rounds}", file=sys.stderr)
        for name in names:
            phases[name].append(ours.ask(name))
    result: dict[str, Any] = {}
    for name, these in phases.items():
        label = {"tcp": "tcp_run_check", "http": "http_run_check"}.get(name, name)
        rows = [p.summary() for p in these]
        result[f"{label}_cpu_us"] = statistics.median(r["cpu_us"] for r in rows)
        result[f"{label}_sys_us"] = round(
            statistics.median(1e6 * p.sys_s / max(p.ops, 1) for p in these), 1
        )
        result[f"{label}_errors"] = sum(p.errors for p in these)
    return result


def loop_name(choice: str) -> str:
    """The event loop our side runs on, for the record."""
    from sitekeeper import eventloop

    factory = eventloop.loop_factory() if choice == "product" else None
    return "asyncio" if factory is None else factory.__module__.partition(".")[0]


def run(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {
        "loop": loop_name(args.loop),
        "targets": args.targets,
        "in_flight": args.in_flight,
        "seconds": args.seconds,
        "rounds": args.rounds,
    }
    spec: dict[str, Any] = {
        "in_flight": args.in_flight,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "profile": str(args.profile) if args.profile else "",
        "layers": args.layers,
        "loop": args.loop,
    }
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        spec["targets"], spec["target_pid"] = stack.enter_context(running_targets(args.targets))
        if args.layers:
            return result | layers(args, spec, stack)
        exporter_bin = ensure_debian_package("prometheus-blackbox-exporter", BLACKBOX_EXPORTER)
        ensure_debian_package("monitoring-plugins", CHECK_TCP)
        ensure_debian_package("monitoring-plugins", CHECK_HTTP)
        exporter = stack.enter_context(
            running_blackbox_exporter(exporter_bin, blackbox_modules(), Path(tmp) / "exporter")
        )
        spec["exporter_url"], spec["exporter_pid"] = exporter.base_url, exporter.pid
        return result | compare(args, spec, stack)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seconds", type=float, default=2.5, help="each measured phase")
    ap.add_argument("--warmup", type=float, default=0.5, help="unmeasured, before each phase")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of the three sides per kind")
    ap.add_argument("--targets", type=int, default=64, help="loopback addresses with targets")
    ap.add_argument("--in-flight", type=int, default=100, help="outstanding checks per side")
    ap.add_argument(
        "--profile", type=Path, help="write cProfile stats of our side here (skews its CPU)"
    )
    ap.add_argument(
        "--layers", action="store_true", help="only ours, layer by layer (see probe_layers.py)"
    )
    ap.add_argument(
        "--loop",
        choices=("product", "asyncio"),
        default="product",
        help="our side's event loop: the product's (uvloop where installed) or asyncio's",
    )
    args = ap.parse_args()
    # A plain exit on SIGTERM, so the targets, the exporter and the children are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    if min(args.targets, args.in_flight, args.rounds) < 1 or args.seconds <= 0:
        ap.error("--targets, --in-flight and --rounds must be at least 1, --seconds positive")
    if args.targets > MAX_TARGETS:
        ap.error(f"--targets: at most {MAX_TARGETS} addresses (127.1.0.1 to 127.1.249.250)")
    json.dump(run(args), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
