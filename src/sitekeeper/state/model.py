"""The vocabulary of the state engine: statuses, per-check state, policies, flips.

Everything here is plain data; the engine (`sitekeeper.state.engine`) is pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class CheckStatus(StrEnum):
    OK = "OK"
    WARN = "WARN"
    CRIT = "CRIT"
    UNKNOWN = "UNKNOWN"


class DeviceStatus(StrEnum):
    UP = "UP"
    DEGRADED = "DEGRADED"
    DOWN = "DOWN"
    UNREACHABLE = "UNREACHABLE"  # a parent is down (set by the incidents pipeline)
    UNKNOWN = "UNKNOWN"  # no data yet, or the collector is offline
    MAINTENANCE = "MAINTENANCE"
    ASLEEP = "ASLEEP"


class StateType(StrEnum):
    SOFT = "SOFT"
    HARD = "HARD"


# Order used to sort "problems first" and to roll statuses up.
CHECK_SEVERITY: dict[CheckStatus, int] = {
    CheckStatus.CRIT: 3,
    CheckStatus.UNKNOWN: 2,
    CheckStatus.WARN: 1,
    CheckStatus.OK: 0,
}
DEVICE_SEVERITY: dict[DeviceStatus, int] = {
    DeviceStatus.DOWN: 6,
    DeviceStatus.UNREACHABLE: 5,
    DeviceStatus.DEGRADED: 4,
    DeviceStatus.UNKNOWN: 3,
    DeviceStatus.MAINTENANCE: 2,
    DeviceStatus.ASLEEP: 1,
    DeviceStatus.UP: 0,
}


@dataclass(frozen=True, slots=True)
class Policy:
    """How results become states for one check (Nagios semantics and defaults)."""

    max_attempts: int = 3
    flap_detection: bool = True
    flap_low: float = 5.0  # % state change below which flapping stops
    flap_high: float = 20.0  # % state change at or above which flapping starts


@dataclass(frozen=True, slots=True)
class CheckState:
    """The engine's memory of one check between results."""

    status: CheckStatus  # current (soft or hard) status
    state_type: StateType
    attempt: int  # 1..max_attempts, counts consecutive non-OK results while soft
    hard_status: CheckStatus  # the last hard status: what is reported and paged on
    since: float  # when `status` last changed
    hard_since: float  # when `hard_status` last changed
    last_result_at: float
    flapping: bool = False
    percent_change: float = 0.0
    # Recent statuses recorded for flap detection, oldest first (at most 21).
    history: tuple[CheckStatus, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Flip:
    """A status transition. Flips are rows: detection and notification never block each other."""

    subject: str  # "check" or "device"
    subject_id: int
    old: str
    new: str
    hard: bool
    reason: str
    at: float
