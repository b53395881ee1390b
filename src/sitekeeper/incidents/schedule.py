"""Presence (pure): is a device expected to answer right now?

A device's `presence` is one of:

- `always` (the default): absence is an outage;
- `sleepy`: absence is never an outage (TVs, touch panels that drop off to save power): a DOWN
  device is ASLEEP, shown but never paged;
- a schedule in the site's time zone, e.g. `mon-fri 08:00-18:00`,
  `mon-fri 07:30-19:00, sat 09:00-13:00`, `daily 06:00-23:00`, `sat sun 10:00-16:00`,
  or overnight `fri 18:00-02:00` (Friday 18:00 to Saturday 02:00). Outside it a DOWN device is
  ASLEEP; back inside it while still down, it is a normal failure.

Schedule times are local wall-clock times with the DST rule of `windows_time` (a time in a DST
gap moves forward by the gap, a time in a repeated hour is the first one), so every span is one
stretch of real time. `next_change` says when the answer flips, to wake the correlator.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, PlainSerializer

from sitekeeper.incidents.windows_time import DAY_HINT, check_timezone, local_to_utc, to_local
from sitekeeper.incidents.windows_time import parse_weekday as _weekday
from sitekeeper.state.model import DeviceStatus

EXAMPLES = (
    "e.g. 'always', 'sleepy', 'mon-fri 08:00-18:00', 'mon-fri 07:30-19:00, sat 09:00-13:00', "
    "'daily 06:00-23:00' or 'fri 18:00-02:00'"
)
_GROUPS = {"daily": range(7), "weekdays": range(5), "weekends": range(5, 7)}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_NOON, _DAY = 12 * 60, 24 * 60
_WEEK_S = 7 * 86400.0


class PresenceError(ValueError):
    """A presence text that cannot be read; the message says why, with examples."""


@dataclass(frozen=True, slots=True)
class Span:
    days: frozenset[int]  # 0 = Monday: the days the span *starts* on
    start: int  # minutes after local midnight
    end: int  # minutes after midnight, 1440 = 24:00; less than start = the next morning

    @property
    def overnight(self) -> bool:
        return self.end < self.start


@dataclass(frozen=True, slots=True)
class Presence:
    mode: Literal["always", "sleepy", "schedule"] = "always"
    spans: tuple[Span, ...] = ()
    text: str = "always"

    def __str__(self) -> str:
        return self.text

    def intervals(self, lo: float, hi: float, tz: ZoneInfo | str) -> list[tuple[float, float]]:
        """The merged UTC (start, end) stretches of the schedule that reach into [lo, hi]."""
        zone = _zone(tz)
        day = to_local(lo, zone).date() - timedelta(days=2)
        last = to_local(hi, zone).date() + timedelta(days=1)
        raw: list[tuple[float, float]] = []
        while day <= last:
            midnight = datetime.combine(day, time())
            for span in self.spans:
                if day.weekday() not in span.days:
                    continue
                end = span.end + (_DAY if span.overnight else 0)
                s = local_to_utc(midnight + timedelta(minutes=span.start), zone)
                e = local_to_utc(midnight + timedelta(minutes=end), zone)
                if s < e and e > lo and s <= hi:  # s >= e: the span vanished into a DST gap
                    raw.append((s, e))
            day += timedelta(days=1)
        merged: list[tuple[float, float]] = []
        for s, e in sorted(raw):
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        return merged

    def expected_at(self, now: float, tz: ZoneInfo | str) -> bool:
        """Is the device expected to answer at `now`? Sleepy devices never are."""
        if self.mode != "schedule":
            return self.mode == "always"
        return any(s <= now < e for s, e in self.intervals(now, now, tz))

    def next_change(self, now: float, tz: ZoneInfo | str) -> float:
        """When `expected_at` next flips after `now`; `math.inf` if it never does."""
        if self.mode != "schedule":
            return math.inf
        for s, e in self.intervals(now, now + _WEEK_S + 86400.0, tz):
            if s <= now < e:
                # Covered for over a week on end: a weekly schedule that does that covers all time.
                return math.inf if e - now > _WEEK_S else e
            if s > now:
                return s
        return math.inf  # pragma: no cover - every valid schedule has a span each week


ALWAYS = Presence()
SLEEPY = Presence("sleepy", (), "sleepy")


def parse_presence(text: str) -> Presence:
    """Read `always`, `sleepy` or a schedule; raise PresenceError with examples otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise PresenceError(f"presence is empty; {EXAMPLES}")
    norm = " ".join(text.lower().split())
    if norm in ("always", "sleepy"):
        return ALWAYS if norm == "always" else SLEEPY
    norm = re.sub(r"\s*,\s*", ", ", re.sub(r"\s*-\s*", "-", norm))
    tokens = norm.replace(",", " ").split()
    spans: list[Span] = []
    days: set[int] = set()
    for token in tokens:
        if _TIME.match(token.split("-")[0]):
            if not days:
                raise PresenceError(f"{token!r} in {text!r} needs days before it; {EXAMPLES}")
            spans.append(_span(frozenset(days), token, text))
            days = set()
        else:
            days |= _days(token, text)
    if days or not spans:
        raise PresenceError(
            f"{text!r}: days without hours; give a time span after them, {EXAMPLES}"
        )
    return Presence("schedule", tuple(spans), norm)


def _days(token: str, text: str) -> set[int]:
    if token in _GROUPS:
        return set(_GROUPS[token])
    try:
        if "-" in token:
            first, _, last = token.partition("-")
            a, b = _weekday(first), _weekday(last)
            return {(a + i) % 7 for i in range((b - a) % 7 + 1)}  # fri-mon wraps the weekend
        return {_weekday(token)}
    except ValueError:
        raise PresenceError(
            f"{token!r} in {text!r} is not a day or a time span; {DAY_HINT}, a range like "
            f"mon-fri, daily, weekdays or weekends; {EXAMPLES}"
        ) from None


def _span(days: frozenset[int], token: str, text: str) -> Span:
    first, sep, last = token.partition("-")
    if not sep:
        raise PresenceError(f"{token!r} in {text!r} is one time; write a span like 08:00-18:00")
    start, end = _minutes(first, text), _minutes(last, text)
    if start == _DAY:
        raise PresenceError(f"{token!r} in {text!r}: a span cannot start at 24:00; use 00:00")
    if start == end:
        raise PresenceError(f"{token!r} in {text!r} is empty; for the whole day write 00:00-24:00")
    if end < start and not (start >= _NOON and end <= _NOON):
        raise PresenceError(
            f"{token!r} in {text!r} ends before it starts; write the earlier time first "
            f"({last}-{first}). A span past midnight must start at 12:00 or later and end by "
            "12:00 the next day, e.g. 'fri 18:00-02:00'"
        )
    return Span(days, start, end)


def _minutes(value: str, text: str) -> int:
    m = _TIME.match(value)
    hours, minutes = (int(m.group(1)), int(m.group(2))) if m else (-1, -1)
    if not (0 <= hours <= 23 and 0 <= minutes <= 59) and (hours, minutes) != (24, 0):
        raise PresenceError(
            f"{value!r} in {text!r} is not a time; use HH:MM from 00:00 to 23:59 "
            "(24:00 only as an end)"
        )
    return hours * 60 + minutes


def _zone(tz: ZoneInfo | str) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(check_timezone(tz))


def presence_status(
    status: DeviceStatus, presence: Presence, now: float, tz: ZoneInfo | str
) -> DeviceStatus:
    """A DOWN device that is not expected now is ASLEEP (shown, never paged)."""
    if status is DeviceStatus.DOWN and not presence.expected_at(now, tz):
        return DeviceStatus.ASLEEP
    return status


def _coerce(value: object) -> Presence:
    if isinstance(value, Presence):
        return value
    if value is None:
        return ALWAYS
    if not isinstance(value, str):
        raise PresenceError(f"presence must be text; {EXAMPLES}")
    return parse_presence(value)


# For pydantic models (the inventory's `presence:` field): read as text, written back as text.
PresenceField = Annotated[
    Presence,
    BeforeValidator(_coerce),
    PlainSerializer(str, return_type=str),
]
