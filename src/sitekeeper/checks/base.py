"""What every check spec shares: the base fields, thresholds, well-known ports.

Kept apart from the union in `specs` so protocol spec modules can import it without a cycle.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sitekeeper.checks.duration import Duration

CREDENTIALS_REF = r"^[A-Za-z0-9_.:/-]{1,128}$"

# Well-known ports by service name; a device's `ports:` map overrides them.
DEFAULT_PORTS: dict[str, int] = {
    "ssh": 22,
    "telnet": 23,
    "dns": 53,
    "http": 80,
    "https": 443,
    "snmp": 161,
    "smb": 445,
    "rtsp": 554,
    "ipp": 631,
    "pjlink": 4352,
    "sonos": 1400,
    "crestron-cip": 41794,
    "control": 23,
}


class Threshold(BaseModel):
    """Judge a named value: e.g. `{value: rtt_ms, warn_above: 100, crit_above: 500}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: str
    warn_above: float | None = None
    crit_above: float | None = None
    warn_below: float | None = None
    crit_below: float | None = None
    # the words a problem shows when this threshold trips, e.g. "on battery", "lamp error";
    # default: the comparison itself ("charge_pct 20 < 25")
    say: str | None = Field(default=None, min_length=1, max_length=80)

    @model_validator(mode="after")
    def _one_bound(self) -> Threshold:
        if None is self.warn_above is self.crit_above is self.warn_below is self.crit_below:
            raise ValueError("give at least one of warn_above, crit_above, warn_below, crit_below")
        return self


class BaseCheck(BaseModel):
    """Fields every check has. Timing follows Nagios: a failing check is retried every
    `retry_interval` until it has failed `max_attempts` times in a row, then it is HARD."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="", pattern=r"^[a-z0-9][a-z0-9_.-]{0,62}$|^$")
    enabled: bool = True
    interval: Duration = 60.0
    retry_interval: Duration | None = None  # default: min(interval, 30s)
    timeout: Duration = 10.0
    max_attempts: int = Field(default=3, ge=1, le=20)
    thresholds: tuple[Threshold, ...] = ()
    # WARN when it answers far slower than usual (state.baseline); false to turn off
    baseline: bool = True
    # a named credential (`sitekeeper credentials set NAME`) for this check; default: the
    # device's `credentials:`
    credentials: str | None = Field(default=None, pattern=CREDENTIALS_REF)

    @model_validator(mode="after")
    def _timing(self) -> BaseCheck:
        if not 1.0 <= self.interval <= 86400.0:
            raise ValueError("interval must be between 1s and 1d")
        if self.timeout > self.interval:
            raise ValueError(
                f"timeout ({self.timeout:g}s) must not exceed interval ({self.interval:g}s): "
                "a check must never overlap itself"
            )
        if self.retry_interval is not None and self.retry_interval < 0.5:
            raise ValueError("retry_interval must be at least 500ms")
        return self

    @property
    def effective_retry_interval(self) -> float:
        if self.retry_interval is not None:
            return self.retry_interval
        return min(self.interval, 30.0)

    @property
    def check_name(self) -> str:
        return self.name or str(getattr(self, "type", "check"))


def check_regex(pattern: str | None) -> str | None:
    """A regex that does not compile is a config error, reported at load, not at 3 a.m."""
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as err:
            raise ValueError(f"not a valid regular expression: {err}") from err
    return pattern
