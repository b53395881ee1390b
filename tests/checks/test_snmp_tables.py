"""The SNMP metric tables, replayed from recorded walks (tests/checks/walks): what each
table makes of a real device's answers, and how the implicit thresholds judge it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from sitekeeper.checks.snmp import Previous, Reading, read
from sitekeeper.checks.specs_snmp import SnmpCheck
from sitekeeper.observation import Observation
from sitekeeper.protocols.snmp import Counter32, Counter64, TimeTicks, parse_oid
from sitekeeper.protocols.snmp.values import Value, VarBind
from sitekeeper.state.classify import NOT_MEASURED, classify
from sitekeeper.state.model import CheckStatus
from tests.checks.walks import load

IF = "1.3.6.1.2.1.2.2.1"
IFX = "1.3.6.1.2.1.31.1.1.1"
UPTIME = "1.3.6.1.2.1.1.3.0"


def spec(**fields: Any) -> SnmpCheck:
    return SnmpCheck.model_validate({"type": "snmp", **fields})


def observe(check: SnmpCheck, reading: Reading) -> Observation:
    """The Observation the probe would build from this reading."""
    details: dict[str, str | int] = {}
    if reading.not_measured:
        details[NOT_MEASURED] = ",".join(reading.not_measured)
    return Observation(
        1, 0.0, None if reading.missing else True, 5.0, reading.values, None, details
    )


def changed(varbinds: list[VarBind], **new: Value) -> list[VarBind]:
    """The same walk with some values replaced: keys are OIDs with `_` for `.`."""
    updates = {parse_oid(k.replace("_", ".")): v for k, v in new.items()}
    return [(oid, updates.get(oid, value)) for oid, value in varbinds]


def test_an_apc_ups_on_battery_is_critical_and_says_why() -> None:
    check = spec(tables=["system", "ups"])
    reading = read(check, load("apc-ups-on-battery.walk"), None)
    v = reading.values
    assert (v["vendor"], v["model"], v["firmware"]) == ("APC", "AP9631", "6.8.2")
    assert v["on_battery"] == 1 and v["output_source"] == "battery"
    assert v["battery_status"] == "low" and v["battery_low"] == 1
    assert (v["charge_pct"], v["runtime_min"], v["load_pct"]) == (18, 4, 37)
    assert v["seconds_on_battery"] == 742
    assert v["battery_voltage_v"] == pytest.approx(23.8)
    assert v["uptime_s"] == 917345
    status, reason = classify(observe(check, reading), check)
    assert status is CheckStatus.CRIT
    assert reason == "on battery (on_battery 1); battery low; battery charge 18%"


def test_a_ups_on_mains_with_a_full_battery_is_ok() -> None:
    check = spec(tables=["system", "ups"])
    reading = read(check, load("eaton-ups-on-mains.walk"), None)
    v = reading.values
    assert (v["on_battery"], v["battery_status"], v["charge_pct"]) == (0, "normal", 100)
    assert v["load_pct"] == 31  # the busier of two output lines
    assert v["vendor"] == "Eaton"  # from sysObjectID: sysDescr names no vendor pattern
    assert classify(observe(check, reading), check) == (CheckStatus.OK, "ok")


def test_charge_bounds_follow_the_check() -> None:
    check = spec(tables=["ups"], charge_warn_pct=None, charge_crit_pct=10)
    walk = changed(load("eaton-ups-on-mains.walk"), **{"1_3_6_1_2_1_33_1_2_4_0": 20})
    assert classify(observe(check, read(check, walk, None)), check)[0] is CheckStatus.OK
    check = spec(tables=["ups"])
    status, reason = classify(observe(check, read(check, walk, None)), check)
    assert (status, reason) == (CheckStatus.CRIT, "battery charge 20%")


def test_a_printer_with_black_toner_low_warns_naming_the_colour() -> None:
    check = spec(tables=["system", "printer"])
    reading = read(check, load("color-laser-printer.walk"), None)
    v = reading.values
    assert v["supply_pct.black"] == 5 and v["supply_pct.cyan"] == 40
    assert v["supply_pct.magenta"] == 76 and v["supply_pct.yellow"] == 100
    assert v["supply_level.waste_toner_box"] == "some left"  # -3
    assert v["supply_level.drum_unit"] == "unknown"  # capacity -2
    assert "supply_pct.drum_unit" not in v and "supply_pct.waste_toner_box" not in v
    assert v["supply_min_pct"] == 5 and v["supplies"] == 6
    assert v["vendor"] == "Brother"
    assert classify(observe(check, reading), check) == (CheckStatus.WARN, "toner low (black 5%)")


def test_a_printer_that_only_says_some_left_is_not_unknown() -> None:
    check = spec(tables=["printer"])
    level = parse_oid("1.3.6.1.2.1.43.11.1.1.9")
    walk = [(o, -3 if o[:11] == level else v) for o, v in load("color-laser-printer.walk")]
    reading = read(check, walk, None)
    assert "supply_min_pct" not in reading.values
    assert reading.values["supply_level.black"] == "some left"
    assert classify(observe(check, reading), check) == (CheckStatus.OK, "ok")


def _switch_later(elapsed_ticks: int = 6000, **extra: Value) -> list[VarBind]:
    """The switch 60 s later: Gi1/0/1's 64-bit in-counter wrapped past 2^64 after 750 MB,
    Gi1/0/2's 32-bit counters wrapped, Gi1/0/3's counters were cleared."""
    return changed(
        load("cisco-switch.walk"),
        **{
            UPTIME.replace(".", "_"): TimeTicks(360000000 + elapsed_ticks),
            f"{IFX}.6.10001".replace(".", "_"): Counter64(750_000_000 - 1616),
            f"{IFX}.10.10001".replace(".", "_"): Counter64(5_000_000_000 + 75_000_000),
            f"{IF}.14.10001".replace(".", "_"): Counter32(10 + 120),
            f"{IF}.10.10002".replace(".", "_"): Counter32(704),
            f"{IF}.16.10002".replace(".", "_"): Counter32(1199),
            f"{IFX}.6.10003".replace(".", "_"): Counter64(1000),
            f"{IFX}.10.10003".replace(".", "_"): Counter64(2000),
            **extra,
        },
    )


def test_interface_rates_handle_wraps_and_cleared_counters() -> None:
    check = spec(tables=["system", "interfaces"])
    first = read(check, load("cisco-switch.walk"), None)
    assert "if_in_bps.10001" not in first.values
    assert "if_in_bps.10001" in first.not_measured and "util_max_pct" in first.not_measured
    second = read(check, _switch_later(), Previous(first.raws, 60.0))
    v = second.values
    assert v["if_in_bps.10001"] == pytest.approx(100_000_000.0)  # 64-bit wrap
    assert v["if_out_bps.10001"] == pytest.approx(10_000_000.0)
    assert v["if_util_pct.10001"] == pytest.approx(10.0)
    assert v["if_errors_ps.10001"] == pytest.approx(2.0)
    assert v["if_in_bps.10002"] == pytest.approx(1000 * 8 / 60, abs=0.1)  # 32-bit wrap
    assert v["if_out_bps.10002"] == pytest.approx(1200 * 8 / 60, abs=0.1)
    assert "if_in_bps.10003" not in v and "if_out_bps.10003" not in v  # cleared: no rate
    assert "if_in_bps.10003" in second.not_measured
    assert (v["util_max_pct"], v["util_max_port"]) == (10.0, "Gi1/0/1")
    assert (v["errors_max_ps"], v["errors_max_port"]) == (2.0, "Gi1/0/1")
    assert v["vendor"] == "Cisco" and v["firmware"] == "15.2(7)E3"
    assert v["rebooted"] == 0


def test_after_an_agent_restart_there_are_no_rates_and_rebooted_is_set() -> None:
    check = spec(tables=["system", "interfaces"])
    first = read(check, load("cisco-switch.walk"), None)
    later = _switch_later(**{UPTIME.replace(".", "_"): TimeTicks(4500)})
    second = read(check, later, Previous(first.raws, 60.0, restarted=True))
    assert second.values["rebooted"] == 1 and second.values["uptime_s"] == 45
    assert not any(k.startswith("if_in_bps") for k in second.values)


def test_a_port_expected_up_that_is_down_is_critical_by_name_or_index() -> None:
    check = spec(
        tables=["interfaces"],
        interfaces={"expect_up": [10001, "Gi1/0/7", "boardroom display", "Gi9/9/9"]},
    )
    reading = read(check, load("cisco-switch.walk"), None)
    v = reading.values
    assert v["port_10001_down"] == 0
    assert v["port_gi1_0_7_down"] == 1 and v["port_boardroom_display_down"] == 1
    assert v["port_gi9_9_9_down"] == 1 and v["ports_missing"] == "Gi9/9/9"
    assert (v["if_name.10007"], v["if_admin.10007"], v["if_oper.10007"]) == ("Gi1/0/7", 1, 2)
    assert "if_oper.10008" not in v  # shut down and not expected: only counted
    status, reason = classify(observe(check, reading), check)
    assert status is CheckStatus.CRIT
    assert reason.split("; ") == [
        "port Gi1/0/7 down (port_gi1_0_7_down 1)",
        "port boardroom display down (port_boardroom_display_down 1)",
        "port Gi9/9/9 down (port_gi9_9_9_down 1)",
    ]


def test_all_admin_up_names_every_enabled_port_that_is_down() -> None:
    check = spec(tables=["interfaces"], interfaces={"all_admin_up": True})
    reading = read(check, load("cisco-switch.walk"), None)
    v = reading.values
    # Vlan20 is down too, but a VLAN is not a port; Gi1/0/8 is shut down on purpose
    assert (v["ports"], v["ports_up"], v["ports_down"]) == (5, 3, 1)
    assert v["ports_down_list"] == "Gi1/0/7"
    assert classify(observe(check, reading), check) == (CheckStatus.CRIT, "ports down: Gi1/0/7")


def test_utilisation_and_error_thresholds_wait_for_a_second_sample() -> None:
    check = spec(
        tables=["interfaces"],
        interfaces={"util_warn_pct": 5, "util_crit_pct": 50, "errors_warn_ps": 1},
    )
    first = read(check, load("cisco-switch.walk"), None)
    assert classify(observe(check, first), check) == (CheckStatus.OK, "ok")
    second = read(check, _switch_later(), Previous(first.raws, 60.0))
    status, reason = classify(observe(check, second), check)
    assert status is CheckStatus.WARN
    assert reason == "port Gi1/0/1 at 10% of its speed; port Gi1/0/1: 2 errors/s"


def test_entity_sensors_give_the_hottest_and_the_broken() -> None:
    check = spec(tables=["entity_sensor"])
    v = read(check, load("cisco-switch.walk"), None).values
    assert v["temp_max_c"] == pytest.approx(41.5)  # 415 at precision 1
    assert v["temp_max_name"] == "Switch 1 - Inlet Temp Sensor"
    assert v["sensors_failed"] == 1 and v["sensors_failed_list"] == "Switch 1 - Hotspot Temp Sensor"


def test_a_missing_table_is_reported_and_an_absent_optional_one_is_not() -> None:
    check = spec(tables=["system", "ups", "entity_sensor"])
    reading = read(check, load("color-laser-printer.walk"), None)
    assert reading.missing == ["UPS-MIB (RFC 1628)"]
    assert "temp_max_c" not in reading.values and reading.values["sys_descr"]


def test_custom_oids_are_read_scaled_and_judged() -> None:
    check = spec(
        tables=[],
        oids=[
            {
                "name": "battery_temp",
                "oid": ".1.3.6.1.2.1.33.1.2.7.0",
                "warn_above": 28,
                "say": "hot battery",
            },
            {"name": "volts", "oid": "1.3.6.1.2.1.33.1.2.5.0", "scale": 0.1},
            {"name": "ups_name", "oid": "1.3.6.1.2.1.1.5.0"},
            {"name": "absent", "oid": "1.3.6.1.4.1.99999.1.0"},
        ],
    )
    reading = read(check, load("apc-ups-on-battery.walk"), None)
    assert reading.values == {
        "battery_temp": 29,
        "volts": pytest.approx(23.8),
        "ups_name": "rack-ups",
    }
    assert classify(observe(check, reading), check) == (
        CheckStatus.WARN,
        "hot battery (battery_temp 29)",
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"tables": []}, "give `tables:`"),
        ({"tables": ["ups", "ups"]}, "listed twice"),
        ({"tables": ["ups"], "interfaces": {"all_admin_up": True}}, "need `interfaces`"),
        ({"tables": ["pdu"]}, "'system', 'interfaces'"),
        ({"oids": [{"name": "x", "oid": "sysName.0"}]}, "write OIDs numerically"),
        ({"interfaces": {"expect_up": [0]}}, "they start at 1"),
        ({"community": "public"}, "Extra inputs are not permitted"),
    ],
)
def test_bad_snmp_checks_are_refused_with_the_fix(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        spec(**fields)
