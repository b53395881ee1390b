"""`sitekeeper history import|list`: a CSV of past tickets into the store, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sitekeeper.cli.app import app

runner = CliRunner()

INVENTORY = """clients:
  - id: acme
    service: {plan: break-fix, downtime_cost: 300}
    sites:
      - id: main
        timezone: America/New_York
        devices:
          - {id: server, kind: server, address: 127.0.0.1, profile_checks: false}
          - {id: router, kind: router, address: 127.0.0.1, profile_checks: false}
"""
GOOD = """ref,opened,restored,device,root_cause,impact
T-1,2025-06-02T09:00,2025-06-02T12:00,server,disk full,0.9
T-2,2025-06-20T10:00,2025-06-21T10:00,router,isp outage,0.8
T-3,2025-07-01T10:00,,printer-9,toner,
"""


def _apply(tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(INVENTORY, encoding="utf-8")
    result = runner.invoke(app, ["inventory", "apply", str(path)])
    assert result.exit_code == 0, result.output


def _list() -> dict[str, object]:
    result = runner.invoke(app, ["history", "list", "acme", "--json"])
    assert result.exit_code == 0, result.output
    doc: dict[str, object] = json.loads(result.stdout)
    return doc


def test_import_then_reimport_updates_by_ref_and_lists(env_store: str, tmp_path: Path) -> None:
    _apply(tmp_path)
    csv_path = tmp_path / "tickets.csv"
    csv_path.write_text(GOOD, encoding="utf-8")
    dry = runner.invoke(app, ["history", "import", "acme", str(csv_path), "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["added"] == 3
    assert _list()["total"] == 0  # a dry run stores nothing

    first = runner.invoke(app, ["history", "import", "acme", str(csv_path)])
    assert first.exit_code == 0, first.output
    assert "3 tickets read; added 3, updated 0, 0 unchanged" in first.output
    assert "printer-9" in first.output  # not in the inventory: said, and kept

    csv_path.write_text(GOOD.replace("isp outage", "modem failed"), encoding="utf-8")
    again = runner.invoke(app, ["history", "import", "acme", str(csv_path), "--json"])
    report = json.loads(again.stdout)
    assert (report["added"], report["updated"], report["unchanged"]) == (0, 1, 2)

    listed = _list()
    assert listed["total"] == 3
    events = listed["events"]
    assert isinstance(events, list)
    assert [e["ref"] for e in events] == ["T-3", "T-2", "T-1"]  # newest first
    assert events[1]["root_cause"] == "modem failed"
    # 09:00 in New York in June is 13:00 UTC
    from datetime import UTC, datetime

    assert events[2]["opened_at"] == datetime(2025, 6, 2, 13, 0, tzinfo=UTC).timestamp()
    table = runner.invoke(app, ["history", "list", "acme"])
    assert table.exit_code == 0 and "disk full" in table.output and "3.0" in table.output


def test_a_bad_file_names_each_line_and_stores_nothing(env_store: str, tmp_path: Path) -> None:
    _apply(tmp_path)
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text(GOOD + "T-4,not a date,,,,\nT-5,2025-08-01,,,,2\n", encoding="utf-8")
    result = runner.invoke(app, ["history", "import", "acme", str(csv_path)])
    assert result.exit_code == 2
    assert "nothing was imported" in result.stderr
    assert "line 5: 'not a date' is not a date" in result.stderr
    assert "line 6: impact 2 must be between 0 and 1" in result.stderr
    assert _list()["total"] == 0


def test_unknown_client_and_unreadable_file_exit_2(env_store: str, tmp_path: Path) -> None:
    _apply(tmp_path)
    result = runner.invoke(app, ["history", "import", "nobody", "-"], input=GOOD)
    assert (
        result.exit_code == 2 and "no client 'nobody' in the store (known: acme)" in result.stderr
    )
    missing = runner.invoke(app, ["history", "import", "acme", str(tmp_path / "none.csv")])
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
    stdin = runner.invoke(app, ["history", "import", "acme", "-", "--json"], input=GOOD)
    assert stdin.exit_code == 0 and json.loads(stdin.stdout)["added"] == 3


def test_tickets_older_than_the_advisor_reads_are_kept_and_said(
    env_store: str, tmp_path: Path
) -> None:
    _apply(tmp_path)
    from datetime import date, timedelta

    recent = (date.today() - timedelta(days=30)).isoformat()
    old = f"ref,opened\nOLD-1,2019-05-01\nNEW-1,{recent}\n"
    result = runner.invoke(app, ["history", "import", "acme", "-"], input=old)
    assert result.exit_code == 0, result.output
    assert "1 ticket(s) are older than 36 months" in result.output
    assert _list()["total"] == 2
