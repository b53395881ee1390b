"""Raw results in the store, wherever they are: plain rows in `results` (the open hour, and
any result that arrived after its hour was packed) and packed hours in `results_packed`.

Every reader of raw results goes through here or reads both tables itself (history's SQL
over the plain rows), so packing an hour never changes what a reader sees.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from sitekeeper.db import models as m
from sitekeeper.db.upsert import upsert
from sitekeeper.results.packing import RawResult, pack, unpack

HOUR = 3600.0


def hour_of(at: float) -> float:
    return (at // HOUR) * HOUR


@dataclass
class HourGroup:
    """The raw results of one check in one hour."""

    check_id: int
    hour: float
    client_id: int
    results: list[RawResult]

    def packed_row(self) -> dict[str, Any]:
        return {
            "check_id": self.check_id,
            "hour": self.hour,
            "client_id": self.client_id,
            "count": len(self.results),
            "data": pack(self.results),
        }


def plain_groups(conn: Connection, end: float, chunk: int = 10_000) -> Iterator[HourGroup]:
    """The plain rows before `end`, grouped by check and hour, streamed check by check."""
    r = m.Result
    rows = conn.execute(
        select(r.check_id, r.client_id, r.at, r.status, r.latency_ms, r.values, r.error)
        .where(r.at < end)
        .order_by(r.check_id, r.at),
        execution_options={"stream_results": True, "yield_per": chunk},
    )
    group: HourGroup | None = None
    for check_id, client_id, at, status, latency, values, error in rows:
        hour = hour_of(at)
        if group is None or group.check_id != check_id or group.hour != hour:
            if group is not None:
                yield group
            group = HourGroup(check_id, hour, client_id, [])
        group.results.append(RawResult(at, status, latency, values, error))
    if group is not None:
        yield group


def packed_results(conn: Connection, check_id: int, hour: float) -> list[RawResult]:
    """What is packed for one check and hour (nothing if that hour is not packed)."""
    p = m.PackedResults
    data = conn.scalar(select(p.data).where(p.check_id == check_id, p.hour == hour))
    return unpack(bytes(data)) if data is not None else []


def store_packed(conn: Connection, groups: Sequence[HourGroup]) -> None:
    """Write (or replace) the packed rows of `groups`."""
    upsert(conn, m.PackedResults, [g.packed_row() for g in groups], ["check_id", "hour"])


def packed_in(
    conn: Connection, check_ids: Sequence[int], start: float, end: float
) -> Iterator[tuple[int, RawResult]]:
    """(check id, result) of the packed hours for results with start <= at < end."""
    if not check_ids:
        return
    p = m.PackedResults
    rows = conn.execute(
        select(p.check_id, p.data)
        .where(p.check_id.in_(sorted(check_ids)), p.hour >= hour_of(start), p.hour < end)
        .order_by(p.check_id, p.hour)
    )
    for check_id, data in rows:
        for result in unpack(bytes(data)):
            if start <= result.at < end:
                yield check_id, result


def read(
    conn: Connection, check_ids: Sequence[int], start: float, end: float
) -> list[tuple[int, RawResult]]:
    """Every raw result of `check_ids` with start <= at < end, packed or not, by check and
    time."""
    r = m.Result
    found = list(packed_in(conn, check_ids, start, end))
    if check_ids:
        plain = conn.execute(
            select(r.check_id, r.at, r.status, r.latency_ms, r.values, r.error).where(
                r.check_id.in_(sorted(check_ids)), r.at >= start, r.at < end
            )
        )
        found += [(c, RawResult(at, s, lat, v, e)) for c, at, s, lat, v, e in plain]
    found.sort(key=lambda cr: (cr[0], cr[1].at))
    return found
