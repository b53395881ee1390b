"""Maintenance windows (pure): when a window is active, and what it covers.

A window is a local start time in a time zone, a duration, and an optional repeat (weekly,
monthly, cron) with an optional `until` (the last local date an occurrence may start). Starts
keep their local wall-clock time across DST changes; a start in a DST gap moves forward by the
gap, and a start in a repeated hour is the first one (see `windows_time`). The duration is real
elapsed time from the start. Occurrences of one window that overlap are merged into one span.

`scope` says what a window covers; it is empty for "everything of the window's client". The
silence stage that uses all this is `windows_silence.silence`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from sitekeeper.checks.duration import Duration
from sitekeeper.incidents.windows_recur import Cron, Repeat
from sitekeeper.incidents.windows_time import check_timezone, local_to_utc, to_local

# The inventory's id rule, repeated rather than imported: the inventory models will import
# this module for their `maintenance:` field, and must not be imported back.
_KEY = r"[a-z0-9][a-z0-9_-]{0,62}"
_ID, _REF = re.compile(rf"^{_KEY}$"), re.compile(rf"^({_KEY}/)?{_KEY}$")
_KEY_HINT = "lower-case letters, digits, '-' and '_', starting with a letter or digit (max 63)"


def _id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"{value!r} is not a valid id; use {_KEY_HINT}")
    return value


def _scope_ref(value: str) -> str:
    if not _REF.match(value):
        raise ValueError(
            f"{value!r} is not a key; write `name` or `client/name` as in the inventory "
            f"({_KEY_HINT}), e.g. hq or acme/hq"
        )
    return value


Key = Annotated[str, AfterValidator(_id)]
ScopeRef = Annotated[str, AfterValidator(_scope_ref)]
_MARGIN = timedelta(days=2)  # more than any DST jump, so no start near a range edge is missed
_HORIZON_S = 60 * 366 * 86400.0  # next_start gives up after 60 years (cronsim stops at 50)
_CHANGE_HORIZON_S = 31 * 86400.0  # how far current_end follows overlapping occurrences


class Scope(BaseModel):
    """Any of these matches; all empty matches everything of the window's client.

    Sites, devices and services are `name` (in the window's client) or `client/name`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    clients: tuple[Key, ...] = ()
    sites: tuple[ScopeRef, ...] = ()
    devices: tuple[ScopeRef, ...] = ()
    services: tuple[ScopeRef, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.clients or self.sites or self.devices or self.services)

    def refs(self) -> Iterable[str]:
        yield from self.sites
        yield from self.devices
        yield from self.services


class MaintenanceWindow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Key
    name: str = Field(min_length=1)
    client: Key | None = None  # filled from the enclosing client; None = an MSP-wide window
    scope: Scope = Scope()
    start: datetime | None = None  # local time in `timezone`; optional only with cron
    duration: Duration
    timezone: str  # the IANA zone `start` is written in; required: never guess summer time
    repeat: Repeat | None = None
    until: date | None = None  # the last local date an occurrence may start on

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return check_timezone(value)

    @field_validator("start")
    @classmethod
    def _local(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            raise ValueError(
                f"{value.isoformat()} has a UTC offset; write the local time without one "
                "(e.g. 2025-01-14 22:00) and set `timezone:`"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> MaintenanceWindow:
        if self.start is None and not isinstance(self.repeat, Cron):
            raise ValueError(
                "start: required unless the window repeats by cron; give the local date and "
                "time the (first) window begins, e.g. start: 2025-01-14 22:00"
            )
        if self.until is not None and self.start is not None and self.until < self.start.date():
            raise ValueError(
                f"until ({self.until}) is before the start ({self.start.date()}); "
                "until is the last date an occurrence may start on"
            )
        if self.until is not None and self.repeat is None:
            raise ValueError("until: only a repeating window has one; add `repeat:` or remove it")
        if self.client is not None:
            self._check_own_client(self.client)
        return self

    def _check_own_client(self, client: str) -> None:
        foreign = [c for c in self.scope.clients if c != client]
        foreign += [r for r in self.scope.refs() if "/" in r and r.split("/")[0] != client]
        if foreign:
            raise ValueError(
                f"scope: {', '.join(foreign)} belong(s) to another client; a window of "
                f"client {client!r} covers only its own sites, devices and services"
            )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    # -- when ------------------------------------------------------------------------------

    def starts_between(self, lo: float, hi: float) -> list[float]:
        """Sorted UTC start instants s with lo <= s <= hi."""
        tz = self.tz
        local_lo, local_hi = to_local(lo, tz) - _MARGIN, to_local(hi, tz) + _MARGIN
        if self.start is not None:
            local_lo = max(local_lo, self.start)
        if self.until is not None:
            local_hi = min(local_hi, datetime.combine(self.until, datetime.max.time()))
        if local_lo > local_hi:
            return []
        if self.repeat is None:
            assert self.start is not None  # checked by the model
            locals_: Iterable[datetime] = [self.start]
        else:
            first = self.start or local_lo
            locals_ = self.repeat.local_starts(first, local_lo, local_hi)
        # Converting can reorder (a gap moves a start forward) or merge starts, so sort + dedupe.
        return sorted({s for s in (local_to_utc(t, tz) for t in locals_) if lo <= s <= hi})

    def occurrences(self, between_start: float, between_end: float) -> list[tuple[float, float]]:
        """The (start, end) spans overlapping [between_start, between_end), sorted and merged."""
        spans: list[tuple[float, float]] = []
        for s in self.starts_between(between_start - self.duration, between_end):
            end = s + self.duration
            if s >= between_end or end <= between_start:
                continue
            if spans and s <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], end))
            else:
                spans.append((s, end))
        return spans

    def active_at(self, now: float) -> bool:
        d = self.duration
        return any(s <= now < s + d for s in self.starts_between(now - d, now))

    def current_end(self, now: float) -> float | None:
        """When the span in progress at `now` ends (following overlaps), or None if inactive.

        A repeating window that overlaps itself for longer than `_CHANGE_HORIZON_S` is
        reported as ending then: look again at that time."""
        d = self.duration
        end = max((s + d for s in self.starts_between(now - d, now) if s + d > now), default=None)
        hi, step = now, max(d, 86400.0)
        while end is not None and end - now < _CHANGE_HORIZON_S:
            lo, hi, step = hi, end + step, step * 2
            for s in self.starts_between(lo, hi):
                if s > end:  # a gap: the span in progress ends at `end`
                    return end
                end = max(end, s + d)
            if end < hi:  # nothing else starts before this span ends
                break
        return end

    def next_start(self, after: float) -> float | None:
        """The first start strictly after `after`, or None when the window never starts again."""
        if self.repeat is None:
            assert self.start is not None  # checked by the model
            first = local_to_utc(self.start, self.tz)
            return first if first > after else None
        stop = after + _HORIZON_S
        if self.until is not None:
            day_after = datetime.combine(self.until + timedelta(days=1), datetime.min.time())
            stop = min(stop, local_to_utc(day_after, self.tz))
        lo, span = after, 2 * 86400.0
        while lo < stop:
            later = [s for s in self.starts_between(lo, min(lo + span, stop)) if s > after]
            if later:
                return later[0]
            lo, span = lo + span, span * 2
        return None

    def next_change(self, after: float) -> float | None:
        """When `active_at` next flips after `after` (to wake the pipeline), or None if never."""
        end = self.current_end(after)
        return end if end is not None else self.next_start(after)

    # -- what ------------------------------------------------------------------------------

    def matches(
        self,
        client: str,
        site: str | None = None,
        device: str | None = None,
        services: Collection[str] = (),
    ) -> bool:
        if self.client is not None and client != self.client:
            return False
        scope = self.scope
        if scope.empty:
            return True
        return (
            client in scope.clients
            or _named(scope.sites, client, site)
            or _named(scope.devices, client, device)
            or any(_named(scope.services, client, s) for s in services)
        )


def _named(refs: tuple[str, ...], client: str, key: str | None) -> bool:
    return key is not None and (key in refs or f"{client}/{key}" in refs)


def matches(
    window: MaintenanceWindow,
    client_key: str,
    site_key: str | None,
    device_key: str | None,
    service_keys: Collection[str] = (),
) -> bool:
    """Does `window` cover this client/site/device/services? (Time is `active_at`'s job.)"""
    return window.matches(client_key, site_key, device_key, service_keys)


def parse_windows(
    items: Iterable[Mapping[str, Any]], client: str | None = None
) -> list[MaintenanceWindow]:
    """Validate raw window entries (YAML/JSON), setting `client` for a client's own windows."""
    extra = {} if client is None else {"client": client}
    return [MaintenanceWindow.model_validate({**item, **extra}) for item in items]
