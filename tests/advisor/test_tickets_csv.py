"""The past-tickets CSV: valid files read exactly, every problem listed with its line."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

import pytest

from sitekeeper.advisor.tickets_csv import TicketImportError, parse_tickets

NOW = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
LONDON = zoneinfo.ZoneInfo("Europe/London")


def test_a_valid_file_is_read_with_times_in_the_client_zone() -> None:
    text = (
        "ref,opened,restored,device,root_cause,impact,labour_hours,billed,after_hours,summary\n"
        "T-1,2025-07-01T09:30,2025-07-01T13:00,server,Disk full,0.9,2.5,425,no,backup volume\n"
        "T-2,2025-01-10,,,,,,,yes,\n"
        "\n"
        "T-3,2025-02-01T08:00+00:00,2025-02-02 08:00,ws-01,,0.04,,,1,\n"
    )
    rows = parse_tickets(text, "t.csv", LONDON, NOW)
    assert [r.ref for r in rows] == ["T-1", "T-2", "T-3"]
    first = rows[0]
    # 09:30 in London in July is 08:30 UTC
    assert first.opened_at == datetime(2025, 7, 1, 8, 30, tzinfo=UTC).timestamp()
    assert first.restored_at is not None and first.restored_at - first.opened_at == 3.5 * 3600
    assert (first.device, first.root_cause, first.impact) == ("server", "Disk full", 0.9)
    assert (first.labour_h, first.billed, first.after_hours) == (2.5, 425.0, False)
    second = rows[1]
    # a date alone is midnight local; January London is UTC
    assert second.opened_at == datetime(2025, 1, 10, tzinfo=UTC).timestamp()
    assert second.restored_at is None and second.device is None and second.after_hours
    assert rows[2].restored_at == datetime(2025, 2, 2, 8, 0, tzinfo=UTC).timestamp()


def test_columns_may_come_in_any_order_with_a_bom_and_capitals() -> None:
    rows = parse_tickets("\ufeffOpened,REF\n2025-03-01,A\n", "t.csv", UTC, NOW)
    assert rows[0].ref == "A"


def test_every_bad_row_is_named_by_line_and_nothing_is_returned() -> None:
    text = (
        "ref,opened,restored,impact,after_hours\n"
        "A,2025-03-01,2025-02-01,,\n"
        ",2025-03-01,,,\n"
        "C,yesterday,,,\n"
        "D,2025-03-01,,1.5,\n"
        "E,2025-03-01,,,maybe\n"
        "F,2030-01-01,,,\n"
        "G,2025-03-01,,,\n"
        "G,2025-03-02,,,\n"
        "H,2025-03-01,,,,extra\n"
    )
    with pytest.raises(TicketImportError) as caught:
        parse_tickets(text, "t.csv", UTC, NOW)
    problems = caught.value.problems
    assert problems == [
        "line 2: restored 2025-02-01 is before opened 2025-03-01",
        "line 3: ref is empty; every ticket needs its id",
        "line 4: 'yesterday' is not a date or time; write 2025-03-04 or 2025-03-04T09:30",
        "line 5: impact 1.5 must be between 0 and 1",
        "line 6: after_hours 'maybe' must be yes or no",
        "line 7: opened 2030-01-01 is in the future",
        "line 9: ref 'G' repeats line 8",
        "line 10: more cells than the header has columns",
    ]
    assert str(caught.value).startswith("t.csv: nothing was imported:")


def test_unknown_and_missing_columns_are_named_with_the_list_of_columns() -> None:
    with pytest.raises(TicketImportError) as caught:
        parse_tickets("id,when\n1,2025-01-01\n", "t.csv", UTC, NOW)
    assert caught.value.problems[0].startswith("line 1: unknown column(s) id, when; the columns")
    assert caught.value.problems[1] == "line 1: missing column(s) ref, opened"
    with pytest.raises(TicketImportError, match="the file is empty"):
        parse_tickets("", "t.csv", UTC, NOW)


def test_every_problem_of_a_row_is_listed_and_refs_repeat_even_after_a_bad_row() -> None:
    text = "ref,opened,impact,after_hours\nA,0001-01-01,1.5,maybe\nA,2025-03-01,,\n"
    with pytest.raises(TicketImportError) as caught:
        parse_tickets(text, "t.csv", UTC, NOW)
    assert caught.value.problems == [
        "line 2: opened 0001-01-01 is before 1980; check the date",
        "line 2: impact 1.5 must be between 0 and 1",
        "line 2: after_hours 'maybe' must be yes or no",
        "line 3: ref 'A' repeats line 2",
    ]
