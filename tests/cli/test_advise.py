"""`sitekeeper advise CLIENT` on an applied inventory: verdicts, reproducibility, errors."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sitekeeper.cli.app import app

runner = CliRunner()
RECENT = (date.today() - timedelta(days=365)).isoformat()
OLDER = (date.today() - timedelta(days=4 * 365)).isoformat()


def _device(key: str, kind: str, crit: int, installed: str, deps: list[str]) -> str:
    dep = f", depends_on: [{', '.join(deps)}]" if deps else ""
    return (
        f"          - {{id: {key}, kind: {kind}, address: 127.0.0.1, criticality: {crit}, "
        f"installed: {installed}, profile_checks: false{dep}}}\n"
    )


def _home() -> str:
    """A young home: router, switch, two APs, two cameras, a TV."""
    devs = _device("router", "router", 3, RECENT, [])
    devs += _device("switch", "switch", 2, RECENT, ["router"])
    devs += "".join(_device(f"ap{i}", "access_point", 2, RECENT, ["switch"]) for i in (1, 2))
    devs += "".join(_device(f"cam{i}", "camera", 1, RECENT, ["switch"]) for i in (1, 2))
    devs += _device("tv", "display", 1, RECENT, ["switch"])
    return devs


def _office() -> str:
    """An office: dual routers, UPS, core switch, server and NAS, APs, cameras, a meeting room."""
    devs = _device("ups", "ups", 5, OLDER, [])
    devs += "".join(_device(f"router{i}", "router", 4, OLDER, ["ups"]) for i in (1, 2))
    devs += (
        "          - {id: core, kind: switch, address: 127.0.0.1, criticality: 5, "
        f"installed: {OLDER}, profile_checks: false, depends_on: [router1, router2], "
        "depends_mode: any}\n"
    )
    devs += _device("server", "server", 5, OLDER, ["core", "ups"])
    devs += _device("nas", "nas", 4, OLDER, ["core", "ups"])
    devs += "".join(_device(f"ap{i}", "access_point", 3, OLDER, ["core"]) for i in range(3))
    devs += "".join(_device(f"cam{i}", "camera", 2, OLDER, ["core"]) for i in range(6))
    devs += _device("codec", "conferencing_codec", 3, OLDER, ["core"])
    devs += _device("display", "display", 2, OLDER, ["codec"])
    devs += "".join(
        _device(f"ws{i}", "workstation", 2, OLDER, ["core", "server"]) for i in range(8)
    )
    return devs


def _inventory(tmp_path: Path) -> Path:
    text = "clients:\n"
    for key, devices in (("home", _home()), ("office", _office())):
        text += f"  - id: {key}\n    name: {key.title()}\n    sites:\n      - id: main\n"
        text += "        devices:\n" + devices
    path = tmp_path / "clients.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def applied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh SQLite store in a temporary data directory, with both clients applied."""
    monkeypatch.setenv("SITEKEEPER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SITEKEEPER_DATABASE_URL", raising=False)
    result = runner.invoke(app, ["inventory", "apply", str(_inventory(tmp_path))])
    assert result.exit_code == 0, result.output


def _advise(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["advise", *args, "--trials", "2000", "--json"])
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_same_seed_gives_identical_json(applied: None) -> None:
    first = _advise("office", "--downtime-cost", "800", "--seed", "7")
    second = _advise("office", "--downtime-cost", "800", "--seed", "7")
    assert first == second
    other = _advise("office", "--downtime-cost", "800", "--seed", "8")
    assert other["break_fix"]["mean"] != first["break_fix"]["mean"]
    assert first["inputs"]["seed"] == 7 and first["inputs"]["trials"] == 2000


def test_a_small_young_home_at_a_low_cost_stays_break_fix(applied: None) -> None:
    doc = _advise("home", "--downtime-cost", "20", "--hours", "24x7")
    assert doc["verdict"] == "break-fix", doc
    assert doc["delta"]["mean"] < 0 and doc["delta"]["p_managed_cheaper"] <= 0.4
    assert doc["devices_by_class"] == {"ap": 2, "camera": 2, "display": 1, "router": 1, "switch": 1}
    # the saving is the paired difference of the two means
    diff = doc["break_fix"]["mean"] - doc["managed"]["mean"]
    assert diff == pytest.approx(doc["delta"]["mean"], abs=0.02)
    assert doc["break_fix"]["components"]["fee"] == 0.0 < doc["managed"]["components"]["fee"]
    # a break-even above the stated cost is what would flip this answer
    be = doc["break_even"]["downtime_cost_per_hour"]
    assert be is not None and be > 20


def test_a_larger_office_at_a_high_cost_goes_managed(applied: None) -> None:
    doc = _advise("office", "--downtime-cost", "5000", "--tolerance-hours", "4")
    assert doc["verdict"] == "managed", doc
    assert doc["delta"]["mean"] > 10 * doc["delta"]["se"]
    assert doc["delta"]["p_managed_cheaper"] >= 0.6
    bf, ms = doc["break_fix"], doc["managed"]
    assert bf["downtime_hours"] > ms["downtime_hours"]
    assert bf["p50"] <= bf["p90"] and ms["p50"] <= ms["p90"]
    assert doc["break_even"]["downtime_cost_per_hour"] < 5000


def test_the_table_names_verdict_seed_and_assumptions(applied: None) -> None:
    result = runner.invoke(app, ["advise", "home", "--downtime-cost", "20", "--trials", "2000"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "break-fix" in out and "Assumed" in out and "downtime cost 20/h (command line)" in out
    assert "P(longest outage > 8 h)" in out and "would change the answer" in out
    # no history: the signals need 12 months, and the report says so
    assert "not enough history" in out


def test_an_unknown_client_exits_2_naming_inventory_apply(applied: None) -> None:
    result = runner.invoke(app, ["advise", "nobody", "--downtime-cost", "100"])
    assert result.exit_code == 2
    assert "no client 'nobody'" in result.stderr and "sitekeeper inventory apply" in result.stderr


def test_a_missing_downtime_cost_is_a_clear_error(applied: None) -> None:
    result = runner.invoke(app, ["advise", "home"])
    assert result.exit_code == 2
    assert "no downtime cost" in result.stderr
    assert "downtime_cost" in result.stderr and "--downtime-cost" in result.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--trials", "1"], "--trials"),
        (["--hours", "weekends"], "--hours"),
        (["--tolerance-hours", "-1"], "--tolerance-hours"),
        (["--downtime-cost", "lots"], "--downtime-cost"),
    ],
)
def test_a_bad_option_names_the_option(applied: None, args: list[str], words: str) -> None:
    base = ["advise", "home", "--downtime-cost", "20"]
    result = runner.invoke(app, [*base, *args])
    assert result.exit_code == 2
    assert words in result.output


def test_every_device_kind_maps_to_a_profiled_class() -> None:
    from sitekeeper.inventory.kinds import DeviceKind
    from sitekeeper.plan import DEFAULT_PROFILES
    from sitekeeper.plan.from_inventory import KIND_CLASS

    assert set(KIND_CLASS) == set(DeviceKind)
    assert all(c.device_class in DEFAULT_PROFILES for c in KIND_CLASS.values())


def test_depends_mode_any_makes_redundant_edges_and_age_comes_from_installed() -> None:
    from sitekeeper.plan.from_inventory import InventoryDevice, assumptions, estate_from_inventory

    today = date(2026, 1, 1)
    devices = [
        InventoryDevice("r1", "router", 4, date(2024, 1, 1)),
        InventoryDevice("r2", "firewall", 4, None),
        InventoryDevice("core", "switch", 5, date(2025, 1, 1), ("r1", "r2"), "any"),
        InventoryDevice("cam", "camera", 1, None, ("core", "gone")),
    ]
    estate = estate_from_inventory(devices, today)
    by_id = {d.id: d for d in estate.devices}
    assert by_id["r1"].age_y == pytest.approx(731 / 365.25)
    assert by_id["r2"].age_y == 3.0 and by_id["r2"].device_class == "router"
    assert by_id["core"].criticality == 1.0 and by_id["cam"].criticality == 0.01
    edges = {(e.parent, e.child, e.redundant) for e in estate.edges}
    assert edges == {("r1", "core", True), ("r2", "core", True), ("core", "cam", False)}
    notes = assumptions(devices)
    assert "2 device(s) without an install date are taken as 3 y old" in notes
    assert "kinds firewall: the 'router' reliability profile" in notes


def test_the_demo_office_prints_drivers_hybrid_three_years_tornado_and_signs(
    applied: None,
) -> None:
    import time

    from sitekeeper.lab.setup import install_advisor_demo
    from sitekeeper.results.store import Store
    from sitekeeper.settings import load_settings

    store = Store.open(load_settings())
    try:
        with store.session() as session:
            install_advisor_demo(session, time.time())
            session.commit()
    finally:
        store.close()
    result = runner.invoke(app, ["advise", "office", "--trials", "600", "--tornado"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "office (now break-fix): managed" in out
    assert "Top drivers" in out and "server (server)" in out
    assert "Three years (break-fix vs managed): year 1:" in out
    assert "What moves the answer" in out and "downtime cost per hour" in out
    assert "Signs of outgrowing break-fix" in out and "outgrown break-fix" in out
    assert "estimated bottom-up: 25 staff" in out
    doc = _advise("home")
    assert doc["verdict"] == "break-fix" and doc["switch_verdict"] == "break-fix still fits"
    assert doc["tornado"] is None  # only with --tornado
    assert doc["three_year"]["years"][0]["break_fix"] == doc["break_fix"]["mean"]
    listed = runner.invoke(app, ["portfolio", "--json"])
    assert listed.exit_code == 0, listed.output
    verdicts = {c["client"]: c["verdict"] for c in json.loads(listed.stdout)["clients"]}
    assert verdicts == {"office": "outgrown break-fix", "home": "break-fix still fits"}
    table = runner.invoke(app, ["portfolio"])
    assert table.exit_code == 0 and "recurrence" in table.output
