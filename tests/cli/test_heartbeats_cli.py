"""`sitekeeper heartbeats list`: the URL each heartbeat check's job pings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sitekeeper.cli.app import app

runner = CliRunner()
INVENTORY = """
clients:
  - id: acme
    sites:
      - id: hq
        devices:
          - id: nas
            kind: nas
            address: 192.0.2.20
            profile_checks: false
            checks:
              - {type: heartbeat, name: backup, schedule: "0 3 * * *", tz: Europe/Berlin, grace: 30m}
              - {type: syslog}
"""


def test_it_lists_each_heartbeat_with_its_url(
    env_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SITEKEEPER_PUBLIC_URL", "https://monitor.example.com/")
    path = tmp_path / "inv.yaml"
    path.write_text(INVENTORY)
    assert runner.invoke(app, ["inventory", "apply", str(path)]).exit_code == 0
    result = runner.invoke(app, ["heartbeats", "list", "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert row["device"] == "nas" and row["check"] == "backup" and row["last_ping_at"] is None
    assert row["url"].startswith("https://monitor.example.com/hb/") and len(row["url"]) > 40
    assert runner.invoke(app, ["inventory", "apply", str(path)]).exit_code == 0
    again = json.loads(runner.invoke(app, ["heartbeats", "list", "--json"]).output)
    assert again[0]["url"] == row["url"]  # re-applying keeps the token
    table = runner.invoke(app, ["heartbeats", "list"], env={"COLUMNS": "250"})
    assert table.exit_code == 0 and row["url"] in table.output and "never" in table.output
