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
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

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


def _row(raw: dict[str, str], tz: tzinfo, now: float) -> TicketRow:
    def cell(name: str) -> str:
        return (raw.get(name) or "").strip()

    ref = cell("ref")
    if not ref:
        raise ValueError("ref is empty; every ticket needs its id")
    if len(ref) > 100:
        raise ValueError("ref is longer than 100 characters")
    if not cell("opened"):
        raise ValueError("opened is empty; when did the problem start?")
    opened = _when(cell("opened"), tz)
    if opened > now + 86400:
        raise ValueError(f"opened {cell('opened')} is in the future")
    restored = _when(cell("restored"), tz) if cell("restored") else None
    if restored is not None and restored < opened:
        raise ValueError(f"restored {cell('restored')} is before opened {cell('opened')}")
    device = cell("device") or None
    if device is not None and len(device) > 63:
        raise ValueError("device is longer than 63 characters; use the inventory's device id")
    cause = cell("root_cause") or None
    return TicketRow(
        ref=ref,
        opened_at=opened,
        restored_at=restored,
        device=device,
        root_cause=cause[:200] if cause else None,
        impact=_number(cell("impact"), "impact", 0.0, 1.0),
        labour_h=_number(cell("labour_hours"), "labour_hours", 0.0, 1000.0),
        billed=_number(cell("billed"), "billed", 0.0, 1e9),
        after_hours=_flag(cell("after_hours")),
        summary=cell("summary")[:2000],
    )


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
        try:
            row = _row(raw, tz, now)
        except ValueError as err:
            problems.append(f"line {line}: {err}")
            continue
        if row.ref in seen:
            problems.append(f"line {line}: ref {row.ref!r} repeats line {seen[row.ref]}")
            continue
        seen[row.ref] = line
        rows.append(row)
    if problems:
        raise TicketImportError(source, problems)
    return rows
