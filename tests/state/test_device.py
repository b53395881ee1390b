"""Rolling checks up into a device status, from their hard statuses."""

from __future__ import annotations

import pytest

from sitekeeper.state import (
    CheckState,
    CheckStatus,
    DeviceStatus,
    Flip,
    StateType,
    evaluate_device,
)
from sitekeeper.state.device import NamedCheck, device_status

OK, WARN, CRIT, UNKNOWN = CheckStatus.OK, CheckStatus.WARN, CheckStatus.CRIT, CheckStatus.UNKNOWN


def check(
    hard: CheckStatus, status: CheckStatus | None = None, flapping: bool = False
) -> CheckState:
    now = status or hard
    return CheckState(
        status=now,
        state_type=StateType.HARD if now is hard else StateType.SOFT,
        attempt=1,
        hard_status=hard,
        since=0.0,
        hard_since=0.0,
        last_result_at=0.0,
        flapping=flapping,
        history=(hard,),  # the hard status has been seen, not just assumed
    )


@pytest.mark.parametrize(
    ("checks", "expected"),
    [
        ([], (DeviceStatus.UNKNOWN, "no checks")),
        ([("icmp", None), ("http", None)], (DeviceStatus.UNKNOWN, "no results yet")),
        ([("icmp", check(OK)), ("http", check(OK))], (DeviceStatus.UP, "all 2 checks OK")),
        # not UP on the word of one check while another has not reported
        (
            [("icmp", check(OK)), ("http", None)],
            (DeviceStatus.UNKNOWN, "waiting for a confirmed result of http"),
        ),
        # soft problems are retries in progress: they do not move the device
        ([("icmp", check(OK, status=CRIT))], (DeviceStatus.UP, "its check OK")),
        (
            [("icmp", check(CRIT)), ("http", check(CRIT))],
            (DeviceStatus.DOWN, "all 2 checks CRIT: icmp, http"),
        ),
        # DOWN needs every check: one CRIT while another has not reported is DEGRADED
        ([("icmp", check(CRIT)), ("http", None)], (DeviceStatus.DEGRADED, "icmp CRIT")),
        ([("icmp", check(CRIT))], (DeviceStatus.DOWN, "its check CRIT: icmp")),
        # anything less than all-CRIT is DEGRADED, worst first
        (
            [("tls", check(WARN)), ("icmp", check(OK)), ("http", check(CRIT))],
            (DeviceStatus.DEGRADED, "http CRIT, tls WARN"),
        ),
        (
            [("icmp", check(CRIT)), ("snmp", check(UNKNOWN))],
            (DeviceStatus.DEGRADED, "icmp CRIT, snmp UNKNOWN"),
        ),
        ([("snmp", check(UNKNOWN))], (DeviceStatus.DEGRADED, "snmp UNKNOWN")),
        # flapping is shown, but does not change the status by itself
        (
            [("icmp", check(OK, flapping=True)), ("http", check(OK))],
            (DeviceStatus.UP, "all 2 checks OK; flapping: icmp"),
        ),
        (
            [("icmp", check(CRIT, flapping=True)), ("http", check(OK))],
            (DeviceStatus.DEGRADED, "icmp CRIT; flapping: icmp"),
        ),
    ],
)
def test_device_status(checks: list[NamedCheck], expected: tuple[DeviceStatus, str]) -> None:
    assert device_status(checks) == expected


def test_a_device_whose_first_results_fail_is_not_shown_up_meanwhile() -> None:
    never_hard = CheckState(
        status=CRIT,
        state_type=StateType.SOFT,
        attempt=1,
        hard_status=OK,
        since=0.0,
        hard_since=0.0,
        last_result_at=0.0,
    )
    assert device_status([("rtsp", never_hard)]) == (
        DeviceStatus.UNKNOWN,
        "waiting for a confirmed result of rtsp",
    )


def test_device_timeline_flips_only_on_change() -> None:
    # t, the device's checks -> expected status, flip (old>new or -)
    timeline: list[tuple[float, list[NamedCheck], DeviceStatus, str]] = [
        (0, [("icmp", None), ("http", None)], DeviceStatus.UNKNOWN, "-"),
        (60, [("icmp", check(OK)), ("http", check(OK))], DeviceStatus.UP, "UNKNOWN>UP"),
        (120, [("icmp", check(OK)), ("http", check(OK, status=CRIT))], DeviceStatus.UP, "-"),
        (180, [("icmp", check(OK)), ("http", check(CRIT))], DeviceStatus.DEGRADED, "UP>DEGRADED"),
        (240, [("icmp", check(CRIT)), ("http", check(CRIT))], DeviceStatus.DOWN, "DEGRADED>DOWN"),
        (300, [("icmp", check(CRIT)), ("http", check(CRIT))], DeviceStatus.DOWN, "-"),
        (360, [("icmp", check(OK)), ("http", check(OK))], DeviceStatus.UP, "DOWN>UP"),
    ]
    prev: DeviceStatus | None = None
    for t, checks, want, want_flip in timeline:
        prev, flip = evaluate_device(prev, checks, t, device_id=5)
        assert prev is want, f"at t={t}"
        assert (f"{flip.old}>{flip.new}" if flip else "-") == want_flip, f"at t={t}"


def test_a_device_flip_is_hard_and_carries_the_reason() -> None:
    status, flip = evaluate_device(DeviceStatus.UP, [("http", check(CRIT))], 60.0, 5)
    assert status is DeviceStatus.DOWN
    assert flip == Flip(
        subject="device",
        subject_id=5,
        old="UP",
        new="DOWN",
        hard=True,
        reason="its check CRIT: http",
        at=60.0,
    )


def test_a_device_never_seen_counts_as_unknown() -> None:
    assert evaluate_device(None, [], 0.0, 5) == (DeviceStatus.UNKNOWN, None)


def test_passive_checks_that_heard_nothing_do_not_keep_an_unanswering_device_up() -> None:
    """A trap or syslog check is OK because nothing arrived; that says nothing about
    whether the device answers, so a device whose polled checks all fail is DOWN."""
    crit, ok = check(CheckStatus.CRIT), check(CheckStatus.OK)
    checks = [("icmp", crit), ("snmp", crit), ("traps", ok)]
    assert device_status(checks)[0] is DeviceStatus.DEGRADED  # without knowing: counted
    assert device_status(checks, passive={"traps"}) == (
        DeviceStatus.DOWN,
        "all 2 checks CRIT: icmp, snmp",
    )
    # a passive check that reports a problem counts like any other
    both = [("icmp", ok), ("traps", crit)]
    assert device_status(both, passive={"traps"}) == (DeviceStatus.DEGRADED, "traps CRIT")
    # a device with only passive checks (a backup job's heartbeat) is judged by them
    assert device_status([("backup", ok)], passive={"backup"})[0] is DeviceStatus.UP
    assert device_status([("backup", crit)], passive={"backup"})[0] is DeviceStatus.DOWN


def test_a_degraded_device_says_what_its_checks_say() -> None:
    crit, ok = check(CheckStatus.CRIT), check(CheckStatus.OK)
    checks = [("web", ok), ("snmp", crit), ("traps", crit)]
    words = {"web": "", "snmp": "on battery (on_battery 1)", "traps": ""}
    assert device_status(checks, reasons=words) == (
        DeviceStatus.DEGRADED,
        "snmp CRIT: on battery (on_battery 1), traps CRIT",
    )


def test_a_down_device_says_what_its_checks_say() -> None:
    crit = check(CheckStatus.CRIT)
    words = {"pjlink": "lamp error (error_lamp 2)"}
    assert device_status([("pjlink", crit)], reasons=words) == (
        DeviceStatus.DOWN,
        "its check CRIT: pjlink — lamp error (error_lamp 2)",
    )
