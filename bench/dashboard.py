"""The dashboard under load: a generated MSP (500 clients, 25,000 devices, 30 days of
history) served by the real server, on SQLite and on PostgreSQL.

    python bench/dashboard.py                         # full size, both databases
    python bench/dashboard.py --clients 40 --overview-requests 10 --device-visits 30 --phase-cap 6
    python bench/dashboard.py --db sqlite --profile   # also cProfile a few requests of each page

For each database, once: a new, empty store (SQLite in a temporary directory; PostgreSQL: a
database of our own on 127.0.0.1:5432, dropped at the end) migrated by the product and filled
by bench/dashboard_store.py (timed; most of this script's running time); an admin created in
the store with a generated password; the server (`create_app` served by
`sitekeeper.api.server.serve`, as `sitekeeper up` serves it, without the collector but with
the runtime's summary sweep and heap freeze) in a child process on a free loopback port;
sign-in through the login form. Then `--rounds` rounds (3 by
default) on that one store and server, each of which first brings every check's last result up
to the moment (as a running collector keeps them) and then runs two phases, with `--users`
simulated users each sending one request at a time:

- overview: GET / (every client, every device's status, the open incidents), then one poll of
  its live region, GET /live/overview (reported apart as `live_overview`);
- device visit: GET /devices/{id} for a random device, then the 30-day charts of each of its
  checks at once, as the page's charts.js fetches them when "30d" is chosen
  (GET /api/v1/checks/{id}/history?range=30d).

Each phase sends a fixed number of actions per round (full size: 10 overviews, each the page
and one poll, and 40 device visits; 30 and 120 over the three rounds), after one unmeasured
warm-up action, and stops early only at its time cap (15 s). Latency is measured by the client from sending
the request to the last byte; a response that is not 200 or does not hold what it should (the
page's client list; a 30-day chart with its 181 points and rolled-up results in them) is an
error. The server's CPU per request comes from /proc/PID/stat over the phase.

Prints one JSON object. Each latency, rate and CPU figure is the median over the rounds of
that round's value (so `..._p95_ms` is the median of the per-round p95s), with `_min`, `_max`
and `_rounds` beside it; error and request counts are summed over the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import json
import os
import pstats
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dashboard_store import Generated, Sizes, generate, refresh_states  # noqa: E402
from peers import process_cpu_s  # noqa: E402

GOAL_MS = 300.0
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
ADMIN_EMAIL = "bench-admin@example.com"


# --- the server, in a child process -------------------------------------------------------


async def sweep_summary(store: Any, stop: asyncio.Event) -> None:
    """What `sitekeeper up`'s runtime does beside the web, without collecting: the overview's
    device summary swept every SWEEP_EVERY_S in a worker thread of this process (its CPU
    counts as the server's), and the heap frozen every freeze_every_s (the reload loop), so
    full collections skip what lives long. The first sweep and the settled heap come before
    the server announces itself (serve_child): the rounds measure a running server, not its
    start."""
    from sitekeeper.incidents.worker import IncidentWorker
    from sitekeeper.results import summary
    from sitekeeper.runtime import RuntimeOptions

    worker = IncidentWorker(store)
    frozen = time.monotonic()
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), summary.SWEEP_EVERY_S)
        if stop.is_set():
            break
        await asyncio.to_thread(worker.sweep, time.time())
        if time.monotonic() - frozen > RuntimeOptions().freeze_every_s:
            gc.freeze()
            frozen = time.monotonic()


def serve_child(url: str, profile_out: str | None) -> None:
    """Serve the app on a free loopback port; print the port; stop on SIGTERM. With
    `profile_out`, run the sync routes inline on the event loop's thread (requests are then
    sent one at a time) so cProfile sees them, and count SQL statements per request."""
    from sitekeeper.api.app import create_app
    from sitekeeper.api.server import bind, serve
    from sitekeeper.results.store import Store

    store = Store.from_url(url)
    app = create_app(store)
    sock = bind("127.0.0.1", 0)
    profiler: cProfile.Profile | None = None
    per_request: list[dict[str, Any]] = []
    if profile_out:
        import anyio.to_thread
        from sqlalchemy import event
        from starlette.requests import Request
        from starlette.responses import Response

        async def inline(func: Callable[..., Any], *args: Any, **_kw: Any) -> Any:
            return func(*args)

        anyio.to_thread.run_sync = inline  # type: ignore[assignment]
        statements = [0]

        def count(*_a: Any) -> None:
            statements[0] += 1

        event.listen(store.engine, "before_cursor_execute", count)

        @app.middleware("http")
        async def measure(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            before, t = statements[0], time.perf_counter()
            response = await call_next(request)
            per_request.append(
                {
                    "path": request.url.path,
                    "ms": (time.perf_counter() - t) * 1000,
                    "sql": statements[0] - before,
                }
            )
            return response

        profiler = cProfile.Profile()
    from sitekeeper.incidents.worker import IncidentWorker
    from sitekeeper.runtime import settle_heap

    IncidentWorker(store).sweep(time.time())  # as `up` has long done before anyone looks
    settle_heap()
    print(sock.getsockname()[1], flush=True)

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        sweeper = asyncio.create_task(sweep_summary(store, stop))
        await serve(app, sock, stop)
        await sweeper

    if profiler is not None:
        profiler.enable()
    try:
        asyncio.run(main())
    finally:
        if profiler is not None and profile_out:
            profiler.disable()
            profiler.dump_stats(profile_out)
            Path(profile_out + ".json").write_text(json.dumps(per_request))
        store.close()


@contextlib.contextmanager
def running_server(url: str, profile_out: str | None = None) -> Iterator[tuple[int, int]]:
    """(pid, port) of a server child on `url`; stopped (SIGTERM, then SIGKILL) on exit."""
    cmd = [sys.executable, str(Path(__file__)), "--serve", url]
    if profile_out:
        cmd += ["--profile-out", profile_out]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.isdigit():
            raise RuntimeError(f"the server child did not start (it printed {line!r})")
        yield proc.pid, int(line)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# --- the load client ------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    asked: int = 0
    requests: int = 0
    seconds: float = 0.0
    server_cpu_s: float = 0.0

    def add(self, kind: str, ms: float) -> None:
        self.latencies_ms.setdefault(kind, []).append(ms)

    def fail(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 3:
            self.error_samples.append(what)


def pct(values: list[float], q: float) -> float:
    """The q-th percentile, nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


async def sign_in(client: Any, password: str) -> None:
    """Through the login form, as a browser does: its CSRF cookie and field, then the post."""
    page = await client.get("/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if page.status_code != 200 or not found:
        raise RuntimeError(f"GET /login answered {page.status_code} without a form")
    done = await client.post(
        "/login",
        data={"email": ADMIN_EMAIL, "password": password, "csrf_token": found[1], "next": "/"},
    )
    if done.status_code != 303 or "sk_session" not in client.cookies:
        raise RuntimeError(f"signing in failed: {done.status_code} {done.text[:200]}")


async def timed_get(client: Any, phase: Phase, kind: str, path: str) -> Any:
    t = time.perf_counter()
    try:
        response = await client.get(path)
    except Exception as err:  # every failure is counted, none stops the run
        phase.fail(f"{kind} {path}: {type(err).__name__} {err}")
        return None
    ms = (time.perf_counter() - t) * 1000
    if response.status_code != 200:
        phase.fail(f"{kind} {path}: HTTP {response.status_code}")
        return None
    phase.add(kind, ms)
    return response


async def overview_once(client: Any, phase: Phase, _rng: random.Random) -> None:
    """The page, then one poll of its live region (what htmx fetches every few seconds)."""
    r = await timed_get(client, phase, "overview", "/")
    if r is not None and '<h2 id="clients-h">Clients</h2>' not in r.text:
        phase.fail("overview: no client list in the page")
    r = await timed_get(client, phase, "live_overview", "/live/overview")
    if r is not None and '<h2 id="clients-h">Clients</h2>' not in r.text:
        phase.fail("live overview: no client list in the region")


def device_visit(
    device_checks: dict[int, list[int]], device_ids: list[int]
) -> Callable[[Any, Phase, random.Random], Awaitable[None]]:
    async def visit(client: Any, phase: Phase, rng: random.Random) -> None:
        device = rng.choice(device_ids)
        t = time.perf_counter()
        r = await timed_get(client, phase, "device", f"/devices/{device}")
        if r is None:
            return
        if '<section aria-labelledby="history-h"' not in r.text:
            phase.fail(f"device {device}: no history section")
            return
        charts = await asyncio.gather(
            *(
                timed_get(client, phase, "chart", f"/api/v1/checks/{c}/history?range=30d")
                for c in device_checks[device]
            )
        )
        for c, chart in zip(device_checks[device], charts, strict=True):
            if chart is None:
                return
            points = chart.json().get("points", [])
            if len(points) < 180 or sum(p["count"] for p in points) < 60 * 24 * 29:
                phase.fail(f"check {c}: {len(points)} points, too few results in them")
                return
        phase.add("visit", (time.perf_counter() - t) * 1000)

    return visit


async def run_phase(
    base: str,
    cookies: Any,
    phase: Phase,
    action: Callable[[Any, Phase, random.Random], Awaitable[None]],
    count: int,
    users: int,
    cap_s: float,
    warmup: int,
    server_pid: int,
) -> None:
    """`users` clients send `count` actions between them, one at a time each."""
    import httpx

    limits = httpx.Limits(max_connections=users * 4)
    async with httpx.AsyncClient(
        base_url=base, cookies=cookies, timeout=120.0, limits=limits
    ) as client:
        rng = random.Random(7)
        scratch = Phase("warm-up")
        for _ in range(warmup):
            await action(client, scratch, rng)
        left = [count]
        phase.asked = count
        deadline = time.monotonic() + cap_s

        async def user(seed: int) -> None:
            urng = random.Random(seed)
            while left[0] > 0 and time.monotonic() < deadline:
                left[0] -= 1
                await action(client, phase, urng)
                phase.requests += 1

        cpu0 = sum(process_cpu_s(server_pid))
        t = time.perf_counter()
        await asyncio.gather(*(user(100 + i) for i in range(users)))
        phase.seconds = time.perf_counter() - t
        phase.server_cpu_s = sum(process_cpu_s(server_pid)) - cpu0


# --- one database ---------------------------------------------------------------------------


@dataclass
class Options:
    sizes: Sizes
    users: int
    overview_requests: int
    device_visits: int
    cap_s: float
    warmup: int
    profile: bool
    profile_requests: int
    rounds: int


def create_admin(url: str) -> str:
    from sitekeeper.auth import accounts
    from sitekeeper.auth.principal import Role
    from sitekeeper.results.store import Store

    password = secrets.token_urlsafe(24)
    store = Store.from_url(url)
    try:
        with store.session() as session:
            accounts.create_user(
                session,
                email=ADMIN_EMAIL,
                name="Bench admin",
                role=Role.ADMIN,
                now=time.time(),
                password=password,
            )
            session.commit()
    finally:
        store.close()
    return password


def bench_database(url: str, opts: Options, out: dict[str, Any], prefix: str) -> None:
    import httpx

    from sitekeeper.results.store import Store

    t = time.perf_counter()
    store = Store.from_url(url)  # the product's migrations make the schema
    try:
        gen = generate(store.engine, opts.sizes, time.time())
    finally:
        store.close()
    password = create_admin(url)
    out[f"{prefix}_generate_s"] = round(time.perf_counter() - t, 1)
    out[f"{prefix}_generate_detail_s"] = {k: round(v, 1) for k, v in gen.seconds.items()}
    out.setdefault("rows", gen.rows)
    out.setdefault("rollup_rows", gen.rows["rollups_hourly"])
    out.setdefault("result_rows", gen.rows["results"])
    out.setdefault("open_incidents", gen.open_incidents)

    phases = [
        ("overview", overview_once, opts.overview_requests),
        ("device", device_visit(gen.device_checks, sorted(gen.device_checks)), opts.device_visits),
    ]
    rounds: list[list[Phase]] = []
    # as a running collector keeps them: every check's last result seconds old (generating
    # PostgreSQL's store takes longer than a check takes to go stale)
    store = Store.from_url(url)
    try:
        refresh_states(store.engine, time.time())
    finally:
        store.close()
    with running_server(url) as (pid, port):
        base = f"http://127.0.0.1:{port}"

        async def measure() -> list[Phase]:
            async with httpx.AsyncClient(base_url=base, timeout=120.0) as login:
                await sign_in(login, password)
                cookies = login.cookies
            done = []
            for name, action, count in phases:
                phase = Phase(name)
                await run_phase(
                    base, cookies, phase, action, count, opts.users, opts.cap_s, opts.warmup, pid
                )
                done.append(phase)
            return done

        for _ in range(opts.rounds):
            # as a running collector keeps them: every check's last result seconds old
            store = Store.from_url(url)
            try:
                refresh_states(store.engine, time.time())
            finally:
                store.close()
            rounds.append(asyncio.run(measure()))
    report_rounds(rounds, out, prefix)
    if opts.profile:
        profile_database(url, password, gen, opts, prefix)


def report_rounds(rounds: list[list[Phase]], out: dict[str, Any], prefix: str) -> None:
    """Each figure is the median over rounds of that round's value, with its min and max
    (`_min`, `_max`) and every round's value (`_rounds`)."""
    per_round: list[dict[str, Any]] = []
    for phases in rounds:
        figures: dict[str, Any] = {}
        for phase in phases:
            report_phase(phase, figures, prefix)
        per_round.append(figures)
    for key in per_round[0]:
        values = [r[key] for r in per_round if key in r]
        if not all(isinstance(x, int | float) for x in values):
            continue
        if key.endswith(("_errors", "_not_sent", "_n")):
            out[key] = sum(values)  # counts: over every round
            continue
        out[key] = round(statistics.median(values), 1)
        out[f"{key}_min"] = min(values)
        out[f"{key}_max"] = max(values)
        out[f"{key}_rounds"] = values


def report_phase(phase: Phase, out: dict[str, Any], prefix: str) -> None:
    for kind, values in phase.latencies_ms.items():
        key = f"{prefix}_{kind}"
        out[f"{key}_p50_ms"] = round(pct(values, 50), 1)
        out[f"{key}_p95_ms"] = round(pct(values, 95), 1)
        out[f"{key}_p99_ms"] = round(pct(values, 99), 1)
        out[f"{key}_n"] = len(values)
    n = sum(len(v) for k, v in phase.latencies_ms.items() if k != "visit")
    out[f"{prefix}_{phase.name}_requests_per_s"] = (
        round(n / phase.seconds, 2) if phase.seconds else 0
    )
    out[f"{prefix}_{phase.name}_server_cpu_ms_per_request"] = (
        round(phase.server_cpu_s * 1000 / n, 1) if n else float("nan")
    )
    out[f"{prefix}_{phase.name}_errors"] = phase.errors
    out[f"{prefix}_{phase.name}_not_sent"] = phase.asked - phase.requests  # the time cap
    for sample in phase.error_samples:
        print(f"{prefix} {phase.name} error: {sample}", file=sys.stderr)


def profile_database(url: str, password: str, gen: Generated, opts: Options, prefix: str) -> None:
    """A few requests of each page, one at a time, with the server under cProfile; the top
    functions and SQL statements per request go to stderr."""
    import httpx

    with tempfile.TemporaryDirectory() as tmp:
        out_file = str(Path(tmp) / "server.prof")
        with running_server(url, out_file) as (_pid, port):

            async def go() -> None:
                async with httpx.AsyncClient(
                    base_url=f"http://127.0.0.1:{port}", timeout=300.0
                ) as client:
                    await sign_in(client, password)
                    phase = Phase("profile")
                    rng = random.Random(3)
                    visit = device_visit(gen.device_checks, sorted(gen.device_checks))
                    for _ in range(opts.profile_requests):
                        await overview_once(client, phase, rng)
                        await visit(client, phase, rng)

            asyncio.run(go())
        per_request = json.loads(Path(out_file + ".json").read_text())
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for r in per_request:
            kind = re.sub(r"/\d+", "/{id}", r["path"])
            by_kind.setdefault(kind, []).append(r)
        print(f"\n=== {prefix}: server-side time and SQL statements per request", file=sys.stderr)
        for kind, rs in by_kind.items():
            print(
                f"  {kind}: n={len(rs)} median {statistics.median(r['ms'] for r in rs):.1f} ms, "
                f"SQL statements {sorted({r['sql'] for r in rs})}",
                file=sys.stderr,
            )
        print(f"\n=== {prefix}: cProfile of those requests (cumulative)", file=sys.stderr)
        stats = pstats.Stats(out_file, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(45)
        print(f"\n=== {prefix}: cProfile (own time)", file=sys.stderr)
        stats.sort_stats("tottime").print_stats(25)


@contextlib.contextmanager
def sqlite_url() -> Iterator[str]:
    tmp = tempfile.mkdtemp(prefix="sk-bench-dashboard-")
    try:
        yield f"sqlite:///{tmp}/sitekeeper.db"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def postgres_url(server: str) -> Iterator[str]:
    """A database of our own on the server, dropped afterwards (only this one)."""
    from sqlalchemy import create_engine, text

    name = f"sk_bench_dashboard_{os.getpid()}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield f"{server}/{name}"
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=500)
    ap.add_argument("--devices-per-client", type=int, default=50)
    ap.add_argument("--checks-per-device", type=int, default=2)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--users", type=int, default=4, help="simulated users, one request each")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of the phases on one store")
    ap.add_argument("--overview-requests", type=int, default=10, help="per round (page + poll)")
    ap.add_argument("--device-visits", type=int, default=40, help="per round")
    ap.add_argument("--warmup", type=int, default=1, help="unmeasured actions per phase")
    ap.add_argument("--phase-cap", type=float, default=15.0, help="seconds at most per phase")
    ap.add_argument("--db", default="sqlite,postgresql", help="sqlite, postgresql or both")
    ap.add_argument("--pg", default=PG_SERVER, help="PostgreSQL server URL (no database)")
    ap.add_argument("--profile", action="store_true", help="cProfile a few requests (stderr)")
    ap.add_argument("--profile-requests", type=int, default=3)
    ap.add_argument("--serve", help=argparse.SUPPRESS)  # the server child
    ap.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve_child(args.serve, args.profile_out)
        return
    sizes = Sizes(
        clients=args.clients,
        devices_per_client=args.devices_per_client,
        checks_per_device=args.checks_per_device,
        days=args.days,
    )
    opts = Options(
        sizes=sizes,
        users=args.users,
        overview_requests=args.overview_requests,
        device_visits=args.device_visits,
        cap_s=args.phase_cap,
        warmup=args.warmup,
        profile=args.profile,
        profile_requests=args.profile_requests,
        rounds=max(1, args.rounds),
    )
    out: dict[str, Any] = {**sizes.as_dict(), "users": args.users, "rounds": opts.rounds}
    t0 = time.perf_counter()
    for db in [d.strip() for d in args.db.split(",") if d.strip()]:
        if db == "sqlite":
            with sqlite_url() as url:
                bench_database(url, opts, out, "sqlite")
        elif db in ("postgresql", "pg"):
            with postgres_url(args.pg) as url:
                bench_database(url, opts, out, "pg")
        else:
            raise SystemExit(f"--db: unknown database {db!r}; use sqlite, postgresql or both")
    out["total_s"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
