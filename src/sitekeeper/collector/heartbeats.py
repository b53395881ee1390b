"""Heartbeats, healthchecks style: a backup job or a script pings its own URL when it runs;
no ping in time means trouble.

    Heartbeat(token, period=86400, grace=3600)             every day, an hour of grace
    Heartbeat(token, schedule="0 3 * * *", tz="Europe/Berlin", grace=1800)
    status(heartbeat, last_ping, now) -> HeartbeatState(status, reason, next_due)

A ping is `success`, `start` (the job began; it must finish within the grace time) or `fail`
(the job says it failed). A cron schedule is read in the heartbeat's time zone with Debian
cron's DST rules (cronsim): a run in the skipped hour is due just after the jump, a run in
the repeated hour is due once.

Pure: every "now" is an argument. Storage is the `HeartbeatStore` protocol;
`MemoryHeartbeatStore` backs tests and a small embedded setup.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from sitekeeper.state.model import CheckStatus

TOKEN_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"  # noqa: S105 - a pattern, not a secret
BODY_CAP = 10 * 1024  # bytes of a ping's body kept (a job's last lines of output)


class HeartbeatStatus(StrEnum):
    NEW = "new"  # never pinged: nothing to judge yet
    UP = "up"
    LATE = "late"  # no ping by the due time plus grace
    FAILED = "failed"  # the job reported failure

    @property
    def check_status(self) -> CheckStatus:
        return _CHECK_STATUS[self]


_CHECK_STATUS = {
    HeartbeatStatus.NEW: CheckStatus.UNKNOWN,
    HeartbeatStatus.UP: CheckStatus.OK,
    HeartbeatStatus.LATE: CheckStatus.CRIT,
    HeartbeatStatus.FAILED: CheckStatus.CRIT,
}


class PingKind(StrEnum):
    SUCCESS = "success"
    START = "start"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Ping:
    at: float  # epoch seconds
    kind: PingKind = PingKind.SUCCESS
    body: str = ""  # at most BODY_CAP bytes of what the job posted
    source: str = ""  # the client address


def new_token() -> str:
    """A random token for a heartbeat's URL (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """One heartbeat: a period *or* a cron schedule (in `tz`), and a grace time."""

    token: str
    name: str = ""
    period: float | None = None  # seconds between runs
    schedule: str | None = None  # five-field cron expression
    tz: str = "UTC"
    grace: float = 3600.0

    def __post_init__(self) -> None:
        if (self.period is None) == (self.schedule is None):
            raise ValueError("a heartbeat needs a period or a cron schedule (one of them)")
        if self.period is not None and self.period <= 0:
            raise ValueError("a heartbeat's period must be more than zero")
        if self.grace < 0:
            raise ValueError("a heartbeat's grace time cannot be negative")
        zone = _zone(self.tz)
        if self.schedule is not None:
            try:
                next(CronSim(self.schedule, datetime(2000, 1, 1, tzinfo=zone)))
            except (CronSimError, ValueError, KeyError, IndexError, StopIteration) as err:
                raise ValueError(
                    f"{self.schedule!r} is not a cron schedule that ever runs ({err}); use five "
                    "fields: minute hour day-of-month month day-of-week, e.g. '0 3 * * *'"
                ) from None


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name like Europe/Berlin"
        ) from None


def next_due(heartbeat: Heartbeat, after: float) -> float:
    """When the next ping is expected, given one at `after`."""
    if heartbeat.period is not None:
        return after + heartbeat.period
    if heartbeat.schedule is None:  # ruled out by __post_init__; says so to the type checker
        raise ValueError("a heartbeat needs a period or a cron schedule")
    local = datetime.fromtimestamp(after, _zone(heartbeat.tz))
    return next(CronSim(heartbeat.schedule, local)).timestamp()


class HeartbeatState(NamedTuple):
    status: HeartbeatStatus
    reason: str
    next_due: float | None  # when the next ping is expected (None: nothing expected yet)


def _when(ts: float, heartbeat: Heartbeat) -> str:
    return datetime.fromtimestamp(ts, _zone(heartbeat.tz)).strftime("%Y-%m-%d %H:%M %Z")


def _span(seconds: float) -> str:
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)} {unit}"
    return f"{seconds:g} s"


def status(heartbeat: Heartbeat, last_ping: Ping | None, now: float) -> HeartbeatState:
    """Where a heartbeat stands at `now`, given its last ping."""
    if last_ping is None:
        return HeartbeatState(HeartbeatStatus.NEW, "never pinged", None)
    at = _when(last_ping.at, heartbeat)
    if last_ping.kind is PingKind.FAIL:
        due = next_due(heartbeat, last_ping.at)
        return HeartbeatState(HeartbeatStatus.FAILED, f"the job reported failure at {at}", due)
    if last_ping.kind is PingKind.START:
        finish_by = last_ping.at + heartbeat.grace
        if now > finish_by:
            reason = f"started at {at} and did not finish within {_span(heartbeat.grace)}"
            return HeartbeatState(HeartbeatStatus.LATE, reason, finish_by)
        return HeartbeatState(HeartbeatStatus.UP, f"running since {at}", finish_by)
    due = next_due(heartbeat, last_ping.at)
    if now > due + heartbeat.grace:
        reason = f"no ping since {at} (due {_when(due, heartbeat)}, grace {_span(heartbeat.grace)})"
        return HeartbeatState(HeartbeatStatus.LATE, reason, due)
    if now > due:
        late_at = _when(due + heartbeat.grace, heartbeat)
        return HeartbeatState(HeartbeatStatus.UP, f"overdue, late at {late_at}", due)
    return HeartbeatState(HeartbeatStatus.UP, f"last ping {at}", due)


def late_at(heartbeat: Heartbeat, last_ping: Ping | None) -> float | None:
    """When the status turns LATE if no ping comes: when to look again."""
    if last_ping is None or last_ping.kind is PingKind.FAIL:
        return None
    if last_ping.kind is PingKind.START:
        return last_ping.at + heartbeat.grace
    return next_due(heartbeat, last_ping.at) + heartbeat.grace


class HeartbeatStore(Protocol):
    """Storage seam for the /hb router. Calls are synchronous (the router runs them in a
    worker thread), so a SQLAlchemy-backed store can use its ordinary sessions."""

    def heartbeat(self, token: str) -> Heartbeat | None: ...

    def record(self, token: str, ping: Ping) -> None: ...

    def last_ping(self, token: str) -> Ping | None: ...


class MemoryHeartbeatStore:
    """A HeartbeatStore in memory: for tests and a single process."""

    def __init__(self, heartbeats: list[Heartbeat] | None = None) -> None:
        self._lock = threading.Lock()
        self._heartbeats = {h.token: h for h in heartbeats or []}
        self._last: dict[str, Ping] = {}

    def add(self, heartbeat: Heartbeat) -> None:
        with self._lock:
            self._heartbeats[heartbeat.token] = heartbeat

    def heartbeat(self, token: str) -> Heartbeat | None:
        with self._lock:
            return self._heartbeats.get(token)

    def record(self, token: str, ping: Ping) -> None:
        with self._lock:
            if token in self._heartbeats:
                self._last[token] = ping

    def last_ping(self, token: str) -> Ping | None:
        with self._lock:
            return self._last.get(token)
