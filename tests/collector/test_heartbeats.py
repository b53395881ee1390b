"""Heartbeats: the pure status logic as timelines on a fake clock (period, and cron across
DST), and the /hb router with TestClient."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sitekeeper.api.heartbeats import router
from sitekeeper.clock import FakeClock
from sitekeeper.collector.heartbeats import (
    BODY_CAP,
    Heartbeat,
    HeartbeatStatus,
    MemoryHeartbeatStore,
    Ping,
    PingKind,
    late_at,
    new_token,
    next_due,
    status,
)
from sitekeeper.state.model import CheckStatus

H = 3600.0
TOKEN = "tok_0123456789abcdef"


def ts(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()


# --- period -----------------------------------------------------------------------------------

DAILY = Heartbeat(TOKEN, name="nightly-backup", period=24 * H, grace=H)


def test_a_heartbeat_never_pinged_is_new_and_unknown() -> None:
    state = status(DAILY, None, now=ts(2026, 3, 1))
    assert state.status.check_status is CheckStatus.UNKNOWN
    assert state == (HeartbeatStatus.NEW, "never pinged", None)


def test_a_period_heartbeat_timeline() -> None:
    pinged = Ping(ts(2026, 3, 1, 2, 0))
    # t = ping + 1h: up, next due a day after the ping
    state = status(DAILY, pinged, now=pinged.at + H)
    assert state == (HeartbeatStatus.UP, "last ping 2026-03-01 02:00 UTC", pinged.at + 24 * H)
    # due passed but within grace: still up, and it says when it turns late
    state = status(DAILY, pinged, now=pinged.at + 24.5 * H)
    assert state.status is HeartbeatStatus.UP
    assert state.reason == "overdue, late at 2026-03-02 03:00 UTC"
    # after due + grace: late, CRIT
    state = status(DAILY, pinged, now=pinged.at + 25 * H + 1)
    assert state.status is HeartbeatStatus.LATE
    assert state.status.check_status is CheckStatus.CRIT
    assert (
        state.reason == "no ping since 2026-03-01 02:00 UTC (due 2026-03-02 02:00 UTC, grace 1 h)"
    )
    assert late_at(DAILY, pinged) == pinged.at + 25 * H


def test_a_failure_ping_fails_until_the_next_success() -> None:
    failed = Ping(ts(2026, 3, 1, 2, 0), PingKind.FAIL)
    state = status(DAILY, failed, now=failed.at + 60)
    assert state.status is HeartbeatStatus.FAILED
    assert state.reason == "the job reported failure at 2026-03-01 02:00 UTC"
    assert state.status.check_status is CheckStatus.CRIT
    assert late_at(DAILY, failed) is None


def test_a_started_job_must_finish_within_the_grace_time() -> None:
    started = Ping(ts(2026, 3, 1, 2, 0), PingKind.START)
    assert (
        status(DAILY, started, now=started.at + 0.5 * H).reason
        == "running since 2026-03-01 02:00 UTC"
    )
    state = status(DAILY, started, now=started.at + H + 1)
    assert state.status is HeartbeatStatus.LATE
    assert state.reason == "started at 2026-03-01 02:00 UTC and did not finish within 1 h"
    assert late_at(DAILY, started) == started.at + H


def test_a_fake_clock_drives_the_same_timeline() -> None:
    clock = FakeClock(start=ts(2026, 3, 1, 2, 0))
    pinged = Ping(clock.now())
    seen = []
    for _ in range(4):
        clock.advance(8 * H)  # 8 h, 16 h, 24 h (due), 32 h (past due + grace)
        seen.append(status(DAILY, pinged, clock.now()).status)
    assert seen == [HeartbeatStatus.UP] * 3 + [HeartbeatStatus.LATE]


# --- cron, across DST -------------------------------------------------------------------------

BERLIN_0230 = Heartbeat(TOKEN, schedule="30 2 * * *", tz="Europe/Berlin", grace=30 * 60)


def test_a_run_in_the_skipped_hour_is_due_just_after_the_jump() -> None:
    # 2025-03-30: clocks jump from 02:00 to 03:00 CEST; 02:30 does not exist that day
    pinged = Ping(ts(2025, 3, 29, 1, 31))  # 02:31 CET
    due = next_due(BERLIN_0230, pinged.at)
    assert due == ts(2025, 3, 30, 1, 0)  # 03:00 CEST
    assert status(BERLIN_0230, pinged, now=due + 29 * 60).status is HeartbeatStatus.UP
    late = status(BERLIN_0230, pinged, now=due + 31 * 60)
    assert late.status is HeartbeatStatus.LATE
    assert late.reason == (
        "no ping since 2025-03-29 02:31 CET (due 2025-03-30 03:00 CEST, grace 30 min)"
    )


def test_a_run_in_the_repeated_hour_is_due_once() -> None:
    # 2025-10-26: clocks fall back from 03:00 CEST to 02:00 CET; 02:30 happens twice
    pinged = Ping(ts(2025, 10, 25, 0, 31))  # 02:31 CEST
    assert next_due(BERLIN_0230, pinged.at) == ts(2025, 10, 26, 0, 30)  # the first 02:30
    after_first = Ping(ts(2025, 10, 26, 0, 31))  # pinged at the first 02:30
    # not due again at the second 02:30 (01:30 UTC) but the next night
    assert next_due(BERLIN_0230, after_first.at) == ts(2025, 10, 27, 1, 30)
    assert status(BERLIN_0230, after_first, now=ts(2025, 10, 26, 2, 5)).status is HeartbeatStatus.UP


def test_a_cron_heartbeat_is_late_after_its_grace() -> None:
    weekdays = Heartbeat(TOKEN, schedule="0 3 * * 1-5", tz="America/New_York", grace=H)
    friday = Ping(ts(2026, 3, 6, 8, 1))  # Fri 03:01 EST
    # the next run is Monday 03:00 EDT (DST began on Sunday 8 March)
    assert next_due(weekdays, friday.at) == ts(2026, 3, 9, 7, 0)
    assert status(weekdays, friday, now=ts(2026, 3, 8, 12, 0)).status is HeartbeatStatus.UP
    assert status(weekdays, friday, now=ts(2026, 3, 9, 8, 1)).status is HeartbeatStatus.LATE


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({}, "a period or a cron schedule"),
        ({"period": 60.0, "schedule": "* * * * *"}, "a period or a cron schedule"),
        ({"period": 0.0}, "more than zero"),
        ({"period": 60.0, "grace": -1.0}, "cannot be negative"),
        ({"schedule": "every day"}, "not a cron schedule"),
        ({"schedule": "0 0 30 2 *"}, "not a cron schedule"),
        ({"schedule": "0 3 * * *", "tz": "Mars/Olympus"}, "unknown time zone"),
    ],
)
def test_it_rejects_a_bad_heartbeat(kwargs: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Heartbeat(TOKEN, **kwargs)  # type: ignore[arg-type]


def test_tokens_are_random_and_url_safe() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(t) >= 16 and t.replace("-", "").replace("_", "").isalnum() for t in tokens)


# --- the router -------------------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=ts(2026, 3, 1, 2, 0))


@pytest.fixture
def store() -> MemoryHeartbeatStore:
    return MemoryHeartbeatStore([DAILY])


@pytest.fixture
def client(store: MemoryHeartbeatStore, clock: FakeClock) -> Iterator[TestClient]:
    app = FastAPI()
    app.state.heartbeats = store
    app.state.clock = clock
    app.include_router(router)
    with TestClient(app) as test_client:
        yield test_client


def test_a_get_records_a_success(client: TestClient, store: MemoryHeartbeatStore) -> None:
    response = client.get(f"/hb/{TOKEN}")
    assert (response.status_code, response.text) == (200, "OK")
    ping = store.last_ping(TOKEN)
    assert ping is not None
    assert (ping.kind, ping.at, ping.body) == (PingKind.SUCCESS, ts(2026, 3, 1, 2, 0), "")
    assert ping.source == "testclient"


def test_start_and_fail_are_recorded(
    client: TestClient, store: MemoryHeartbeatStore, clock: FakeClock
) -> None:
    assert client.post(f"/hb/{TOKEN}/start").status_code == 200
    assert store.last_ping(TOKEN) == Ping(clock.now(), PingKind.START, "", "testclient")
    clock.advance(60)
    assert client.post(f"/hb/{TOKEN}/fail", content=b"disk full\n").status_code == 200
    ping = store.last_ping(TOKEN)
    assert ping is not None
    assert (ping.kind, ping.body) == (PingKind.FAIL, "disk full\n")
    assert status(DAILY, ping, clock.now()).status is HeartbeatStatus.FAILED


@pytest.mark.parametrize(
    ("code", "kind"), [(0, PingKind.SUCCESS), (1, PingKind.FAIL), (255, PingKind.FAIL)]
)
def test_an_exit_status_is_success_or_failure(
    client: TestClient, store: MemoryHeartbeatStore, code: int, kind: PingKind
) -> None:
    assert client.get(f"/hb/{TOKEN}/{code}").status_code == 200
    ping = store.last_ping(TOKEN)
    assert ping is not None and ping.kind is kind


def test_a_long_body_is_cut_at_the_cap(client: TestClient, store: MemoryHeartbeatStore) -> None:
    assert client.post(f"/hb/{TOKEN}", content=b"x" * (BODY_CAP * 3)).status_code == 200
    ping = store.last_ping(TOKEN)
    assert ping is not None and len(ping.body) == BODY_CAP


@pytest.mark.parametrize(
    "path",
    [
        "/hb/unknown_token_0000000",
        "/hb/short",
        "/hb/" + "a" * 65,
        "/hb/has.dots.in.it.0000000",
        f"/hb/{TOKEN}/256",
        f"/hb/{TOKEN}/pause",
    ],
)
def test_an_unknown_token_or_action_is_not_found_and_records_nothing(
    client: TestClient, store: MemoryHeartbeatStore, path: str
) -> None:
    response = client.get(path)
    assert response.status_code in (404, 422)
    assert store.last_ping(TOKEN) is None


def test_other_methods_are_not_allowed(client: TestClient) -> None:
    assert client.delete(f"/hb/{TOKEN}").status_code == 405
