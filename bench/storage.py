"""Storage on SQLite: batched result ingest, and the database's size over a year.

    python bench/storage.py --ingest-rows 100000 --hours 24
    python bench/storage.py --profile        # the ingest under cProfile; top functions on stderr

Both parts use an inventory of 1,000 devices with one check each at 60 s: half ICMP (three
echoes), 30% TCP connect and 20% HTTP. Observations carry what those probes report: latency
and the probe's values (ICMP: loss, packets sent and received, rtt avg/min/max/jitter; TCP:
connect time; HTTP: status, latency, body size), and about 0.5% of them fail (refused or
timed out, no latency). A few checks flap so that the batches carry flips too.

Ingest: `Ingestor.ingest()` (the path the results sink uses: classify, state engine, results,
check and device states, flips; one transaction per batch) on a fresh SQLite file in the
data directory's configuration (WAL, synchronous=NORMAL), in batches of the sink's largest
size (2,000). Each batch is two minutes of the 1,000 checks, in time order. Two warm-up
batches (the first writes every check's state row) are not measured. Rows per second is the
rows stored over the wall time of the measured ingest() calls; CPU is this process's
getrusage() time over the same calls (generating the observations is not counted).

Size: a day (`--hours`) of raw results for the 1,000 checks (1.44 M rows at 60 s), the
same plain rows the ingest writes to `results` (columns, JSON text), inserted with sqlite3
directly to save time, in 2,000-row transactions, time order. The file is measured after
VACUUM (and a WAL checkpoint): bytes per plain result = growth over the empty database /
rows (what the open hour costs). Then the retention pass (`retention.maintain`) packs those
hours into `results_packed` (one row per check and hour) and rolls them up into
`rollups_hourly`; bytes per (packed) raw result = the packed table's pages (SQLite's dbstat)
/ rows, bytes per rollup row = the rollup table's pages / rollups, and their sum is checked
against the file's growth. The ingest's own database, its complete hours packed by the same
pass at the end, gives bytes per packed result as a cross-check. The steady state after a
year with the defaults is 14 days of packed raw results + up to two hours of plain ones (the
open hour and the one the hourly pass has not reached) + 365 days of hourly rollups (kept
400 days) + the flips of a year (kept; bytes per flip measured in the ingest database, at
`--flips-per-check-day`) + the fixed tables (inventory, states). Retention is checked (raw
results counted in both tables): at now = the middle hour + 14 days it must delete exactly
the raw results before that hour and keep every rollup; at the middle hour + 400 days every
raw result and exactly the rollups older than 400 days.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select

from sitekeeper.db import models as m
from sitekeeper.inventory.apply import apply_inventory
from sitekeeper.inventory.validate import parse_inventory
from sitekeeper.observation import Observation, Value
from sitekeeper.results.ingest import Envelope, Ingestor
from sitekeeper.results.retention import maintain
from sitekeeper.results.store import Store

OPEN_HOURS = 2.0  # plain hours in the steady state: the open one, and one the hourly pass missed

INGEST_GOAL = 50_000.0  # rows per second
SIZE_GOAL = 1e9  # bytes
CHECKS = 1000
CLIENTS = 10
INTERVAL = 60.0
BATCH = 2000  # the results sink's max_batch
RAW_DAYS = 14.0  # SITEKEEPER_RAW_RETENTION_DAYS default
ROLLUP_DAYS = 400.0  # SITEKEEPER_ROLLUP_RETENTION_DAYS default
DAY = 86400.0
HOUR = 3600.0
T0 = 1_800_000_000.0 - (1_800_000_000.0 % DAY)  # a midnight (UTC)
KINDS = ("icmp",) * 5 + ("tcp",) * 3 + ("http",) * 2
CHECK_YAML = {
    "icmp": "{type: icmp}",
    "tcp": "{type: tcp, port: 22}",
    "http": "{type: http, url: 'http://127.0.0.1:8080/'}",
}
FAIL_SHARE = 0.005
FLAPPING_EVERY = 97  # every 97th check alternates up and down


def inventory_yaml() -> str:
    lines = ["defaults: {interval: 60s, timeout: 5s, max_attempts: 3}", "clients:"]
    per_client = CHECKS // CLIENTS
    for c in range(CLIENTS):
        lines += [f"  - id: c{c}", "    sites:", "      - id: s", "        devices:"]
        for d in range(per_client):
            kind = KINDS[(c * per_client + d) % len(KINDS)]
            lines.append(
                f"          - {{id: d{d:03d}, kind: other, address: 127.0.{c}.{d + 1}, "
                f"profile_checks: false, checks: [{CHECK_YAML[kind]}]}}"
            )
    return "\n".join(lines) + "\n"


def open_store(path: Path) -> tuple[Store, list[tuple[int, int, str]]]:
    """A migrated store with the inventory applied; (check id, client id, kind) per check."""
    store = Store.from_url(f"sqlite:///{path}")
    with store.session() as session:
        apply_inventory(session, parse_inventory(inventory_yaml()), T0 - DAY)
        session.commit()
        rows = session.execute(select(m.Check.id, m.Check.client_id, m.Check.spec)).all()
    checks = [(cid, client, str(spec["type"])) for cid, client, spec in rows]
    if len(checks) != CHECKS:
        raise SystemExit(f"the inventory made {len(checks)} checks, not {CHECKS}")
    return store, checks


class Observations:
    """Realistic observations, minute by minute, for every check (fixed seed)."""

    def __init__(self, checks: list[tuple[int, int, str]], seed: int) -> None:
        self.checks = checks
        self.rng = np.random.default_rng(seed)
        self.base = self.rng.lognormal(np.log(4.0), 0.8, len(checks))  # each check's usual ms

    def minute(self, k: int) -> Iterator[Observation]:
        n = len(self.checks)
        at = T0 + k * INTERVAL + self.rng.uniform(0, INTERVAL, n)
        spread = self.rng.lognormal(0.0, 0.25, n)
        fail = self.rng.random(n) < FAIL_SHARE
        for i, (check_id, _client, kind) in enumerate(self.checks):
            down = bool(fail[i]) or (i % FLAPPING_EVERY == 0 and (k // 5) % 2 == 1)
            ms = round(float(self.base[i] * spread[i]), 3)
            yield observation(check_id, kind, float(at[i]), None if down else ms)


def observation(check_id: int, kind: str, at: float, ms: float | None) -> Observation:
    values: dict[str, Value]
    if kind == "icmp":
        values = {"loss_pct": 100.0 if ms is None else 0.0, "packets_sent": 3}
        values["packets_received"] = 0 if ms is None else 3
        if ms is None:
            return Observation(check_id, at, False, None, values, "100% packet loss (0/3 replies)")
        lo, hi = round(ms * 0.8, 3), round(ms * 1.3, 3)
        values |= {"rtt_ms": ms, "rtt_min_ms": lo, "rtt_max_ms": hi, "jitter_ms": round(ms / 7, 3)}
        return Observation(check_id, at, True, ms, values)
    if ms is None:
        return Observation(check_id, at, False, None, {}, "connection refused")
    if kind == "tcp":
        return Observation(check_id, at, True, ms, {"connect_ms": ms})
    values = {"http_status": 200, "latency_ms": ms, "body_bytes": 5120}
    return Observation(check_id, at, True, ms, values)


def cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def table_bytes(path: Path) -> dict[str, int]:
    """Bytes per table, its indexes included (SQLite's dbstat)."""
    con = sqlite3.connect(path)
    try:
        owner = dict(con.execute("SELECT name, tbl_name FROM sqlite_master WHERE type='index'"))
        out: dict[str, int] = {}
        for name, size in con.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
            table = owner.get(name, name)
            out[table] = out.get(table, 0) + int(size)
        return out
    finally:
        con.close()


def object_bytes(path: Path) -> tuple[dict[str, int], float]:
    """Bytes per table or index (dbstat), and the mean length of results' JSON values."""
    con = sqlite3.connect(path)
    try:
        found = {
            str(n): int(b)
            for n, b in con.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name")
        }
        mean = con.execute('SELECT avg(length("values")) FROM results').fetchone()[0]
        return found, float(mean or 0.0)
    finally:
        con.close()


def vacuumed_size(store: Store, path: Path) -> int:
    store.engine.dispose()
    con = sqlite3.connect(path)
    try:
        con.execute("VACUUM")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    return os.path.getsize(path)


# -- ingest -------------------------------------------------------------------------------


def ingest(tmp: Path, rows: int, seed: int, prof: cProfile.Profile | None) -> dict[str, Any]:
    path = tmp / "ingest.db"
    store, checks = open_store(path)
    ingestor = Ingestor(store.engine)
    ingestor.refresh()
    source = Observations(checks, seed)
    seq = 0
    minute = 0

    def batch() -> list[Envelope]:
        nonlocal seq, minute
        out = []
        for _ in range(BATCH // CHECKS):
            for obs in source.minute(minute):
                seq += 1
                out.append(Envelope("bench", seq, obs))
            minute += 1
        return out

    for _ in range(2):  # warm-up: the first batch inserts every check's state row
        ingestor.ingest(batch())
    batches = max(1, rows // BATCH)
    walls: list[float] = []
    stored = flips = 0
    cpu = 0.0
    for _ in range(batches):
        envelopes = batch()
        if prof is not None:
            prof.enable()
        cpu0, t0 = cpu_s(), time.perf_counter()
        report = ingestor.ingest(envelopes)
        walls.append(time.perf_counter() - t0)
        cpu += cpu_s() - cpu0
        if prof is not None:
            prof.disable()
        stored += report.stored
        flips += len(report.flips)
    wall = sum(walls)
    with store.session() as session:
        total = session.scalar(select(func.count()).select_from(m.Result)) or 0
        flip_rows = session.scalar(select(func.count()).select_from(m.Flip)) or 0
    if stored != batches * BATCH or total != stored + 2 * BATCH:
        raise SystemExit(f"ingest stored {stored} of {batches * BATCH} rows ({total} in the table)")
    with store.session() as session, session.begin():  # pack the complete hours (not timed)
        maintain(session, T0 + minute * INTERVAL, RAW_DAYS, ROLLUP_DAYS)
        packed = int(session.scalar(select(func.sum(m.PackedResults.count))) or 0)
    vacuumed_size(store, path)
    sizes = table_bytes(path)
    store.close()
    fixed = sum(
        v
        for k, v in sizes.items()
        if k not in ("results", "results_packed", "rollups_hourly", "flips")
    )
    per_batch = sorted(BATCH / w for w in walls)
    return {
        "ingest_rows": stored,
        "ingest_batch": BATCH,
        "ingest_rows_per_s": round(stored / wall),
        "ingest_batch_rows_per_s_p50": round(statistics.median(per_batch)),
        "ingest_batch_rows_per_s_min": round(per_batch[0]),
        "ingest_cpu_us_per_row": round(cpu * 1e6 / stored, 1),
        "ingest_rows_per_cpu_s": round(stored / cpu),
        "ingest_flips": flips,
        "ingest_goal_ratio": round(stored / wall / INGEST_GOAL, 3),
        "_flip_rows": flip_rows,
        "_flip_bytes": sizes.get("flips", 0),
        "_fixed_bytes": fixed,
        "_ingest_result_bytes_per_row": sizes.get("results_packed", 0) / packed if packed else None,
    }


# -- size and retention -------------------------------------------------------------------


def raw_rows(checks: list[tuple[int, int, str]], hours: int, seed: int) -> Iterator[list[Any]]:
    """The results of `hours` hours in 2,000-row chunks, as the ingest writes them (its JSON
    column is `json.dumps` of the values, "null" for none)."""
    source = Observations(checks, seed)
    client = {cid: client for cid, client, _ in checks}
    chunk: list[tuple[Any, ...]] = []
    for k in range(int(hours * HOUR / INTERVAL)):
        for obs in source.minute(k):
            values = json.dumps(dict(obs.values) or None)
            status = "OK" if obs.ok else "CRIT"
            chunk.append(
                (
                    client[obs.check_id],
                    obs.check_id,
                    obs.at,
                    status,
                    obs.latency_ms,
                    values,
                    obs.error,
                )
            )
            if len(chunk) == BATCH:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def write_raw(path: Path, checks: list[tuple[int, int, str]], hours: int, seed: int) -> int:
    """Insert the raw results with the store's SQLite settings, one transaction per chunk."""
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        sql = (
            'INSERT INTO results (client_id, check_id, at, status, latency_ms, "values", error) '
            "VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        rows = 0
        for chunk in raw_rows(checks, hours, seed):
            with con:
                con.executemany(sql, chunk)
            rows += len(chunk)
        return rows
    finally:
        con.close()


def count(store: Store, model: type[m.Rollup], *where: Any) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def raw_count(session: Any, before: float | None = None, *, plain: bool = False) -> int:
    """Raw results before `before` (an hour boundary; None: all), packed and plain."""
    r, p = m.Result, m.PackedResults
    q_plain = select(func.count()).select_from(r)
    q_packed = select(func.sum(p.count))
    if before is not None:
        q_plain, q_packed = q_plain.where(r.at < before), q_packed.where(p.hour < before)
    found = int(session.scalar(q_plain) or 0)
    return found if plain else found + int(session.scalar(q_packed) or 0)


def raw_results(store: Store, before: float | None = None) -> int:
    with store.session() as session:
        return raw_count(session, before)


def size(tmp: Path, hours: int, seed: int) -> dict[str, Any]:
    path = tmp / "size.db"
    store, checks = open_store(path)
    empty = vacuumed_size(store, path)
    t0 = time.perf_counter()
    rows = write_raw(path, checks, hours, seed)
    write_s = time.perf_counter() - t0
    with_raw = vacuumed_size(store, path)
    plain_objects, values_len = object_bytes(path)
    result_index = sum(plain_objects.get(i, 0) for i in ("ix_results_check_at", "ix_results_at"))
    end = T0 + hours * HOUR
    t0 = time.perf_counter()
    with store.session() as session, session.begin():
        report = maintain(session, end + 1.0, RAW_DAYS, ROLLUP_DAYS)
    rollup_s = time.perf_counter() - t0
    rollups = report.rollup_rows
    if report.raw_deleted or report.hours_rolled != hours or rollups != hours * CHECKS:
        raise SystemExit(f"rolling up {hours} hour(s) gave {report}")
    if raw_results(store) != rows or raw_results(store, T0) != 0:
        raise SystemExit(f"packing kept {raw_results(store)} of {rows} raw results")
    packed_size = vacuumed_size(store, path)
    objects, _ = object_bytes(path)
    packed_bytes = objects.get("results_packed", 0)
    rollup_bytes = objects.get("rollups_hourly", 0)
    rollup_index = sum(
        b for n, b in objects.items() if n.startswith(("ix_rollups", "sqlite_autoindex_rollups"))
    )
    growth = packed_size - empty
    if abs(growth - packed_bytes - rollup_bytes - rollup_index) > 0.02 * growth:
        raise SystemExit(f"the tables' pages ({packed_bytes} + {rollup_bytes}) miss {growth}")

    # Retention: the middle hour + 14 days cuts the raw rows at that hour.
    noon = T0 + (hours // 2) * HOUR
    cutoff = noon  # (noon + 14 days) - 14 days
    expected = raw_results(store, cutoff)
    with store.session() as session, session.begin():
        r14 = maintain(session, noon + RAW_DAYS * DAY, RAW_DAYS, ROLLUP_DAYS)
    left = raw_results(store)
    ok_raw = r14.raw_deleted == expected and left == rows - expected and r14.rollups_deleted == 0
    ok_raw = ok_raw and raw_results(store, cutoff) == 0
    old_rollups = count(store, m.Rollup, m.Rollup.hour < noon)
    with store.session() as session, session.begin():
        r400 = maintain(session, noon + ROLLUP_DAYS * DAY, RAW_DAYS, ROLLUP_DAYS)
    ok_rollup = r400.raw_deleted == left and r400.rollups_deleted == old_rollups
    ok_rollup = ok_rollup and count(store, m.Rollup) == rollups - old_rollups
    if not (ok_raw and ok_rollup):
        raise SystemExit(
            f"retention is wrong: at +14 days {r14} (expected {expected} raw deleted), "
            f"at +400 days {r400} (expected {left} raw and {old_rollups} rollups deleted)"
        )
    store.close()
    return {
        "size_raw_rows": rows,
        "size_write_rows_per_s": round(rows / write_s),
        "rollup_s": round(rollup_s, 2),
        "bytes_per_result": round(packed_bytes / rows, 1),
        "bytes_per_rollup": round((rollup_bytes + rollup_index) / rollups, 1),
        "bytes_per_plain_result": round((with_raw - empty) / rows, 1),
        "plain_result_index_bytes": round(result_index / rows, 1),
        "plain_result_values_json_bytes": round(values_len, 1),
        "rollup_index_bytes": round(rollup_index / rollups, 1),
        "retention_raw_deleted": r14.raw_deleted,
        "retention_rollups_deleted": r400.rollups_deleted,
        "retention_ok": True,  # a wrong count stops the script
        "_empty_bytes": empty,
    }


def steady_state(
    found: dict[str, Any], ingest_part: dict[str, Any], flips_per_check_day: float
) -> dict[str, Any]:
    per_day = CHECKS * DAY / INTERVAL
    raw = RAW_DAYS * per_day * found["bytes_per_result"]
    open_hours = OPEN_HOURS * per_day / 24 * found["bytes_per_plain_result"]
    rollups = min(365.0, ROLLUP_DAYS) * 24 * CHECKS * found["bytes_per_rollup"]
    bytes_per_flip = ingest_part["_flip_bytes"] / max(ingest_part["_flip_rows"], 1)
    flips = 365 * CHECKS * flips_per_check_day * bytes_per_flip
    fixed = max(found["_empty_bytes"], ingest_part["_fixed_bytes"])
    cross = ingest_part["_ingest_result_bytes_per_row"]
    total = raw + open_hours + rollups + flips + fixed
    return {
        "year_mb": round(total / 1e6, 1),
        "year_raw_mb": round(raw / 1e6, 1),
        "year_open_hours_mb": round(open_hours / 1e6, 1),
        "year_rollup_mb": round(rollups / 1e6, 1),
        "year_flips_mb": round(flips / 1e6, 1),
        "fixed_mb": round(fixed / 1e6, 2),
        "bytes_per_flip": round(bytes_per_flip, 1),
        "ingest_db_bytes_per_result": (
            None if cross is None else round(cross, 1)  # None: no complete hour was ingested
        ),
        "size_goal_ratio": round(total / SIZE_GOAL, 3),
    }


# Where a function's own time goes: the first matching part of its file (or built-in's name).
PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("state engine (classify, baseline, evaluate, flapping)", ("sitekeeper/state/",)),
    ("ingest loop and row dicts", ("sitekeeper/results/",)),
    ("JSON encoding", ("json/", "_json")),
    ("sqlite3 executemany and commit", ("sqlite3", "'executemany'", "'commit'")),
    ("SQLAlchemy (ORM bulk insert, upsert compile, params)", ("sqlalchemy/",)),
)


def parts(prof: cProfile.Profile) -> dict[str, float]:
    """Each part's share of the profile's own time (tottime), summing to 1."""
    totals: dict[str, float] = {}
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    for (filename, _line, name), row in stats.items():
        where = f"{filename} {name}".replace("\\", "/")
        part = next((p for p, keys in PARTS if any(k in where for k in keys)), "other")
        totals[part] = totals.get(part, 0.0) + row[2]
    whole = sum(totals.values()) or 1.0
    return {k: v / whole for k, v in totals.items()}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--ingest-rows", type=int, default=100_000, help="rows ingested (measured)")
    ap.add_argument("--hours", type=int, default=24, help="hours of raw results for the size")
    ap.add_argument(
        "--flips-per-check-day", type=float, default=1.0, help="flips a year is sized for"
    )
    ap.add_argument(
        "--size-dir",
        type=Path,
        default=None,
        help="where the size database is written (e.g. a tmpfs: the bytes are the same)",
    )
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--profile", action="store_true", help="profile the ingest (stderr)")
    ap.add_argument("--top", type=int, default=30, help="functions shown by --profile")
    args = ap.parse_args()
    if args.hours < 2:
        ap.error(f"--hours {args.hours}: need at least two whole hours")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        if args.profile:
            prof = cProfile.Profile()
            ingest(tmp, args.ingest_rows, args.seed, prof)
            for order in ("cumulative", "tottime"):
                print(f"--- top {args.top} by {order} ---", file=sys.stderr)
                stats = pstats.Stats(prof, stream=sys.stderr).strip_dirs()
                stats.sort_stats(order).print_stats(args.top)
            print("--- own time by part ---", file=sys.stderr)
            for part, share in sorted(parts(prof).items(), key=lambda kv: -kv[1]):
                print(f"{share:6.1%}  {part}", file=sys.stderr)
            return
        t0 = time.perf_counter()
        ingest_part = ingest(tmp, args.ingest_rows, args.seed, None)
        print(f"ingest: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(dir=args.size_dir) as size_tmp:
            found = size(Path(size_tmp), args.hours, args.seed + 1)
        print(f"size: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    result = {k: v for k, v in ingest_part.items() if not k.startswith("_")}
    result |= {k: v for k, v in found.items() if not k.startswith("_")}
    result |= steady_state(found, ingest_part, args.flips_per_check_day)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
