"""History for charts: GET /checks/{check_id}/history and GET /devices/{device_id}/history.

`range` picks a span ending now and its bucket (1h: 1 min, 6h: 5 min, 1d: 15 min, 7d: 1 h,
30d: 4 h); `since`/`until` (epoch seconds) pick any span, with a bucket that keeps it to about
200 points. The dashboard draws its uPlot charts from exactly this shape.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from sitekeeper.api.deps import ClockDep, ScopeDep
from sitekeeper.api.errors import ApiError
from sitekeeper.api.routes._common import Id
from sitekeeper.api.schemas import AvailabilityPoint, CheckHistory, DeviceHistory, HistoryPoint
from sitekeeper.db import models as m
from sitekeeper.results.history import RANGES, Bucket, bucket_for, history

router = APIRouter(tags=["history"])

MAX_TIME = 4_102_444_800.0  # 2100-01-01: far enough, and keeps the arithmetic sane


class Range(StrEnum):
    H1 = "1h"
    H6 = "6h"
    D1 = "1d"
    D7 = "7d"
    D30 = "30d"


Time = Annotated[
    float | None, Query(ge=0, le=MAX_TIME, allow_inf_nan=False, description="Epoch seconds.")
]
RangeParam = Annotated[Range, Query(description="A span ending now; ignored with since.")]


def span(
    rng: Range, since: float | None, until: float | None, now: float
) -> tuple[str, float, float, int]:
    """(label, since, until, bucket) for the request."""
    length, bucket = RANGES[rng.value]
    if since is None and until is None:
        return rng.value, now - length, now, bucket
    end = until if until is not None else now
    start = since if since is not None else end - length
    if start >= end:
        raise ApiError(
            422,
            "`since` must be before `until`",
            details=[{"loc": ["query", "since"], "message": "not before until"}],
        )
    return "custom", start, end, bucket_for(end - start)


def _availability(b: Bucket) -> AvailabilityPoint:
    return AvailabilityPoint(
        t=b.t,
        count=b.count,
        ok=b.ok,
        warn=b.warn,
        crit=b.crit,
        unknown=b.unknown,
        availability=b.availability,
    )


@router.get("/checks/{check_id}/history", response_model=CheckHistory, summary="A check's history")
def check_history(
    check_id: Id,
    scope: ScopeDep,
    clock: ClockDep,
    range: RangeParam = Range.D1,
    since: Time = None,
    until: Time = None,
) -> CheckHistory:
    check = scope.check(check_id)
    label, start, end, bucket = span(range, since, until, clock.now())
    points = [
        HistoryPoint(
            **_availability(b).model_dump(),
            latency_avg_ms=b.latency_avg,
            latency_min_ms=b.latency_min,
            latency_max_ms=b.latency_max,
        )
        for b in history(scope.session, [check.id], start, end, bucket)
    ]
    return CheckHistory(
        check_id=check.id, range=label, since=start, until=end, bucket_s=bucket, points=points
    )


@router.get(
    "/devices/{device_id}/history",
    response_model=DeviceHistory,
    summary="A device's availability, from all its active checks",
)
def device_history(
    device_id: Id,
    scope: ScopeDep,
    clock: ClockDep,
    range: RangeParam = Range.D1,
    since: Time = None,
    until: Time = None,
) -> DeviceHistory:
    device = scope.device(device_id)
    check_ids = list(
        scope.session.scalars(
            scope.where(select(m.Check.id), m.Check.client_id).where(
                m.Check.device_id == device.id, m.Check.retired_at.is_(None)
            )
        )
    )
    label, start, end, bucket = span(range, since, until, clock.now())
    points = [_availability(b) for b in history(scope.session, check_ids, start, end, bucket)]
    return DeviceHistory(
        device_id=device.id, range=label, since=start, until=end, bucket_s=bucket, points=points
    )
