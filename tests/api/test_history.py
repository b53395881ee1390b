"""History buckets for charts, from the world's 30 minutes of minutely results: the tv's
check answers for 20 minutes (latency 2, 3, 4, 5, 6, 2, ... ms) and then fails for 10.

The world starts at 1_800_000_000, which is a whole hour (and a whole 4 hours) in epoch
seconds, so the buckets below line up with its minutes.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from sitekeeper.db import models as m
from sitekeeper.observation import Observation
from sitekeeper.results.history import bucket_for
from sitekeeper.results.ingest import Envelope, Ingestor
from sitekeeper.results.retention import roll_up
from tests.api.conftest import World

V1 = "/api/v1"
START = 1_800_000_000.0


def tv_check(world: World) -> int:
    with world.store.session() as s:
        found = s.scalar(
            select(m.Check.id)
            .join(m.Device, m.Device.id == m.Check.device_id)
            .where(m.Device.key == "tv")
        )
        assert found is not None
        return found


def history(api: TestClient, world: World, path: str, **params: Any) -> dict[str, Any]:
    r = api.get(V1 + path, params=params, headers=world.personas["carol"].headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def with_data(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in points if p["count"]]


def test_the_last_hour_has_a_point_a_minute(api: TestClient, world: World) -> None:
    h = history(api, world, f"/checks/{tv_check(world)}/history", range="1h")
    assert (h["range"], h["bucket_s"], h["until"]) == ("1h", 60, START + 1800)
    points = h["points"]
    assert len(points) == 61  # the hour before now, and the minute now is in
    assert [p["t"] for p in points[:2]] == [START - 1800, START - 1740]
    assert points[0] == {
        "t": START - 1800,
        "count": 0,
        "ok": 0,
        "warn": 0,
        "crit": 0,
        "unknown": 0,
        "availability": None,
        "latency_avg_ms": None,
        "latency_min_ms": None,
        "latency_max_ms": None,
    }
    data = with_data(points)
    assert [p["t"] for p in data] == [START + 60 * i for i in range(30)]
    assert [p["availability"] for p in data] == [1.0] * 20 + [0.0] * 10
    assert [p["crit"] for p in data] == [0] * 20 + [1] * 10
    assert [p["latency_avg_ms"] for p in data[:6]] == [2.0, 3.0, 4.0, 5.0, 6.0, 2.0]
    assert data[-1]["latency_avg_ms"] is None


def test_six_hours_in_five_minute_buckets(api: TestClient, world: World) -> None:
    h = history(api, world, f"/checks/{tv_check(world)}/history", range="6h")
    assert (h["bucket_s"], len(h["points"])) == (300, 73)
    data = with_data(h["points"])
    assert [p["count"] for p in data] == [5] * 6
    assert [p["availability"] for p in data] == [1.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    first = data[0]
    assert (first["latency_avg_ms"], first["latency_min_ms"], first["latency_max_ms"]) == (
        4.0,
        2.0,
        6.0,
    )


def test_a_day_in_quarter_hours(api: TestClient, world: World) -> None:
    h = history(api, world, f"/checks/{tv_check(world)}/history", range="1d")
    assert (h["bucket_s"], len(h["points"])) == (900, 97)
    data = with_data(h["points"])
    assert [(p["t"], p["count"], p["ok"], p["crit"]) for p in data] == [
        (START, 15, 15, 0),
        (START + 900, 15, 5, 10),
    ]
    assert data[1]["availability"] == 5 / 15


def test_a_week_reads_hourly_rollups_and_the_raw_hour_after_them(
    api: TestClient, world: World
) -> None:
    check = tv_check(world)
    world.clock.advance(3600)  # the world's hour is complete: roll it up, drop its raw rows
    with world.store.session() as s:
        # one hour; one rollup row per check with results (the router has credentials, so
        # its profile includes the snmp check)
        assert roll_up(s, world.clock.now()) == (1, 7)
        s.execute(delete(m.Result).where(m.Result.at < START + 3600))
        s.commit()
    ingestor = Ingestor(world.store.engine)
    ingestor.refresh()
    later = START + 3600 + 120  # one result in the hour not yet rolled up
    ingestor.ingest([Envelope("later", 1, Observation(check, later, True, latency_ms=9.0))])

    h = history(api, world, f"/checks/{check}/history", range="7d")
    assert (h["bucket_s"], len(h["points"])) == (3600, 169)
    data = with_data(h["points"])
    assert [(p["t"], p["count"], p["ok"], p["crit"]) for p in data] == [
        (START, 30, 20, 10),
        (START + 3600, 1, 1, 0),
    ]
    assert data[0]["availability"] == 20 / 30
    assert (data[0]["latency_avg_ms"], data[0]["latency_min_ms"], data[0]["latency_max_ms"]) == (
        4.0,
        2.0,
        6.0,
    )
    month = history(api, world, f"/checks/{check}/history", range="30d")
    assert month["bucket_s"] == 4 * 3600
    [bucket] = with_data(month["points"])  # rollups and raw in one 4-hour bucket
    assert (bucket["t"], bucket["count"], bucket["ok"], bucket["latency_max_ms"]) == (
        START,
        31,
        21,
        9.0,
    )


def test_since_and_until_choose_the_span_and_a_bucket(api: TestClient, world: World) -> None:
    h = history(
        api, world, f"/checks/{tv_check(world)}/history", since=START + 600, until=START + 1200
    )
    assert (h["range"], h["bucket_s"], h["since"], h["until"]) == (
        "custom",
        60,
        START + 600,
        START + 1200,
    )
    # every bucket from the one `since` is in to the one `until` is in, both included
    assert [p["availability"] for p in h["points"]] == [1.0] * 10 + [0.0]
    assert bucket_for(30 * 86400) == 4 * 3600
    assert bucket_for(400 * 86400) == 7 * 86400
    assert bucket_for(100 * 365 * 86400) % (7 * 86400) == 0


def test_a_backwards_or_impossible_span_is_a_422(api: TestClient, world: World) -> None:
    path = f"{V1}/checks/{tv_check(world)}/history"
    headers = world.personas["carol"].headers
    for params in (
        {"since": START, "until": START - 1},
        {"since": "nan"},
        {"until": "inf"},
        {"range": "2y"},
    ):
        r = api.get(path, params=params, headers=headers)
        assert r.status_code == 422, (params, r.text)
        assert r.json()["error"]["code"] == "invalid_request"


def test_a_device_history_is_the_availability_of_its_checks(api: TestClient, world: World) -> None:
    with world.store.session() as s:
        tv = s.scalar(select(m.Device.id).where(m.Device.key == "tv"))
    h = history(api, world, f"/devices/{tv}/history", range="6h")
    assert (h["device_id"], h["bucket_s"]) == (tv, 300)
    data = with_data(h["points"])
    assert [p["availability"] for p in data] == [1.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    assert "latency_avg_ms" not in data[0]
