"""Judging passive inputs (pure): syslog rules and clears, trap conditions by port and by
rule, expiry, heartbeat words, and the specs' validation."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from sitekeeper.checks.specs import CheckSpec
from sitekeeper.checks.specs_passive import HeartbeatCheck, SnmpTrapCheck, SyslogCheck
from sitekeeper.collector.heartbeats import Ping, PingKind
from sitekeeper.state.classify import classify
from sitekeeper.state.model import CheckStatus
from sitekeeper.state.passive import (
    decode,
    encode,
    expire,
    judge_heartbeat,
    judge_syslog,
    judge_trap,
    observation,
    summary,
)

SPEC: TypeAdapter[CheckSpec] = TypeAdapter(CheckSpec)
T0 = 1_800_000_000.0
LINK_DOWN = (1, 3, 6, 1, 6, 3, 1, 1, 5, 3)
LINK_UP = (1, 3, 6, 1, 6, 3, 1, 1, 5, 4)
COLD_START = (1, 3, 6, 1, 6, 3, 1, 1, 5, 1)
ON_BATTERY = (1, 3, 6, 1, 2, 1, 33, 2, 0, 1)
ALARM_REMOVED = (1, 3, 6, 1, 2, 1, 33, 2, 0, 4)


def port(n: int, name: str) -> tuple[tuple[tuple[int, ...], object], ...]:
    return (
        ((1, 3, 6, 1, 2, 1, 2, 2, 1, 1, n), n),
        ((1, 3, 6, 1, 2, 1, 2, 2, 1, 2, n), name.encode()),
    )


def test_default_syslog_rules_make_crit_messages_crit_and_time_clears_them() -> None:
    spec = SyslogCheck()
    assert judge_syslog(spec, {}, 3, "kernel", "kernel: eth0 flapping", T0) is None  # err: quiet
    out = judge_syslog(spec, {}, 2, "smartd", "smartd: disk sda failing", T0)
    assert out is not None and summary(out.conditions) == (
        CheckStatus.CRIT,
        "smartd: disk sda failing",
    )
    assert expire(out.conditions, T0 + 3599) is None
    cleared = expire(out.conditions, T0 + 3601)
    assert cleared is not None and summary(cleared.conditions, cleared.note)[0] is CheckStatus.OK


def test_a_syslog_clear_wins_over_the_rule_it_also_matches() -> None:
    spec = SyslogCheck(
        rules=({"message": "%LINK-3-UPDOWN", "status": "WARN", "say": "a link changed"},),
        clear="changed state to up",
        clear_after=None,
    )
    down = judge_syslog(spec, {}, 3, None, "%LINK-3-UPDOWN: Gi0/1, changed state to down", T0)
    assert down is not None and summary(down.conditions) == (CheckStatus.WARN, "a link changed")
    assert expire(down.conditions, T0 + 10**6) is None  # clear_after: null holds it
    up = judge_syslog(
        spec, down.conditions, 5, None, "%LINK-3-UPDOWN: Gi0/1, changed state to up", T0
    )
    assert up is not None and up.conditions == {} and up.note.startswith("cleared: ")


def test_a_program_rule_needs_the_program_and_the_severity() -> None:
    spec = SyslogCheck(rules=({"program": "^sshd$", "min_severity": "warning", "status": "WARN"},))
    assert judge_syslog(spec, {}, 4, "cron", "cron: x", T0) is None
    assert judge_syslog(spec, {}, 6, "sshd", "sshd: x", T0) is None
    assert judge_syslog(spec, {}, 4, "sshd", "sshd: x", T0) is not None


def test_link_down_and_up_are_tracked_per_port() -> None:
    spec = SnmpTrapCheck()
    a = judge_trap(spec, {}, LINK_DOWN, port(3, "Gi0/3"), T0)
    assert a is not None
    b = judge_trap(spec, a.conditions, LINK_DOWN, port(7, "Gi0/7"), T0 + 1)
    assert b is not None
    assert summary(b.conditions) == (CheckStatus.CRIT, "port 3 down (Gi0/3); port 7 down (Gi0/7)")
    c = judge_trap(spec, b.conditions, LINK_UP, port(3, "Gi0/3"), T0 + 2)
    assert c is not None and summary(c.conditions) == (CheckStatus.CRIT, "port 7 down (Gi0/7)")
    assert judge_trap(spec, c.conditions, LINK_UP, port(9, "Gi0/9"), T0 + 3) is None


def test_a_reboot_warns_for_a_while_and_battery_holds_until_power_returns() -> None:
    spec = SnmpTrapCheck(reboot_clear_after="5m")
    booted = judge_trap(spec, {}, COLD_START, (), T0)
    assert booted is not None and summary(booted.conditions) == (CheckStatus.WARN, "rebooted")
    assert expire(booted.conditions, T0 + 301) is not None
    battery = judge_trap(spec, {}, ON_BATTERY, (), T0)
    assert battery is not None and summary(battery.conditions) == (CheckStatus.CRIT, "on battery")
    assert expire(battery.conditions, T0 + 10**6) is None
    back = judge_trap(spec, battery.conditions, ALARM_REMOVED, (), T0 + 60)
    assert back is not None and back.conditions == {} and back.note == "back on utility power"


def test_own_trap_rules_come_first_and_can_clear() -> None:
    spec = SnmpTrapCheck(
        rules=(
            {"trap": "1.3.6.1.4.1.9.9.41.2.0.1", "status": "WARN", "say": "syslog alert"},
            {
                "trap": ".1.3.6.1.4.1.9.9.41.2.0.2",
                "status": "OK",
                "clears": ["1.3.6.1.4.1.9.9.41.2.0.1"],
            },
            {"trap": "linkDown", "status": "WARN", "say": "a port went down"},
        ),
        builtins=False,
    )
    set_ = judge_trap(spec, {}, (1, 3, 6, 1, 4, 1, 9, 9, 41, 2, 0, 1), (), T0)
    assert set_ is not None and summary(set_.conditions) == (CheckStatus.WARN, "syslog alert")
    down = judge_trap(spec, set_.conditions, LINK_DOWN, port(1, "x"), T0)
    assert down is not None and len(down.conditions) == 2
    cleared = judge_trap(spec, down.conditions, (1, 3, 6, 1, 4, 1, 9, 9, 41, 2, 0, 2), (), T0)
    assert cleared is not None and summary(cleared.conditions) == (
        CheckStatus.WARN,
        "a port went down",
    )
    assert judge_trap(spec, {}, COLD_START, (), T0) is None  # built-ins off


def test_conditions_survive_a_round_trip_through_the_observation() -> None:
    spec = SnmpTrapCheck()
    out = judge_trap(spec, {}, LINK_DOWN, port(3, "Gi0/3"), T0)
    assert out is not None
    obs = observation(42, T0, out)
    assert classify(obs, spec) == (CheckStatus.CRIT, "port 3 down (Gi0/3)")
    assert decode(obs.values["conditions"]) == out.conditions == decode(encode(out.conditions))
    assert decode("not json") == {}


def test_heartbeat_words() -> None:
    spec = HeartbeatCheck(period="1h", grace="10m")
    hb = spec.heartbeat("t" * 22)
    assert judge_heartbeat(spec, hb, None, T0, T0 + 60)[0] is CheckStatus.OK
    status, reason = judge_heartbeat(spec, hb, None, T0, T0 + 4201)
    assert status is CheckStatus.CRIT and reason.startswith("no heartbeat yet (due ")
    ping = Ping(at=T0)
    assert judge_heartbeat(spec, hb, ping, T0, T0 + 4199)[0] is CheckStatus.OK
    status, reason = judge_heartbeat(spec, hb, ping, T0, T0 + 4201)
    assert (
        status is CheckStatus.CRIT
        and reason.startswith("no heartbeat since ")
        and "(due " in reason
    )
    failed = judge_heartbeat(spec, hb, Ping(at=T0, kind=PingKind.FAIL), T0, T0 + 1)
    assert failed[0] is CheckStatus.CRIT and failed[1].startswith("the job reported failure")
    started = judge_heartbeat(spec, hb, Ping(at=T0, kind=PingKind.START), T0, T0 + 601)
    assert started[0] is CheckStatus.CRIT and "did not finish within 10 min" in started[1]


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"type": "heartbeat"}, "a period or a cron schedule"),
        ({"type": "heartbeat", "schedule": "61 * * * *"}, "cron schedule"),
        ({"type": "heartbeat", "period": "1d", "tz": "Mars/Olympus"}, "unknown time zone"),
        ({"type": "syslog", "clear": "("}, "regular expression"),
        ({"type": "syslog", "rules": [{"min_severity": "loud"}]}, "unknown severity"),
        ({"type": "snmp_trap", "rules": [{"trap": "fooTrap"}]}, "known trap name"),
        ({"type": "snmp_trap", "rules": [{"trap": "linkUp", "clears": ["linkDown"]}]}, "status OK"),
    ],
)
def test_it_rejects_a_bad_passive_spec(entry: dict[str, object], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        SPEC.validate_python(entry)
