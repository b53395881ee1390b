"""Hourly rollups and retention: raw results are kept `raw_retention_days`, hourly rollups
`rollup_retention_days`, so the database does not grow forever.

Rolling up is idempotent (an hour is recomputed from raw rows and upserted), and only
complete hours are rolled up. The watermark in `meta` remembers how far it got.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Float, Integer, and_, case, cast, delete, func, select
from sqlalchemy.orm import Session

from sitekeeper.db import models as m
from sitekeeper.db.upsert import upsert

WATERMARK = "rollup_watermark"
HOUR = 3600.0


@dataclass(frozen=True)
class RetentionReport:
    hours_rolled: int
    rollup_rows: int
    raw_deleted: int
    rollups_deleted: int


def _hour_expr(session: Session) -> ColumnElement[float]:
    """Start of the hour of `results.at`, in SQL, the same on both databases."""
    if session.get_bind().dialect.name == "postgresql":
        return func.floor(m.Result.at / HOUR) * HOUR
    return cast(cast(m.Result.at / HOUR, Integer), Float) * HOUR  # positive: truncation = floor


def roll_up(session: Session, now: float, max_hours: int = 24 * 7) -> tuple[int, int]:
    """Roll up complete hours since the watermark (at most `max_hours` per call)."""
    current_hour = (now // HOUR) * HOUR
    mark = session.get(m.Meta, WATERMARK)
    if mark is None:
        first = session.scalar(select(func.min(m.Result.at)))
        if first is None:
            return 0, 0
        start = (float(first) // HOUR) * HOUR
    else:
        start = float(mark.value)
    end = min(current_hour, start + max_hours * HOUR)
    if end <= start:
        return 0, 0
    hour = _hour_expr(session).label("hour")
    has_latency = m.Result.latency_ms.is_not(None)
    stmt = (
        select(
            m.Result.check_id,
            hour,
            func.min(m.Result.client_id),
            func.count(),
            func.sum(case((m.Result.status == "OK", 1), else_=0)),
            func.sum(case((m.Result.status == "WARN", 1), else_=0)),
            func.sum(case((m.Result.status == "CRIT", 1), else_=0)),
            func.sum(case((m.Result.status == "UNKNOWN", 1), else_=0)),
            func.sum(case((has_latency, 1), else_=0)),
            func.sum(m.Result.latency_ms),
            func.min(m.Result.latency_ms),
            func.max(m.Result.latency_ms),
        )
        .where(and_(m.Result.at >= start, m.Result.at < end))
        .group_by(m.Result.check_id, hour)
    )
    rows = [
        {
            "check_id": r[0],
            "hour": float(r[1]),
            "client_id": r[2],
            "count": r[3],
            "ok_count": r[4] or 0,
            "warn_count": r[5] or 0,
            "crit_count": r[6] or 0,
            "unknown_count": r[7] or 0,
            "latency_count": r[8] or 0,
            "latency_sum": r[9],
            "latency_min": r[10],
            "latency_max": r[11],
        }
        for r in session.execute(stmt)
    ]
    for i in range(0, len(rows), 5000):
        upsert(session.connection(), m.Rollup, rows[i : i + 5000], ["check_id", "hour"])
    if mark is None:
        session.add(m.Meta(key=WATERMARK, value=repr(end)))
    else:
        mark.value = repr(end)
    return int((end - start) // HOUR), len(rows)


def prune(session: Session, now: float, raw_days: float, rollup_days: float) -> tuple[int, int]:
    """Delete raw results older than the raw retention (only once rolled up) and old rollups."""
    mark = session.get(m.Meta, WATERMARK)
    rolled_until = float(mark.value) if mark else 0.0
    raw_cutoff = min(now - raw_days * 86400, rolled_until)
    raw = session.execute(delete(m.Result).where(m.Result.at < raw_cutoff))
    old = session.execute(delete(m.Rollup).where(m.Rollup.hour < now - rollup_days * 86400))
    return int(getattr(raw, "rowcount", 0) or 0), int(getattr(old, "rowcount", 0) or 0)


def maintain(session: Session, now: float, raw_days: float, rollup_days: float) -> RetentionReport:
    hours, rows = 0, 0
    while True:  # bounded: each pass covers up to a week, and the loop ends at the current hour
        h, r = roll_up(session, now)
        hours, rows = hours + h, rows + r
        if h == 0:
            break
    raw_deleted, rollups_deleted = prune(session, now, raw_days, rollup_days)
    return RetentionReport(hours, rows, raw_deleted, rollups_deleted)
