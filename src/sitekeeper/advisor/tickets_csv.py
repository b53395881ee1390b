"""Read a CSV of past support tickets (pure: text in, rows or every problem out).

A client with history elsewhere (a break-fix PSA, a spreadsheet) brings it as one row per
ticket. Columns, by header name, in any order:

    ref          required  the ticket's id where it came from (re-importing updates it)
    opened       required  when the problem started: 2025-03-04 or 2025-03-04T09:30[+01:00]
    restored               when service was back (empty: unknown)
    device                 the device id in the inventory (empty: not tied to one)
    root_cause             a short cause, e.g. "isp outage", "dhcp scope full"
    impact                 share of the business affected, 0..1 (1 = everything down)
    labour_hours           hours of technician time
    billed                 amount billed
    after_hours            yes/no (also true/false, 1/0)
    summary                free text

Times without an offset are in the client's time zone (its first site's). Nothing is stored
unless every row is valid; each problem names its line and the fix.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from typing import TypeVar

from sitekeeper.errors import SitekeeperError

COLUMNS = (
    "ref",
    "opened",
    "restored",
    "device",
    "root_cause",
    "impact",
    "labour_hours",
    "billed",
    "after_hours",
    "summary",
)
REQUIRED = ("ref", "opened")
MAX_ROWS = 100_000
MAX_PROBLEMS = 20
EARLIEST = datetime(1980, 1, 1, tzinfo=UTC).timestamp()
T = TypeVar("T")
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0", ""}


class TicketImportError(SitekeeperError):
    """The CSV is invalid; `problems` lists each one with its line."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:MAX_PROBLEMS]
        more = len(problems) - len(shown)
        text = "\n".join(f"  {p}" for p in shown)
        if more:
            text += f"\n  ... and {more} more"
        super().__init__(f"{source}: nothing was imported:\n{text}")


@dataclass(frozen=True)
class TicketRow:
    ref: str
    opened_at: float  # unix seconds
    restored_at: float | None
    device: str | None
    root_cause: str | None
    impact: float | None
    labour_h: float | None
    billed: float | None
    after_hours: bool
    summary: str


def _when(value: str, tz: tzinfo) -> float:
    text = value.strip()
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), time(0, 0))
        else:
            moment = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        raise ValueError(
            f"{value!r} is not a date or time; write 2025-03-04 or 2025-03-04T09:30"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.timestamp()


def _number(value: str, name: str, low: float, high: float) -> float | None:
    text = value.strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{name} {value!r} is not a number") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ValueError(f"{name} {text} must be between {low:g} and {high:g}")
    return number


def _flag(value: str) -> bool:
    text = value.strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError(f"after_hours {value!r} must be yes or no")


def _row(raw: dict[str, str], tz: tzinfo, now: float) -> tuple[TicketRow | None, list[str]]:
    """The row, or every problem it has (each cell is checked)."""

    def cell(name: str) -> str:
        return (raw.get(name) or "").strip()

    problems: list[str] = []

    def check(f: Callable[[], T]) -> T | None:
        try:
            return f()
        except ValueError as err:
            problems.append(str(err))
            return None

    ref = cell("ref")
    if not ref:
        problems.append("ref is empty; every ticket needs its id")
    elif len(ref) > 100:
        problems.append("ref is longer than 100 characters")
    opened = None
    if not cell("opened"):
        problems.append("opened is empty; when did the problem start?")
    else:
        opened = check(lambda: _when(cell("opened"), tz))
        if opened is not None and opened > now + 86400:
            problems.append(f"opened {cell('opened')} is in the future")
        elif opened is not None and opened < EARLIEST:
            problems.append(f"opened {cell('opened')} is before 1980; check the date")
    restored = check(lambda: _when(cell("restored"), tz)) if cell("restored") else None
    if restored is not None and opened is not None and restored < opened:
        problems.append(f"restored {cell('restored')} is before opened {cell('opened')}")
    device = cell("device") or None
    if device is not None and len(device) > 63:
        problems.append("device is longer than 63 characters; use the inventory's device id")
    impact = check(lambda: _number(cell("impact"), "impact", 0.0, 1.0))
    labour = check(lambda: _number(cell("labour_hours"), "labour_hours", 0.0, 1000.0))
    billed = check(lambda: _number(cell("billed"), "billed", 0.0, 1e9))
    after = check(lambda: _flag(cell("after_hours")))
    if problems or opened is None:
        return None, problems
    cause = cell("root_cause") or None
    return TicketRow(
        ref=ref,
        opened_at=opened,
        restored_at=restored,
        device=device,
        root_cause=cause[:200] if cause else None,
        impact=impact,
        labour_h=labour,
        billed=billed,
        after_hours=bool(after),
        summary=cell("summary")[:2000],
    ), []


def parse_tickets(text: str, source: str, tz: tzinfo, now: float) -> list[TicketRow]:
    """Every row of the CSV, or TicketImportError listing every problem (line numbers are the
    file's, header = line 1)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not header:
        raise TicketImportError(
            source, [f"the file is empty; the header needs {', '.join(REQUIRED)}"]
        )
    reader.fieldnames = header
    problems: list[str] = []
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        problems.append(
            f"line 1: unknown column(s) {', '.join(unknown)}; the columns are {', '.join(COLUMNS)}"
        )
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        problems.append(f"line 1: missing column(s) {', '.join(missing)}")
    if problems:
        raise TicketImportError(source, problems)
    rows: list[TicketRow] = []
    seen: dict[str, int] = {}
    for raw in reader:
        line = reader.line_num
        if len(rows) + len(problems) >= MAX_ROWS:
            problems.append(f"more than {MAX_ROWS:,} rows; split the file")
            break
        if None in raw:
            problems.append(f"line {line}: more cells than the header has columns")
            continue
        if not any((v or "").strip() for v in raw.values()):
            continue  # a blank line
        ref = (raw.get("ref") or "").strip()
        if ref and ref in seen:
            problems.append(f"line {line}: ref {ref!r} repeats line {seen[ref]}")
            continue
        if ref:
            seen[ref] = line
        row, wrong = _row(raw, tz, now)
        problems += [f"line {line}: {p}" for p in wrong]
        if row is not None:
            rows.append(row)
    if problems:
        raise TicketImportError(source, problems)
    return rows
