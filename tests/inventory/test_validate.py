"""Inventory validation: one invalid fixture per rule (its first line says the line and the
message expected), and valid files with profiles, defaults and overrides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sitekeeper.errors import InventoryError
from sitekeeper.inventory.kinds import DeviceKind
from sitekeeper.inventory.validate import load_inventory, parse_inventory

INVALID = sorted((Path(__file__).parent / "invalid").glob("*.yaml"))


def _expectation(path: Path) -> tuple[int, str]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    m = re.match(r"# expect: (\d+) (.+)$", first)
    assert m, f"{path.name} must start with '# expect: LINE MESSAGE'"
    return int(m.group(1)), m.group(2)


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_each_invalid_fixture_is_rejected_with_file_line_and_message(path: Path) -> None:
    line, message = _expectation(path)
    with pytest.raises(InventoryError) as err:
        load_inventory(path)
    found = [(p.line, p.message) for p in err.value.problems]
    assert any(p.line == line and message in p.message for p in err.value.problems), found
    assert all(p.file == str(path) for p in err.value.problems)
    assert str(path) in str(err.value)


def test_there_is_an_invalid_fixture_for_every_rule_listed_in_the_issue() -> None:
    names = {p.stem for p in INVALID}
    for rule in (
        "unknown_kind",
        "duplicate_device_id",
        "dangling_depends_on",
        "circular_depends_on",
        "bad_address",
        "bad_interval",
    ):
        assert rule in names


GOOD = """
defaults:
  interval: 30s
  retry_interval: 5s
  max_attempts: 2
clients:
  - id: acme
    name: Acme Dental
    sites:
      - id: hq
        name: Head office
        devices:
          - id: gw
            kind: router
            address: 192.0.2.1
          - id: cam-1
            kind: camera
            address: cam-1.acme.example
            depends_on: [gw]
            ports: {rtsp: 8554}
            checks:
              - {name: icmp, enabled: false}
              - {type: http, name: snapshot, path: /snap.jpg, interval: 2m}
          - id: panel
            kind: keypad
            address: 2001:db8::5
            profile_checks: false
            checks:
              - {type: tcp, port: 41794}
"""


def test_a_minimal_device_gets_its_kinds_profile_checks() -> None:
    valid = parse_inventory(GOOD, "good.yaml")
    gw = {c.name: c for c in valid.checks[("acme", "gw")]}
    assert set(gw) == {"icmp", "dns-tcp"}
    assert gw["dns-tcp"].port == 53
    assert gw["icmp"].spec.interval == 30.0  # from defaults
    assert gw["icmp"].spec.max_attempts == 2
    assert gw["icmp"].spec.effective_retry_interval == 5.0


def test_device_ports_override_and_own_checks_are_merged_with_the_profile() -> None:
    valid = parse_inventory(GOOD, "good.yaml")
    cam = {c.name: c for c in valid.checks[("acme", "cam-1")]}
    assert set(cam) == {"rtsp", "web", "snapshot"}  # icmp turned off
    assert cam["rtsp"].port == 8554
    assert cam["web"].port == 80
    assert cam["snapshot"].spec.interval == 120.0  # its own interval beats the default


def test_profile_checks_can_be_left_out_entirely() -> None:
    valid = parse_inventory(GOOD, "good.yaml")
    assert [c.name for c in valid.checks[("acme", "panel")]] == ["tcp"]


def test_every_kind_has_a_profile_that_validates() -> None:
    devices = "\n".join(
        f"          - {{id: d{i}, kind: {k.value}, address: 192.0.2.{i + 1}}}"
        for i, k in enumerate(DeviceKind)
    )
    text = f"clients:\n  - id: a\n    sites:\n      - id: s\n        devices:\n{devices}\n"
    valid = parse_inventory(text)
    assert valid.device_count() == len(DeviceKind)
    assert all(valid.checks[("a", f"d{i}")] for i in range(len(DeviceKind)))


def test_all_problems_in_a_file_are_reported_together() -> None:
    text = (Path(__file__).parent / "invalid" / "unknown_kind.yaml").read_text()
    text += (
        "          - id: gw\n            kind: router\n            address: 300.1.1.1\n"
        "          - id: x\n            kind: camera\n            address: 192.0.2.4\n"
        "            depends_on: [nope]\n"
    )
    with pytest.raises(InventoryError) as err:
        parse_inventory(text, "many.yaml")
    messages = " | ".join(p.message for p in err.value.problems)
    assert "not a valid kind" in messages
    assert "duplicate device id 'gw'" in messages
    assert "'x' depends on 'nope'" in messages
    assert len(err.value.problems) >= 3
    assert [p.line for p in err.value.problems] == sorted(p.line or 0 for p in err.value.problems)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="file not found"):
        load_inventory(tmp_path / "nope.yaml")


def test_a_yaml_alias_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    text = "\n".join(lines) + "\nclients: []\n"
    with pytest.raises(InventoryError, match="expands to more than"):
        parse_inventory(text, "bomb.yaml")  # 10**12 values if expanded: refused after a budget


def test_absurdly_deep_nesting_is_a_clear_error() -> None:
    text = "clients: " + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(InventoryError, match="nested too deeply"):
        parse_inventory(text, "deep.yaml")
