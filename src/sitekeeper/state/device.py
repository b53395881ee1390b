"""Roll a device's checks up into one device status, from their HARD statuses only.

Soft problems are retries in progress, so they never move a device. The rules:
- no check has data yet (or there are no checks) -> UNKNOWN;
- every check is hard CRIT -> DOWN;
- any check hard non-OK (WARN, CRIT, UNKNOWN) -> DEGRADED, the reason names them, worst first;
- some checks have no result yet and the others are OK -> UNKNOWN (a device is not UP on
  the word of one check out of three);
- else UP.

A flapping check does not change the device status by itself: flapping only happens between
hard states and soft recoveries, so whatever it flaps into already shows through its hard
status; the reason mentions it so a technician sees it.

This is the device's *raw* status from its own checks. UNREACHABLE, MAINTENANCE and ASLEEP
are overlays the incidents pipeline applies later, so pass the previous raw status to
`evaluate_device`. A device never evaluated before counts as UNKNOWN (no data yet).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sitekeeper.state.model import CHECK_SEVERITY, CheckState, CheckStatus, DeviceStatus, Flip

NamedCheck = tuple[str, CheckState | None]


def device_status(
    checks: Sequence[NamedCheck],
    passive: Collection[str] = (),
    reasons: Mapping[str, str] | None = None,
) -> tuple[DeviceStatus, str]:
    """Status and reason for a device, from (check name, state or None) pairs.

    `passive` names checks that speak only when something arrives (heartbeats, syslog,
    traps): their silence says nothing about whether the device answers, so while they are
    OK they are left out — a device whose polled checks all fail is DOWN even though no trap
    came. A device with only passive checks is judged by them.

    `reasons` (check name -> its latest reason) puts the checks' own words into a DEGRADED
    device's reason — "snmp CRIT: on battery" — so a notification says what is wrong.
    """
    if passive and any(name not in passive for name, _ in checks):
        checks = [
            (name, s)
            for name, s in checks
            if name not in passive or (s is not None and s.hard_status is not CheckStatus.OK)
        ]
    # A check that has never been hard (no recorded state) has only an assumed OK: it counts
    # as waiting, so a device whose first results fail is not shown UP meanwhile.
    seen = [(name, s) for name, s in checks if s is not None and s.history]
    if not checks:
        return DeviceStatus.UNKNOWN, "no checks"
    if all(state is None for _, state in checks):
        return DeviceStatus.UNKNOWN, "no results yet"
    problems = sorted(
        ((name, s.hard_status) for name, s in seen if s.hard_status is not CheckStatus.OK),
        key=lambda p: -CHECK_SEVERITY[p[1]],
    )
    flapping = [name for name, s in seen if s.flapping]
    pending = [name for name, s in checks if s is None or not s.history]
    all_crit = all(st is CheckStatus.CRIT for _, st in problems)
    if len(problems) == len(seen) and all_crit and not pending:
        names = ", ".join(_named(name, reasons) for name, _ in problems)
        status, reason = DeviceStatus.DOWN, f"{_all(seen)} CRIT: {names}"
    elif problems:
        status = DeviceStatus.DEGRADED
        reason = ", ".join(_problem(name, st, reasons) for name, st in problems)
    elif pending:
        status = DeviceStatus.UNKNOWN
        reason = f"waiting for a confirmed result of {', '.join(pending)}"
    else:
        status, reason = DeviceStatus.UP, f"{_all(seen)} OK"
    if flapping:
        reason += f"; flapping: {', '.join(flapping)}"
    return status, reason


def evaluate_device(
    prev: DeviceStatus | None,
    checks: Sequence[NamedCheck],
    now: float,
    device_id: int,
    passive: Collection[str] = (),
) -> tuple[DeviceStatus, Flip | None]:
    """The device's new raw status, and a hard Flip when it changed."""
    status, reason = device_status(checks, passive)
    old = prev if prev is not None else DeviceStatus.UNKNOWN
    if status is old:
        return status, None
    flip = Flip(
        subject="device",
        subject_id=device_id,
        old=old.value,
        new=status.value,
        hard=True,
        reason=reason,
        at=now,
    )
    return status, flip


def _problem(name: str, status: CheckStatus, reasons: Mapping[str, str] | None) -> str:
    words = (reasons or {}).get(name, "")
    return f"{name} {status.value}: {words}" if words else f"{name} {status.value}"


def _named(name: str, reasons: Mapping[str, str] | None) -> str:
    words = (reasons or {}).get(name, "")
    return f"{name} — {words}" if words else name


def _all(seen: Sequence[NamedCheck]) -> str:
    return "its check" if len(seen) == 1 else f"all {len(seen)} checks"
