"""Hourly rollups, packing and retention: raw results are kept `raw_retention_days`, hourly
rollups `rollup_retention_days`, so the database does not grow forever.

Each complete hour is, in one pass: rolled up (per check: counts by status, latency count,
sum, min and max), packed (the check's results of that hour into one `results_packed` row,
see results.packing) and removed from the plain `results` table. Only complete hours are
done, and the watermark in `meta` remembers how far it got. A result that arrives after its
hour was packed waits as a plain row; the next pass merges it into its hour's packed row and
recomputes that hour's rollup, so nothing is lost and the rollup stays exact.

Raw results are deleted by whole hours: an hour goes once all of it is older than the raw
retention (so a result is kept at least `raw_retention_days`, and under an hour longer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.orm import Session

from sitekeeper.db import models as m
from sitekeeper.db.upsert import upsert
from sitekeeper.results import raw
from sitekeeper.results.packing import summarize

WATERMARK = "rollup_watermark"
HOUR = raw.HOUR
FLUSH = 2000  # hours of checks written per statement


@dataclass(frozen=True)
class RetentionReport:
    hours_rolled: int
    rollup_rows: int
    raw_deleted: int
    rollups_deleted: int


def _rollup_row(group: raw.HourGroup) -> dict[str, Any]:
    n, ok, warn, crit, unknown, lat_n, lat_sum, lat_min, lat_max = summarize(group.results)
    return {
        "check_id": group.check_id,
        "hour": group.hour,
        "client_id": group.client_id,
        "count": n,
        "ok_count": ok,
        "warn_count": warn,
        "crit_count": crit,
        "unknown_count": unknown,
        "latency_count": lat_n,
        "latency_sum": lat_sum,
        "latency_min": lat_min,
        "latency_max": lat_max,
    }


def _flush(conn: Connection, groups: list[raw.HourGroup]) -> None:
    raw.store_packed(conn, groups)
    upsert(conn, m.Rollup, [_rollup_row(g) for g in groups], ["check_id", "hour"])
    groups.clear()


def roll_up(session: Session, now: float, max_hours: int = 24 * 7) -> tuple[int, int]:
    """Roll up and pack complete hours since the watermark (at most `max_hours` per call),
    and any late plain rows before it. Returns (hours done, rollup rows written)."""
    current_hour = raw.hour_of(now)
    mark = session.get(m.Meta, WATERMARK)
    if mark is None:
        first = session.scalar(select(func.min(m.Result.at)))
        if first is None:
            return 0, 0
        start = raw.hour_of(float(first))
    else:
        start = float(mark.value)
    end = min(current_hour, start + max_hours * HOUR)
    if end <= start:
        return 0, 0
    conn = session.connection()
    pending: list[raw.HourGroup] = []
    rows = 0
    for group in raw.plain_groups(conn, end):
        if group.hour < start:  # late: its hour was packed before
            group.results = raw.packed_results(conn, group.check_id, group.hour) + group.results
        pending.append(group)
        rows += 1
        if len(pending) >= FLUSH:
            _flush(conn, pending)
    _flush(conn, pending)
    session.execute(delete(m.Result).where(m.Result.at < end))
    if mark is None:
        session.add(m.Meta(key=WATERMARK, value=repr(end)))
    else:
        mark.value = repr(end)
    return int((end - start) // HOUR), rows


def prune(session: Session, now: float, raw_days: float, rollup_days: float) -> tuple[int, int]:
    """Delete the raw results of hours wholly older than the raw retention (only once rolled
    up) and old rollups. Returns (raw results deleted, rollup rows deleted)."""
    mark = session.get(m.Meta, WATERMARK)
    rolled_until = float(mark.value) if mark else 0.0
    cutoff = min(now - raw_days * 86400, rolled_until)
    hours_before = raw.hour_of(cutoff)  # the hours that end at or before the cutoff
    p = m.PackedResults
    packed = session.scalar(select(func.sum(p.count)).where(p.hour < hours_before)) or 0
    session.execute(delete(p).where(p.hour < hours_before))
    plain = session.execute(delete(m.Result).where(m.Result.at < hours_before))
    old = session.execute(delete(m.Rollup).where(m.Rollup.hour < now - rollup_days * 86400))
    deleted = int(packed) + int(getattr(plain, "rowcount", 0) or 0)
    return deleted, int(getattr(old, "rowcount", 0) or 0)


def maintain(session: Session, now: float, raw_days: float, rollup_days: float) -> RetentionReport:
    hours, rows = 0, 0
    while True:  # bounded: each pass covers up to a week, and the loop ends at the current hour
        h, r = roll_up(session, now)
        hours, rows = hours + h, rows + r
        if h == 0:
            break
    raw_deleted, rollups_deleted = prune(session, now, raw_days, rollup_days)
    return RetentionReport(hours, rows, raw_deleted, rollups_deleted)
