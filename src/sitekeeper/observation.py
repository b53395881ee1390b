"""What one probe run saw. Probes observe; the state engine judges."""

from __future__ import annotations

from dataclasses import dataclass, field

Value = float | int | str | bool


@dataclass(frozen=True, slots=True)
class Observation:
    """The result of one probe run.

    `ok` is True when the probe got what it asked for, False when it did not
    (refused, timed out, wrong answer), and None when it could not tell
    (e.g. the probe itself is not permitted to run). `values` are named
    measurements (`rtt_ms`, `http_status`, `days_to_expiry`, ...) that
    thresholds are evaluated against; `details` are for people debugging.
    """

    check_id: int
    at: float
    ok: bool | None
    latency_ms: float | None = None
    values: dict[str, Value] = field(default_factory=dict)
    error: str | None = None
    details: dict[str, Value] = field(default_factory=dict)
    log: tuple[str, ...] = ()
