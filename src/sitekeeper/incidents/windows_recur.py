"""How a maintenance window repeats: weekly, monthly (by day, or "second tuesday"), or cron.

Each rule turns the window's first start (a naive local date-time) into the local start times
that fall in a range. Everything here is local wall-clock time; `windows` turns it into UTC
with the one DST rule in `windows_time`.

A monthly day past the end of a short month (the 31st in April, the 30th in February) means
that month's **last day**, so "monthly on the 31st" runs every month. To skip short months
instead, use cron (`0 22 31 * *` runs only in months that have a 31st).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from cronsim import CronSim, CronSimError
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    PlainSerializer,
    Tag,
    field_validator,
)

from sitekeeper.incidents.windows_time import FULL_WEEKDAYS, WEEKDAYS, parse_weekday

Weekday = Annotated[
    int,
    BeforeValidator(parse_weekday),
    PlainSerializer(lambda d: WEEKDAYS[d], return_type=str),
]

ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
_ORDINAL_ALIASES = {"1st": "first", "2nd": "second", "3rd": "third", "4th": "fourth"}
ON_HINT = "write it like 'second tuesday' or 'last friday' (first, second, third, fourth or last, then a day)"


def nth_weekday(year: int, month: int, nth: int, weekday: int) -> date:
    """The nth (1..4, or -1 for the last) given weekday of a month."""
    if nth == -1:
        last = date(year, month, calendar.monthrange(year, month)[1])
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def parse_on(text: str) -> tuple[int, int]:
    """'second tuesday' -> (2, 1); 'last fri' -> (-1, 4)."""
    words = text.strip().lower().split()
    if len(words) != 2:
        raise ValueError(f"{text!r} is not a day of the month; {ON_HINT}")
    ordinal = _ORDINAL_ALIASES.get(words[0], words[0])
    if ordinal not in ORDINALS:
        raise ValueError(
            f"{words[0]!r} in {text!r} is not first, second, third, fourth or last; {ON_HINT}"
        )
    return ORDINALS[ordinal], parse_weekday(words[1])


class Weekly(BaseModel):
    """Every week on `days` (default: the weekday of the window's start), at the start's time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    every: Literal["weekly"]
    days: tuple[Weekday, ...] = ()

    @field_validator("days")
    @classmethod
    def _unique(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(sorted(set(value)))

    def local_starts(self, first: datetime, lo: datetime, hi: datetime) -> Iterator[datetime]:
        days = set(self.days) or {first.weekday()}
        day = lo.date()
        while day <= hi.date():
            if day.weekday() in days:
                start = datetime.combine(day, first.time())
                if lo <= start <= hi:
                    yield start
            day += timedelta(days=1)


class Monthly(BaseModel):
    """Every month on `day`: a number (1..31) or "second tuesday"; default: the start's day.

    One field for both (not `on:`), because YAML 1.1 reads the key `on` as `true`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    every: Literal["monthly"]
    day: int | str | None = None

    @field_validator("day", mode="before")
    @classmethod
    def _day(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, str):
            nth, weekday = parse_on(value)
            ordinal = next(word for word, n in ORDINALS.items() if n == nth)
            return f"{ordinal} {FULL_WEEKDAYS[weekday]}"
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 31
        ):
            raise ValueError(
                f"{value!r} is not a day of the month; use 1..31 (past the end of a short "
                "month means its last day), or a weekday like 'second tuesday' or 'last friday'"
            )
        return value

    def date_in(self, year: int, month: int, first: datetime) -> date:
        if isinstance(self.day, str):
            return nth_weekday(year, month, *parse_on(self.day))
        wanted = self.day if self.day is not None else first.day
        return date(year, month, min(wanted, calendar.monthrange(year, month)[1]))

    def local_starts(self, first: datetime, lo: datetime, hi: datetime) -> Iterator[datetime]:
        year, month = lo.year, lo.month
        while (year, month) <= (hi.year, hi.month):
            start = datetime.combine(self.date_in(year, month, first), first.time())
            if lo <= start <= hi:
                yield start
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)


class Cron(BaseModel):
    """At the local times a cron expression names (five fields, as in Debian's cron)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cron: str

    @field_validator("cron")
    @classmethod
    def _parses(cls, value: str) -> str:
        try:
            CronSim(value, datetime(2000, 1, 1))
        except (CronSimError, ValueError, KeyError, IndexError) as err:
            raise ValueError(
                f"{value!r} is not a cron expression ({err}); use five fields: minute hour "
                "day-of-month month day-of-week, e.g. '0 22 * * 2' for 22:00 every Tuesday"
            ) from None
        return value.strip()

    def local_starts(self, first: datetime, lo: datetime, hi: datetime) -> Iterator[datetime]:
        # Naive on purpose: cronsim walks wall-clock times, and the window applies the same
        # DST rule to them as to every other recurrence (see windows_time).
        for start in CronSim(self.cron, lo - timedelta(seconds=1)):
            if start > hi:
                return
            yield start


def _repeat_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        if "cron" in value:
            return "cron"
        every = value.get("every")
        return every if every in ("weekly", "monthly") else None
    if isinstance(value, BaseModel):
        return "cron" if isinstance(value, Cron) else str(getattr(value, "every", ""))
    return None


def _shorthand(value: Any) -> Any:
    """`repeat: weekly`, `monthly` or `daily` as plain words."""
    if isinstance(value, dict) and True in value:
        raise ValueError(
            "YAML reads the key `on:` as true; write the weekday as `day:`, "
            "e.g. {every: monthly, day: second tuesday}"
        )
    if isinstance(value, str):
        word = value.strip().lower()
        if word == "daily":
            return {"every": "weekly", "days": list(range(7))}
        if word in ("weekly", "monthly"):
            return {"every": word}
        raise ValueError(f"{value!r} is not a repeat; {REPEAT_HINT}")
    return value


REPEAT_HINT = (
    "use daily, weekly, monthly, {every: weekly, days: [mon, thu]}, {every: monthly, day: 1}, "
    "{every: monthly, day: second tuesday} or {cron: '0 22 * * 2'}"
)

Repeat = Annotated[
    Annotated[Weekly, Tag("weekly")]
    | Annotated[Monthly, Tag("monthly")]
    | Annotated[Cron, Tag("cron")],
    Discriminator(
        _repeat_tag,
        custom_error_type="repeat",
        custom_error_message=f"not a repeat; {REPEAT_HINT}",
    ),
    BeforeValidator(_shorthand),
]
