"""A generated MSP in a sitekeeper store, for the dashboard benchmark (bench/dashboard.py).

    generate(store, sizes, now) -> {table: rows} and the seconds each step took

The store is made by the product's own migrations; rows are written in bulk straight into
its tables, in the shapes `sitekeeper inventory apply` and the ingest pipeline write:

- clients, each with `sites_per_client` sites and `devices_per_client` devices spread over
  them: a router and a switch per site, every other device behind the site's switch;
- `checks_per_device` checks per device (icmp, then tcp, http, ...), every 60 s, with their
  state (the last result, a 60-latency baseline, the status history);
- hourly rollups for every check over `days` days, up to the start of the current hour (the
  rollup watermark), and raw results for the last hour, as the retention job leaves them;
- what goes wrong: one site in 40 has its switch DOWN (an open incident, the rest of the
  site UNREACHABLE behind it), one device in 499 DOWN on its own (an open incident), one in
  97 DEGRADED (a check in WARN); 20 resolved incidents per client over the period; four
  status changes (flips) per device.

Small tables go in with executemany (SQLite) or COPY (PostgreSQL). Rollups and results are
made by the database itself (INSERT ... SELECT from the checks), hour by hour (results minute
by minute) as the collector and the rollup job write them, so one check's rows are spread
over the table as in a running store; SQLite's rollups are the exception (check by check; see
below). Secondary indexes are dropped for the load and built again afterwards with the same
names and definitions (on PostgreSQL the primary keys too), SQLite loads without a journal,
and PostgreSQL's tables are VACUUMed and ANALYZEd, as autovacuum would have done long before
in a running system (else its vacuum of 36 M freshly loaded rows runs during the measurement).
"""

from __future__ import annotations

import json
import math
import random
import sqlite3
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, text

HOUR = 3600
INTERVAL_S = 60  # every check's interval
OUTAGE_SITE_EVERY = 40  # one site in 40: its switch is down, the rest unreachable
DOWN_EVERY = 499  # one device in 499: down on its own
WARN_EVERY = 97  # one device in 97: a check in WARN, the device DEGRADED
RESOLVED_PER_CLIENT = 20

KINDS: tuple[tuple[str, str], ...] = (
    ("camera", "security"),
    ("access_point", "network"),
    ("display", "av"),
    ("workstation", "it"),
    ("audio_zone", "av"),
    ("printer", "it"),
    ("keypad", "control"),
    ("nvr", "security"),
    ("projector", "av"),
    ("ups", "power"),
    ("lighting_processor", "control"),
    ("thermostat", "control"),
)
_BASE = {
    "enabled": True,
    "interval": "1m",
    "retry_interval": None,
    "timeout": "10s",
    "max_attempts": 3,
    "thresholds": [],
    "baseline": True,
    "credentials": None,
}
CHECK_SPECS: tuple[tuple[str, str, int | None, dict[str, Any]], ...] = (
    (
        "icmp",
        "icmp",
        None,
        {"count": 3, "packet_interval": "200ms", "payload_size": 56, "max_loss_pct": 100.0},
    ),
    (
        "tcp",
        "tcp",
        443,
        {
            "port": 443,
            "port_name": None,
            "send": None,
            "expect": None,
            "tls": False,
            "verify_tls": True,
        },
    ),
    (
        "web",
        "http",
        80,
        {
            "url": None,
            "scheme": "http",
            "port": None,
            "port_name": "http",
            "path": "/",
            "method": "GET",
            "headers": {},
            "body": None,
            "expect_status": [200, 204, 301, 302],
            "verify_tls": True,
            "follow_redirects": True,
        },
    ),
    (
        "ssh",
        "tcp",
        22,
        {
            "port": 22,
            "port_name": None,
            "send": None,
            "expect": None,
            "tls": False,
            "verify_tls": True,
        },
    ),
)


@dataclass(frozen=True)
class Sizes:
    clients: int = 500
    sites_per_client: int = 2
    devices_per_client: int = 50
    checks_per_device: int = 2
    days: int = 30

    @property
    def devices(self) -> int:
        return self.clients * self.devices_per_client

    @property
    def checks(self) -> int:
        return self.devices * self.checks_per_device

    def as_dict(self) -> dict[str, int]:
        return {
            "clients": self.clients,
            "sites": self.clients * self.sites_per_client,
            "devices": self.devices,
            "checks": self.checks,
            "history_days": self.days,
        }


@dataclass
class Generated:
    """What was written: rows per table, seconds per step, and ids the load client uses."""

    rows: dict[str, int]
    seconds: dict[str, float]
    device_checks: dict[int, list[int]]  # device id -> its check ids
    open_incidents: int


def _j(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "))


class _Loader:
    """Bulk rows into a table: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pg = engine.dialect.name == "postgresql"

    def load(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        cols = ", ".join(f'"{c}"' for c in columns)
        raw = self.engine.raw_connection()
        n = 0
        try:
            if self.pg:
                conn: Any = raw.driver_connection
                with conn.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
                    for row in rows:
                        cp.write_row(row)
                        n += 1
            else:
                cur = raw.cursor()
                marks = ", ".join("?" for _ in columns)
                batch: list[Sequence[Any]] = []
                for row in rows:
                    batch.append(tuple(_sqlite_value(v) for v in row))
                    if len(batch) >= 20_000:
                        cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", batch)
                        n += len(batch)
                        batch = []
                if batch:
                    cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", batch)
                    n += len(batch)
                cur.close()
            raw.commit()
        finally:
            raw.close()
        return n

    def bulk_sql(self, table: str, sql: str, steps: Sequence[dict[str, Any]]) -> int:
        """Run the INSERT ... SELECT `sql` once per parameter set in `steps`, in the database,
        without the table's secondary indexes (built again afterwards with the same names and
        definitions; on PostgreSQL the primary key too, and the steps on two connections)."""
        if not self.pg:
            return self._bulk_sqlite(table, sql, steps)
        with self.engine.begin() as conn:
            cons = conn.execute(
                text(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = CAST(:t AS regclass) AND contype IN ('p', 'u')"
                ),
                {"t": table},
            ).all()
            names = {c for c, _ in cons}
            idx = conn.execute(
                text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t"),
                {"t": table},
            ).all()
            for name, _ in idx:
                if name not in names:
                    conn.execute(text(f'DROP INDEX "{name}"'))
            for name, _ in cons:
                conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
        keep = [f'ALTER TABLE {table} ADD CONSTRAINT "{c}" {d}' for c, d in cons]
        keep += [d for name, d in idx if name not in names]

        def worker(share: Sequence[dict[str, Any]]) -> int:
            n = 0
            with self.engine.connect() as conn:
                conn.execute(text("SET synchronous_commit = off"))
                for params in share:
                    n += int(getattr(conn.execute(text(sql), params), "rowcount", 0) or 0)
                    conn.commit()
            return n

        with ThreadPoolExecutor(2) as pool:
            n = sum(pool.map(worker, [steps[0::2], steps[1::2]]))
        with self.engine.begin() as conn:
            conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
            for ddl in keep:
                conn.execute(text(ddl))
        return n

    def _bulk_sqlite(self, table: str, sql: str, steps: Sequence[dict[str, Any]]) -> int:
        """One connection of our own, without a journal for the load (nothing else has the
        file open; the store's own connections put it back in WAL mode)."""
        self.engine.dispose()
        conn = sqlite3.connect(str(self.engine.url.database), isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA cache_size=-262144")  # 256 MB
            idx = conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL",
                (table,),
            ).fetchall()
            conn.execute("BEGIN")
            for name, _ in idx:
                conn.execute(f'DROP INDEX "{name}"')
            n = sum(conn.execute(sql, params).rowcount for params in steps)
            for _, ddl in idx:
                conn.execute(ddl)
            conn.execute("COMMIT")
            conn.execute("PRAGMA journal_mode=WAL")
        finally:
            conn.close()
        return int(n)


def _sqlite_value(v: Any) -> Any:
    if isinstance(v, date):
        return v.isoformat()
    return v


def _noise(salt: int) -> str:
    """A number in [0, 1) that varies from row to row of `c` (checks) x `h` (steps): integer
    arithmetic, much cheaper than random() per row on SQLite."""
    return f"(((c.id * {7919 + salt} + h.j * 104729) % 1000) / 1000.0)"


def generate(engine: Engine, sizes: Sizes, now: float, seed: int = 6) -> Generated:
    """Fill an empty, migrated store with the MSP of `sizes`, its state as of `now`."""
    rng = random.Random(seed)
    loader = _Loader(engine)
    rows: dict[str, int] = {}
    seconds: dict[str, float] = {}
    hour0 = math.floor(now / HOUR) * HOUR
    start = hour0 - sizes.days * 86400
    created = start - 86400.0

    t = time.perf_counter()
    clients = [
        (
            c,
            f"client-{c:03d}",
            f"Client {c:03d} {('Dental', 'Residence', 'Offices', 'Hotel', 'School')[c % 5]}",
            None,
            "{}",
            "{}",
            "[]",
            "{}",
            created,
            created,
        )
        for c in range(1, sizes.clients + 1)
    ]
    rows["clients"] = loader.load(
        "clients",
        (
            "id",
            "key",
            "name",
            "contact",
            "defaults",
            "notify",
            "maintenance",
            "service",
            "created_at",
            "updated_at",
        ),
        clients,
    )
    site_rows: list[tuple[Any, ...]] = []
    device_rows: list[tuple[Any, ...]] = []
    check_rows: list[tuple[Any, ...]] = []
    cstate_rows: list[tuple[Any, ...]] = []
    dstate_rows: list[tuple[Any, ...]] = []
    eff_rows: list[tuple[Any, ...]] = []
    incident_rows: list[tuple[Any, ...]] = []
    device_checks: dict[int, list[int]] = {}
    site_id = device_id = check_id = incident_id = open_incidents = 0
    per_site = math.ceil(sizes.devices_per_client / sizes.sites_per_client)
    for c in range(1, sizes.clients + 1):
        client_devices: list[int] = []
        made = 0
        for s in range(sizes.sites_per_client):
            site_id += 1
            site_rows.append(
                (
                    site_id,
                    c,
                    f"site-{s + 1}",
                    "Main office" if s == 0 else f"Branch {s + 1}",
                    f"{s + 1} High Street",
                    "UTC",
                    None,
                )
            )
            outage = site_id % OUTAGE_SITE_EVERY == 0
            n_here = min(per_site, sizes.devices_per_client - made)
            members: list[int] = []
            switch_id = 0
            for d in range(n_here):
                device_id += 1
                made += 1
                if d == 0:
                    kind, system, key, parents, crit = "router", "network", f"router-{s}", [], 5
                elif d == 1:
                    kind, system, key = "switch", "network", f"switch-{s}"
                    parents, crit = [f"router-{s}"], 4
                    switch_id = device_id
                else:
                    kind, system = KINDS[(d - 2) % len(KINDS)]
                    key, parents, crit = f"{kind}-{s}-{d}", [f"switch-{s}"], 3
                address = f"10.{c % 256}.{s}.{d + 1}"
                entry: dict[str, Any] = {"id": key, "kind": kind, "address": address}
                if parents:
                    entry["depends_on"] = parents
                device_rows.append(
                    (
                        device_id,
                        c,
                        site_id,
                        key,
                        key.replace("-", " ").title(),
                        kind,
                        system,
                        address,
                        "Acme",
                        f"{kind.upper()}-{d % 7}",
                        f"SN{device_id:08d}",
                        f"1.{d % 5}.{c % 9}",
                        date(2021, 1 + d % 12, 1 + c % 28),
                        date(2027, 1 + d % 12, 1 + c % 28),
                        crit,
                        _j(parents),
                        "all",
                        "always",
                        "[]",
                        None,
                        _j(entry),
                        created,
                        created,
                        None,
                    )
                )
                client_devices.append(device_id)
                # what this device is doing now
                behind = outage and d >= 2
                down = (outage and d == 1) or (
                    not outage and d >= 2 and device_id % DOWN_EVERY == 0
                )
                warn = not down and not behind and device_id % WARN_EVERY == 0
                ids: list[int] = []
                for k in range(sizes.checks_per_device):
                    check_id += 1
                    ids.append(check_id)
                    name, ctype, port, extra = CHECK_SPECS[k % len(CHECK_SPECS)]
                    if k >= len(CHECK_SPECS):
                        name = f"{name}-{k}"
                    spec = {"name": name, **_BASE, "type": ctype, **extra}
                    check_rows.append(
                        (
                            check_id,
                            c,
                            device_id,
                            name,
                            ctype,
                            _j(spec),
                            port,
                            float(INTERVAL_S),
                            created,
                            created,
                            None,
                        )
                    )
                    base_ms = 0.5 + (check_id % 40) / 4.0
                    if down or behind:
                        status, reason, lat, err = "CRIT", "no answer", None, "timed out after 10s"
                        hist = "O" * 12 + "C" * 9
                    elif warn and k == 0:
                        status, reason, lat, err = "WARN", "latency unusual", base_ms * 9, None
                        hist = "O" * 15 + "W" * 6
                    else:
                        status, reason, lat, err = "OK", None, base_ms, None
                        hist = "O" * 21
                    baseline = [round(base_ms * (0.9 + rng.random() * 0.2), 3) for _ in range(60)]
                    values = {"rtt_avg_ms": lat, "loss_pct": 0.0} if ctype == "icmp" else {}
                    since = now - 3600.0 * (1 + check_id % 200)
                    cstate_rows.append(
                        (
                            check_id,
                            c,
                            status,
                            "HARD",
                            1 if status == "OK" else 3,
                            status,
                            since,
                            since,
                            now - (check_id % INTERVAL_S),
                            False,
                            0.0,
                            hist,
                            _j(baseline),
                            reason,
                            lat,
                            _j(values),
                            err,
                        )
                    )
                device_checks[device_id] = ids
                dstatus = "DOWN" if down or behind else ("DEGRADED" if warn else "UP")
                dreason = (
                    "icmp CRIT: no answer"
                    if dstatus == "DOWN"
                    else ("icmp WARN: latency unusual" if warn else None)
                )
                dsince = now - 1800.0 if dstatus != "UP" else created
                dstate_rows.append((device_id, c, dstatus, dsince, dreason, now))
                eff_status = "UNREACHABLE" if behind else dstatus
                eff_reason = f"behind switch-{s}, which is DOWN" if behind else (dreason or "")
                eff_rows.append(
                    (
                        device_id,
                        c,
                        eff_status,
                        eff_reason,
                        dstatus,
                        False,
                        False,
                        dsince if dstatus == "DOWN" else None,
                        None,
                        None,
                        now,
                    )
                )
                if behind:
                    members.append(device_id)
                elif down and not (outage and d == 1):
                    incident_id += 1
                    open_incidents += 1
                    incident_rows.append(
                        _incident(incident_id, c, site_id, device_id, now - 1800.0, None, [], key)
                    )
            if outage and switch_id:
                incident_id += 1
                open_incidents += 1
                incident_rows.append(
                    _incident(
                        incident_id, c, site_id, switch_id, now - 1800.0, None, members, "switch"
                    )
                )
        for _ in range(RESOLVED_PER_CLIENT):
            incident_id += 1
            root = rng.choice(client_devices)
            opened = start + rng.random() * (sizes.days * 86400 - 7200)
            incident_rows.append(
                _incident(
                    incident_id,
                    c,
                    site_id,
                    root,
                    opened,
                    opened + 300 + rng.random() * 3600,
                    [],
                    f"device {root}",
                )
            )
    seconds["generate_rows_python"] = time.perf_counter() - t

    t = time.perf_counter()
    rows["sites"] = loader.load(
        "sites", ("id", "client_id", "key", "name", "address", "timezone", "retired_at"), site_rows
    )
    rows["devices"] = loader.load(
        "devices",
        (
            "id",
            "client_id",
            "site_id",
            "key",
            "name",
            "kind",
            "system",
            "address",
            "vendor",
            "model",
            "serial",
            "firmware",
            "installed",
            "warranty_end",
            "criticality",
            "depends_on",
            "depends_mode",
            "presence",
            "tags",
            "credentials_ref",
            "entry",
            "created_at",
            "updated_at",
            "retired_at",
        ),
        device_rows,
    )
    rows["checks"] = loader.load(
        "checks",
        (
            "id",
            "client_id",
            "device_id",
            "name",
            "type",
            "spec",
            "port",
            "interval",
            "created_at",
            "updated_at",
            "retired_at",
        ),
        check_rows,
    )
    rows["check_states"] = loader.load(
        "check_states",
        (
            "check_id",
            "client_id",
            "status",
            "state_type",
            "attempt",
            "hard_status",
            "since",
            "hard_since",
            "last_result_at",
            "flapping",
            "percent_change",
            "history",
            "baseline",
            "reason",
            "latency_ms",
            "values",
            "error",
        ),
        cstate_rows,
    )
    rows["device_states"] = loader.load(
        "device_states",
        ("device_id", "client_id", "status", "since", "reason", "updated_at"),
        dstate_rows,
    )
    rows["device_effective"] = loader.load(
        "device_effective",
        (
            "device_id",
            "client_id",
            "status",
            "reason",
            "raw_status",
            "suspect",
            "flapping",
            "down_since",
            "candidate_since",
            "hold_until",
            "updated_at",
        ),
        eff_rows,
    )
    rows["incidents"] = loader.load(
        "incidents",
        (
            "id",
            "client_id",
            "site_id",
            "root_device_id",
            "opened_at",
            "resolved_at",
            "back_since",
            "severity",
            "flapping",
            "members",
            "services",
            "title",
            "silenced_by",
        ),
        incident_rows,
    )
    rows["flips"] = loader.load(
        "flips",
        (
            "client_id",
            "subject",
            "subject_id",
            "old",
            "new",
            "hard",
            "reason",
            "at",
            "processed_at",
        ),
        _flips(device_rows, device_checks, start, sizes.days, rng),
    )
    seconds["load_inventory_and_state"] = time.perf_counter() - t

    pg = loader.pg
    t = time.perf_counter()
    hours = sizes.days * 24
    # one hour in about a thousand has 10 failed results
    bad = f"({'CAST(' if pg else ''}(c.id * 7 + h.j) % 997 = 0{' AS integer)' if pg else ''} * 10)"
    base = "(0.5 + (c.id % 40) / 4.0)"
    rollup = f"""INSERT INTO rollups_hourly (check_id, hour, client_id, count, ok_count,
            warn_count, crit_count, unknown_count, latency_count, latency_sum, latency_min,
            latency_max)
        SELECT c.id, :start + h.j * 3600.0, c.client_id, 60, 60 - {bad}, 0, {bad}, 0,
            60 - {bad}, (60 - {bad}) * {base} * (0.9 + 0.2 * {_noise(0)}), {base} * 0.8,
            {base} * (1.5 + 3 * {_noise(1)})
        FROM checks AS c CROSS JOIN """
    if pg:
        # hour by hour, as the rollup job writes them: one check's rows are spread over the
        # table as in a store that has been running for a month
        rows["rollups_hourly"] = loader.bulk_sql(
            "rollups_hourly",
            rollup + "(SELECT CAST(:j AS integer) AS j) AS h",
            [{"start": float(start), "j": j} for j in range(hours)],
        )
    else:
        # check by check: SQLite keeps the (check_id, hour) key as an index it cannot drop
        # for the load, and inserting hour by hour into it takes three times as long
        rows["rollups_hourly"] = loader.bulk_sql(
            "rollups_hourly",
            rollup + "(WITH RECURSIVE s(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM s "
            "WHERE j < :hours - 1) SELECT j FROM s) AS h",
            [{"start": float(start), "hours": hours}],
        )
    seconds["rollups"] = time.perf_counter() - t

    t = time.perf_counter()
    cast_j = "CAST(:j AS integer)" if pg else ":j"
    rows["results"] = loader.bulk_sql(
        "results",
        f"""INSERT INTO results (client_id, check_id, at, status, latency_ms, "values", error)
        SELECT c.client_id, c.id, :since + h.j * {INTERVAL_S}.0 + (c.id % {INTERVAL_S}),
            c.status, CASE WHEN c.status = 'CRIT' THEN NULL
                ELSE (0.5 + (c.id % 40) / 4.0) * (0.9 + 0.2 * {_noise(2)}) END,
            NULL, c.error
        FROM (SELECT check_id AS id, client_id, status, error FROM check_states) AS c
        CROSS JOIN (SELECT {cast_j} AS j) AS h""",
        [{"since": now - HOUR, "j": j} for j in range(HOUR // INTERVAL_S)],
    )
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO meta (key, value) VALUES ('rollup_watermark', :v)"),
            {"v": repr(float(hour0))},
        )
        if pg:
            for table in ("clients", "sites", "devices", "checks"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    seconds["results"] = time.perf_counter() - t
    if pg:
        t = time.perf_counter()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE)"))
        seconds["vacuum_analyze"] = time.perf_counter() - t
    return Generated(rows, seconds, device_checks, open_incidents)


def _incident(
    iid: int,
    client: int,
    site: int,
    root: int,
    opened: float,
    resolved: float | None,
    members: list[int],
    what: str,
) -> tuple[Any, ...]:
    return (
        iid,
        client,
        site,
        root,
        opened,
        resolved,
        None,
        4 if members else 3,
        False,
        _j(members),
        "[]",
        f"{what} is DOWN" + (f"; {len(members)} devices cut off" if members else ""),
        None,
    )


def _flips(
    devices: list[tuple[Any, ...]],
    device_checks: dict[int, list[int]],
    start: float,
    days: int,
    rng: random.Random,
) -> Iterable[tuple[Any, ...]]:
    """Four status changes per device over the period: its first check and the device going
    down and, a few minutes later, coming back."""
    span = days * 86400 - 7200
    for row in devices:
        did, client = row[0], row[1]
        at = start + rng.random() * span
        back = at + 120 + rng.random() * 900
        first = device_checks[did][0]
        yield (client, "check", first, "OK", "CRIT", True, "no answer", at, at)
        yield (client, "device", did, "UP", "DOWN", True, "icmp CRIT: no answer", at + 1, at + 1)
        yield (client, "check", first, "CRIT", "OK", True, "answered", back, back)
        yield (client, "device", did, "DOWN", "UP", True, "all checks OK", back + 1, back + 1)


def refresh_states(engine: Engine, now: float) -> None:
    """Bring every check's last result up to `now` (as a running collector would), so that
    a measurement started a while after generation does not find everything stale."""
    with engine.begin() as conn:
        conn.execute(
            text(f"UPDATE check_states SET last_result_at = :now - (check_id % {INTERVAL_S})"),
            {"now": now},
        )
