"""Local wall-clock time, the one DST rule, and day names: shared by windows and presence.

Maintenance windows and presence schedules are written in local time ("22:00 Europe/London"),
so they keep their wall-clock time across DST changes. Two local times need a rule:

- **In a gap** (the clock jumps 01:00 -> 02:00, so 01:30 never happens): the time is read with
  the offset in force *before* the change, which moves it forward by the size of the gap:
  01:30 becomes 02:30. Nothing is lost or run twice.
- **In a repeated hour** (the clock falls back 02:00 -> 01:00, so 01:30 happens twice): the
  *first* 01:30 is meant.

Both are what PEP 495's `fold=0` does, so `local_to_utc` is one line; the rule is written here
once so every caller gets the same answer.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FULL_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_HINT = "use mon, tue, wed, thu, fri, sat or sun (or the full name, e.g. tuesday)"


def parse_weekday(value: object) -> int:
    """Monday is 0, as in `date.weekday()`; accepts `tue`, `Tuesday`, or a number 0..6."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    text = str(value).strip().lower()
    if text in WEEKDAYS:
        return WEEKDAYS.index(text)
    if text in FULL_WEEKDAYS:
        return FULL_WEEKDAYS.index(text)
    raise ValueError(f"{value!r} is not a day; {DAY_HINT}")


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{name!r} is not a time zone; use an IANA name like Europe/London or America/New_York"
        ) from None
    return name


def local_to_utc(local: datetime, tz: ZoneInfo) -> float:
    """Epoch seconds of a naive local time in `tz`, by the gap / repeated-hour rule above."""
    return local.replace(tzinfo=tz, fold=0).timestamp()


def to_local(ts: float, tz: ZoneInfo) -> datetime:
    """The naive local wall-clock time of an instant."""
    return datetime.fromtimestamp(ts, UTC).astimezone(tz).replace(tzinfo=None)


def local_date(ts: float, tz: ZoneInfo) -> date:
    return to_local(ts, tz).date()
