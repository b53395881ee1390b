"""History in time buckets, for charts: counts by status, availability and latency.

Buckets under an hour come from raw results: the plain rows of `results` bucketed in SQL
(on both SQLite and PostgreSQL), and the packed hours of `results_packed` unpacked and
bucketed here. Hour-multiple buckets come from `rollups_hourly` for the hours already rolled
up and from raw results for the rest (the rollup watermark in `meta` says where that is), so
a week's chart never reads a week of raw results and the latest hour is still there.

Every bucket of the span is returned, empty ones too (count 0, availability and latency
null), so a chart shows a gap where there was no data rather than joining across it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Float, Integer, case, cast, func, select
from sqlalchemy.orm import Session

from sitekeeper.db import models as m
from sitekeeper.results import raw
from sitekeeper.results.packing import RawResult, summarize
from sitekeeper.results.retention import HOUR, WATERMARK

# Named ranges: (span, bucket) in seconds.
RANGES: dict[str, tuple[int, int]] = {
    "1h": (3600, 60),
    "6h": (6 * 3600, 300),
    "1d": (86400, 900),
    "7d": (7 * 86400, 3600),
    "30d": (30 * 86400, 4 * 3600),
}
_LADDER = (60, 300, 900, 3600, 4 * 3600, 86400, 7 * 86400)
MAX_POINTS = 200
WEEK = 7 * 86400


def bucket_for(span: float) -> int:
    """The smallest bucket that keeps a span within MAX_POINTS points (the named ranges get
    the buckets in RANGES)."""
    for size in _LADDER:
        if span / size <= MAX_POINTS:
            return size
    return math.ceil(span / MAX_POINTS / WEEK) * WEEK


@dataclass
class Bucket:
    t: float
    count: int = 0
    ok: int = 0
    warn: int = 0
    crit: int = 0
    unknown: int = 0
    latency_count: int = 0
    latency_sum: float = 0.0
    latency_min: float | None = None
    latency_max: float | None = None

    @property
    def availability(self) -> float | None:
        """Results that answered (OK or WARN) among those that could tell (not UNKNOWN)."""
        known = self.count - self.unknown
        return (self.ok + self.warn) / known if known > 0 else None

    @property
    def latency_avg(self) -> float | None:
        return self.latency_sum / self.latency_count if self.latency_count else None

    def add(self, row: Sequence[Any]) -> None:
        count, ok, warn, crit, unknown, lat_n, lat_sum, lat_min, lat_max = row
        self.count += int(count or 0)
        self.ok += int(ok or 0)
        self.warn += int(warn or 0)
        self.crit += int(crit or 0)
        self.unknown += int(unknown or 0)
        self.latency_count += int(lat_n or 0)
        self.latency_sum += float(lat_sum or 0.0)
        if lat_min is not None:
            lo = float(lat_min)
            self.latency_min = lo if self.latency_min is None else min(self.latency_min, lo)
        if lat_max is not None:
            hi = float(lat_max)
            self.latency_max = hi if self.latency_max is None else max(self.latency_max, hi)


def floor_to(session: Session, column: Any, size: int) -> ColumnElement[float]:
    """`column` (epoch seconds) rounded down to a multiple of `size`, in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.floor(column / size) * size
    return cast(cast(column / size, Integer), Float) * size  # positive: truncation = floor


def history(
    session: Session, check_ids: Sequence[int], since: float, until: float, bucket: int
) -> list[Bucket]:
    """Buckets of `bucket` seconds covering [since, until] for the results of `check_ids`."""
    first = math.floor(since / bucket) * bucket
    last = math.floor(until / bucket) * bucket
    buckets = {float(t): Bucket(float(t)) for t in range(first, last + bucket, bucket)}
    end = last + bucket
    if not check_ids:
        return list(buckets.values())
    raw_from = float(first)
    if bucket % int(HOUR) == 0:
        mark = session.get(m.Meta, WATERMARK)
        rolled_until = min(float(mark.value), end) if mark is not None else float(first)
        if rolled_until > first:
            _merge(
                buckets, session.execute(_rollups(session, check_ids, first, rolled_until, bucket))
            )
            raw_from = rolled_until
    if raw_from < end:
        _merge(buckets, session.execute(_raw(session, check_ids, raw_from, end, bucket)))
        _merge(buckets, _packed(session, check_ids, raw_from, end, bucket))
    return list(buckets.values())


def _packed(
    session: Session, check_ids: Sequence[int], start: float, end: float, bucket: int
) -> list[tuple[Any, ...]]:
    """Rows shaped like `_raw`'s, from the packed hours (floored as `floor_to` floors)."""
    found: dict[float, list[RawResult]] = {}
    for _check, result in raw.packed_in(session.connection(), check_ids, start, end):
        t = math.floor(result.at / bucket) * bucket
        found.setdefault(float(t), []).append(result)
    return [(t, *summarize(results)) for t, results in found.items()]


def _merge(buckets: dict[float, Bucket], rows: Any) -> None:
    for row in rows:
        t = float(row[0])
        if t in buckets:
            buckets[t].add(row[1:])


def _raw(session: Session, check_ids: Sequence[int], start: float, end: float, bucket: int) -> Any:
    r = m.Result
    t = floor_to(session, r.at, bucket).label("t")
    return (
        select(
            t,
            func.count(),
            func.sum(case((r.status == "OK", 1), else_=0)),
            func.sum(case((r.status == "WARN", 1), else_=0)),
            func.sum(case((r.status == "CRIT", 1), else_=0)),
            func.sum(case((r.status == "UNKNOWN", 1), else_=0)),
            func.count(r.latency_ms),
            func.sum(r.latency_ms),
            func.min(r.latency_ms),
            func.max(r.latency_ms),
        )
        .where(r.check_id.in_(sorted(check_ids)), r.at >= start, r.at < end)
        .group_by(t)
    )


def _rollups(
    session: Session, check_ids: Sequence[int], start: float, end: float, bucket: int
) -> Any:
    h = m.Rollup
    t = floor_to(session, h.hour, bucket).label("t")
    return (
        select(
            t,
            func.sum(h.count),
            func.sum(h.ok_count),
            func.sum(h.warn_count),
            func.sum(h.crit_count),
            func.sum(h.unknown_count),
            func.sum(h.latency_count),
            func.sum(h.latency_sum),
            func.min(h.latency_min),
            func.max(h.latency_max),
        )
        .where(h.check_id.in_(sorted(check_ids)), h.hour >= start, h.hour < end)
        .group_by(t)
    )
