"""Which devices get an snmp check by default: the kinds that speak SNMP, and only those
with `credentials:` (there is no default community)."""

from __future__ import annotations

from typing import Any

from sitekeeper.checks.build import build_checks
from sitekeeper.checks.profiles import profile_for
from sitekeeper.checks.specs_snmp import SnmpCheck
from sitekeeper.inventory.kinds import DeviceKind
from sitekeeper.inventory.models import Defaults, Device


def device(**fields: Any) -> Device:
    return Device.model_validate({"id": "dev", "address": "192.0.2.10", **fields})


def snmp_checks(dev: Device) -> list[tuple[SnmpCheck, int | None]]:
    checks, problems = build_checks(dev, Defaults())
    assert problems == []
    return [(c.spec, c.port) for c in checks if isinstance(c.spec, SnmpCheck)]


def test_a_switch_with_credentials_gets_interfaces_on_port_161() -> None:
    [(spec, port)] = snmp_checks(device(kind="switch", credentials="acme/switches"))
    assert spec.tables == ("system", "interfaces", "entity_sensor") and port == 161


def test_without_credentials_there_is_no_snmp_check() -> None:
    assert snmp_checks(device(kind="ups")) == []
    assert all(c["type"] != "snmp" for c in profile_for(DeviceKind.UPS, "APC"))


def test_each_kind_reads_its_own_tables() -> None:
    expected = {
        "ups": ("system", "ups"),
        "printer": ("system", "printer"),
        "nas": ("system", "host", "interfaces"),
        "pdu": ("system", "entity_sensor"),
    }
    for kind, tables in expected.items():
        [(spec, _)] = snmp_checks(device(kind=kind, credentials="site/snmp"))
        assert spec.tables == tables, kind
    assert snmp_checks(device(kind="camera", credentials="site/cams")) == []


def test_the_device_can_move_the_port_or_turn_the_check_off() -> None:
    [(_, port)] = snmp_checks(device(kind="router", credentials="r", ports={"snmp": 1161}))
    assert port == 1161
    off = device(kind="router", credentials="r", checks=[{"name": "snmp", "enabled": False}])
    assert snmp_checks(off) == []


def test_a_vendor_profile_still_gets_the_snmp_check() -> None:
    names = [c["name"] for c in profile_for(DeviceKind.SWITCH, "cisco", has_credentials=True)]
    assert names[-1] == "snmp"


def test_the_files_timing_defaults_do_not_apply_to_passive_checks() -> None:
    """A trap or a syslog message is one fact: no retries before it is hard, no schedule."""
    dev = device(kind="switch", checks=[{"type": "snmp_trap", "name": "traps"}])
    checks, problems = build_checks(dev, Defaults(max_attempts=3, interval=10.0))
    assert problems == []
    by_name = {c.name: c.spec for c in checks}
    assert by_name["traps"].max_attempts == 1
    assert by_name["web"].max_attempts == 3
