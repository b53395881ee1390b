"""`sitekeeper lifecycle CLIENT` on an applied inventory: the table, --json, --csv, errors."""

from __future__ import annotations

import csv
import io
import json
import math
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from sitekeeper.cli.app import app
from sitekeeper.cli.common import open_store
from sitekeeper.cli.lifecycle import CSV_COLUMNS

runner = CliRunner()
TODAY = date.today()
YEAR = TODAY.year
DAY_S = 86400.0


def ago(years: float) -> str:
    return (TODAY - timedelta(days=round(years * 365.25))).isoformat()


SUPPORT_ENDS = date(YEAR + 2, 6, 30)
REPLACE_BY = date(YEAR + 3, 3, 1)

INVENTORY = f"""\
clients:
  - id: office
    name: Office
    sites:
      - id: hq
        devices:
          - id: srv
            kind: server
            address: 127.0.0.1
            vendor: Dell
            model: R740
            installed: {ago(7)}
            warranty_end: {ago(2)}
            profile_checks: false
            lifecycle: {{replacement_cost: 9500}}
          - id: sw
            kind: switch
            address: 127.0.0.1
            installed: {ago(1)}
            profile_checks: false
            lifecycle: {{end_of_support: {SUPPORT_ENDS}}}
          - id: ups
            kind: ups
            address: 127.0.0.1
            installed: {ago(4)}
            profile_checks: false
            lifecycle: {{ambient_c: 33}}
          - id: proj
            kind: projector
            address: 127.0.0.1
            installed: {ago(1)}
            lifecycle: {{usage_hours_per_year: 2000}}
          - id: cam
            kind: camera
            address: 127.0.0.1
            installed: {ago(1)}
            profile_checks: false
            lifecycle: {{replace_by: {REPLACE_BY}, note: 4K upgrade, replacement_cost: 400}}
          - {{id: ap, kind: access_point, address: 127.0.0.1, profile_checks: false}}
  - id: home
    name: Home
    sites:
      - id: main
        devices:
          - {{id: router, kind: router, address: 127.0.0.1, installed: {YEAR - 2}-03-15,
             profile_checks: false}}
"""


def _record_history() -> None:
    """Incidents rooted at sw (three this year, one older) and ap, and a lamp-hours reading."""
    from sitekeeper.db import models as m

    store = open_store()
    now = time.time()
    try:
        with store.session() as session:
            devs = {d.key: d for d in session.scalars(select(m.Device))}
            opened = [("sw", 10), ("sw", 100), ("sw", 300), ("sw", 400), ("ap", 50)]
            for n, (key, days_ago) in enumerate(opened, start=1):
                dev = devs[key]
                session.add(
                    m.Incident(
                        id=n,
                        client_id=dev.client_id,
                        site_id=dev.site_id,
                        root_device_id=dev.id,
                        opened_at=now - days_ago * DAY_S,
                        resolved_at=now - days_ago * DAY_S + 3600,
                        severity=3,
                        members=[],
                        services=[],
                        title=f"{key} is down",
                    )
                )
            proj = devs["proj"]
            check = session.scalars(select(m.Check).where(m.Check.device_id == proj.id)).first()
            assert check is not None, "the projector's profile gives it a check"
            session.add(
                m.CheckState(
                    check_id=check.id,
                    client_id=proj.client_id,
                    status="ok",
                    state_type="hard",
                    attempt=1,
                    hard_status="ok",
                    since=now,
                    hard_since=now,
                    last_result_at=now,
                    values={"lamp_hours": 1500, "power": 1},
                )
            )
            session.commit()
    finally:
        store.close()


@pytest.fixture
def applied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh SQLite store with both clients applied and some history recorded."""
    monkeypatch.setenv("SITEKEEPER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SITEKEEPER_DATABASE_URL", raising=False)
    path = tmp_path / "clients.yaml"
    path.write_text(INVENTORY, encoding="utf-8")
    result = runner.invoke(app, ["inventory", "apply", str(path)])
    assert result.exit_code == 0, result.output
    _record_history()


def _json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["lifecycle", *args, "--json"])
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_json_gives_every_device_its_life_and_suggestion(applied: None) -> None:
    doc = _json("office")
    assert doc["years"] == list(range(YEAR, YEAR + 5))
    devs = {d["device"]: d for d in doc["devices"]}
    assert sorted(devs) == ["ap", "cam", "proj", "srv", "sw", "ups"]
    srv = devs["srv"]
    assert (srv["suggested_year"], srv["action"]) == (YEAR, "replace")
    assert srv["reason"] == "past planned age 6 y for servers" and srv["warranty"] == "expired"
    assert (srv["cost"], srv["cost_assumed"]) == (9500.0, False)
    sw = devs["sw"]
    assert sw["suggested_year"] == YEAR + 2 and sw["reason"] == f"end of support {YEAR + 2}-06"
    assert sw["end_of_support"] == SUPPORT_ENDS.isoformat() and sw["support"] == "supported"
    # three incidents rooted at the switch in the last 12 months (a fourth is older)
    assert (sw["incidents_12m"], sw["health"]) == (3, "poor")
    assert (devs["ap"]["incidents_12m"], devs["ap"]["health"]) == (1, "watch")
    assert devs["ap"]["age_assumed"] is True
    ups = devs["ups"]
    assert (ups["life_of"], ups["action"], ups["suggested_year"]) == ("battery", "battery", YEAR)
    assert ups["reason"].startswith("battery past 1.5 y at 33 °C")
    proj = devs["proj"]  # the lamp-hours reading (1,500 h) is past the 1,213 h life
    assert proj["life_of"] == "lamp" and proj["suggested_year"] == YEAR
    assert proj["reason"] == "lamp past 1,213 h at 2,000 h/y (1,500 h)"
    cam = devs["cam"]
    assert cam["suggested_year"] == YEAR + 3
    assert cam["reason"] == f"replace_by {REPLACE_BY:%Y-%m} set by planner: 4K upgrade"


def test_json_totals_are_the_sum_of_the_plan_lines(applied: None) -> None:
    doc = _json("office")
    lines = doc["plan"]
    assert lines and all(YEAR <= x["year"] < YEAR + 5 for x in lines)
    for year, total in doc["totals"].items():
        assert total == pytest.approx(sum(x["cost"] for x in lines if x["year"] == int(year)))
    assert doc["total"] == pytest.approx(sum(x["cost"] for x in lines))
    srv = [x for x in lines if x["device"] == "srv"]
    assert [(x["year"], x["what"], x["cost"]) for x in srv] == [(YEAR, "replace Dell R740", 9500.0)]
    short = _json("office", "--years", "2")
    assert list(short["totals"]) == [str(YEAR), str(YEAR + 1)]
    assert all(x["year"] <= YEAR + 1 for x in short["plan"])


def _rows(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    return list(reader)


def _as_csv_rows(doc: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "year": str(x["year"]),
            "client": doc["client"],
            "device": x["device"],
            "kind": x["kind"],
            "what": x["what"],
            "why": x["why"],
            "cost": f"{x['cost']:.2f}",
            "cost_assumed": "true" if x["cost_assumed"] else "false",
        }
        for x in doc["plan"]
    ]


def test_csv_file_holds_the_plan_lines(applied: None, tmp_path: Path) -> None:
    out = tmp_path / "plan.csv"
    result = runner.invoke(app, ["lifecycle", "office", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    rows = _rows(out.read_text(encoding="utf-8"))
    assert rows == _as_csv_rows(_json("office"))
    assert f"wrote {len(rows)} plan lines" in result.output
    # the overdue battery now, then one every B20 life at 33 °C (η = 2.5 y): ≈ 1.52 y
    interval_days = 2.5 * (-math.log(0.8)) ** (1 / 3) * 365.25
    expected = 1 + math.floor((date(YEAR + 4, 12, 31) - TODAY).days / interval_days)
    battery = [r for r in rows if r["what"] == "replace UPS battery"]
    assert len(battery) == expected and {r["cost"] for r in battery} == {"150.00"}
    assert any("," in r["why"] for r in rows)  # "1,213 h" survives the quoting


def test_csv_dash_writes_only_csv_to_stdout(applied: None) -> None:
    result = runner.invoke(app, ["lifecycle", "home", "--csv", "-"])
    assert result.exit_code == 0, result.output
    rows = _rows(result.stdout)
    assert rows == [
        {
            "year": str(YEAR + 4),
            "client": "home",
            "device": "router",
            "kind": "router",
            "what": "replace router",
            "why": f"reaches planned age 6 y for routers in {YEAR + 4}-03",
            "cost": "600.00",
            "cost_assumed": "true",
        }
    ]


def test_the_table_shows_devices_plan_totals_and_assumptions(applied: None) -> None:
    result = runner.invoke(app, ["lifecycle", "office"], env={"COLUMNS": "240"})
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Devices" in out and "Replacement plan" in out
    assert "past planned age 6 y for servers" in out and "replace Dell R740" in out
    assert "poor (3)" in out and "(battery)" in out and "(lamp)" in out
    for year in range(YEAR, YEAR + 5):
        assert f"total {year}" in out
    assert f"Total {YEAR}–{YEAR + 4}:" in out and "Assumed" in out


def test_an_unknown_client_exits_2_listing_the_known_ones(applied: None) -> None:
    result = runner.invoke(app, ["lifecycle", "nobody"])
    assert result.exit_code == 2
    assert "no client 'nobody'" in result.stderr and "known: home, office" in result.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--years", "0"], "--years"),
        (["--csv", "-", "--json"], "choose one"),
        (["--csv", "missing-dir/plan.csv"], "cannot write the plan to missing-dir/plan.csv"),
    ],
)
def test_bad_options_exit_2_with_a_clear_message(
    applied: None, args: list[str], words: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["lifecycle", "home", *args])
    assert result.exit_code == 2
    assert words in result.output
