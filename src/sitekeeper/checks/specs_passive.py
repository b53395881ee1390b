"""Check specs for passive inputs: heartbeats, syslog messages and SNMP traps.

A passive check is never run by the scheduler and has no probe: what arrives (a ping on
`/hb/<token>`, a syslog message, a trap from the device's address) is judged by
`sitekeeper.state.passive` and enters the pipeline as an Observation, like a probe result.
The judgement travels in the Observation's values (`status`, `reason`), so `verdict` here
is all that `state.classify` needs to know about them.

    {type: heartbeat, period: 1d, grace: 1h}
    {type: heartbeat, schedule: "0 3 * * *", tz: Europe/Berlin, grace: 30m}
    {type: syslog, rules: [{message: "%LINK-3-UPDOWN", status: WARN}],
     clear: "changed state to up"}
    {type: snmp_trap, rules: [{trap: 1.3.6.1.4.1.9.9.41.2.0.1, status: WARN, say: "log alert"}]}
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from sitekeeper.checks.base import BaseCheck, check_regex
from sitekeeper.checks.duration import Duration
from sitekeeper.observation import Observation

if TYPE_CHECKING:  # at run time imported where used: `state` imports the spec union
    from sitekeeper.collector.heartbeats import Heartbeat
    from sitekeeper.state.model import CheckStatus

# Statuses a rule may set, spelled as CheckStatus values.
Problem = Literal["WARN", "CRIT"]
RuleStatus = Literal["OK", "WARN", "CRIT"]
SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
_SEVERITY_ALIASES = {"emergency": 0, "panic": 0, "critical": 2, "error": 3, "warn": 4}
_SEVERITY_ALIASES |= {"informational": 6} | {name: i for i, name in enumerate(SEVERITIES)}


def _severity(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in _SEVERITY_ALIASES:
        return _SEVERITY_ALIASES[value.strip().lower()]
    if isinstance(value, str):
        raise ValueError(f"unknown severity {value!r}; use one of {', '.join(SEVERITIES)} or 0-7")
    return value


Severity = Annotated[int, BeforeValidator(_severity), Field(ge=0, le=7)]

PASSIVE_TYPES: frozenset[str] = frozenset({"heartbeat", "syslog", "snmp_trap"})

# Trap names the rules understand, by OID (SNMPv2-MIB, IF-MIB, UPS-MIB, APC PowerNet-MIB).
KNOWN_TRAPS: dict[str, str] = {
    "coldStart": "1.3.6.1.6.3.1.1.5.1",
    "warmStart": "1.3.6.1.6.3.1.1.5.2",
    "linkDown": "1.3.6.1.6.3.1.1.5.3",
    "linkUp": "1.3.6.1.6.3.1.1.5.4",
    "authenticationFailure": "1.3.6.1.6.3.1.1.5.5",
    "upsTrapOnBattery": "1.3.6.1.2.1.33.2.0.1",
    "upsTrapTestCompleted": "1.3.6.1.2.1.33.2.0.2",
    "upsTrapAlarmEntryAdded": "1.3.6.1.2.1.33.2.0.3",
    "upsTrapAlarmEntryRemoved": "1.3.6.1.2.1.33.2.0.4",
    "apcUpsOnBattery": "1.3.6.1.4.1.318.0.5",
    "apcPowerRestored": "1.3.6.1.4.1.318.0.9",
}
TRAP_NAMES: dict[str, str] = {oid: name for name, oid in KNOWN_TRAPS.items()}
_OID = re.compile(r"^\.?[0-2](\.\d{1,10}){1,127}$")


class PassiveCheck(BaseCheck):
    """What passive checks share: the event is the judgement, so there are no retries
    (`max_attempts` 1: the first CRIT is hard) and no latency baseline."""

    max_attempts: int = Field(default=1, ge=1, le=20)
    baseline: bool = False
    # back to OK this long after the last message that set a problem, unless `null`:
    # then a problem holds until a clearing message arrives
    clear_after: Duration | None = None

    def verdict(self, obs: Observation) -> tuple[CheckStatus, str]:
        """Status and reason as judged when the Observation was made."""
        from sitekeeper.state.model import CheckStatus

        raw = str(obs.values.get("status"))
        status = CheckStatus(raw) if raw in CheckStatus.__members__ else CheckStatus.UNKNOWN
        reason = obs.values.get("reason") or obs.error or status.value.lower()
        return status, str(reason)


class HeartbeatCheck(PassiveCheck):
    """A job pings `/hb/<token>` (the token is made when the inventory is applied) every
    `period`, or on a cron `schedule` read in `tz`; no ping by then plus `grace` is CRIT,
    and so is a `/fail` ping or a `/start` without a finish within `grace`."""

    type: Literal["heartbeat"] = "heartbeat"
    period: Duration | None = None
    schedule: str | None = None  # five-field cron, e.g. "0 3 * * *"
    tz: str = "UTC"
    grace: Duration = 3600.0

    @model_validator(mode="after")
    def _timing_ok(self) -> HeartbeatCheck:
        self.heartbeat("x" * 22)  # raises ValueError naming the problem
        return self

    def heartbeat(self, token: str) -> Heartbeat:
        from sitekeeper.collector.heartbeats import Heartbeat

        return Heartbeat(
            token=token,
            name=self.check_name,
            period=self.period,
            schedule=self.schedule,
            tz=self.tz,
            grace=self.grace,
        )


class SyslogMatchRule(BaseModel):
    """A message at least as severe as `min_severity` whose text matches `message` and whose
    program matches `program` (regexes, searched) sets WARN or CRIT, in its own words
    (`say`) or the message's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    message: str | None = None
    program: str | None = None
    min_severity: Severity = 7
    status: Problem = "CRIT"
    say: str | None = Field(default=None, min_length=1, max_length=80)

    _message_compiles = field_validator("message", "program")(check_regex)

    def applies(self, severity: int, program: str | None, text: str) -> bool:
        if severity > self.min_severity:
            return False
        if self.program is not None and not re.search(self.program, program or ""):
            return False
        return self.message is None or re.search(self.message, text) is not None

    @property
    def label(self) -> str:
        parts = [f"message ~ {self.message!r}"] if self.message else []
        parts += [f"program ~ {self.program!r}"] if self.program else []
        parts += [f"severity <= {SEVERITIES[self.min_severity]}"] if self.min_severity < 7 else []
        return ", ".join(parts) or "any message"


DEFAULT_SYSLOG_RULES = (SyslogMatchRule(min_severity=2, status="CRIT"),)


class SyslogCheck(PassiveCheck):
    """Syslog messages from the device's address, judged by `rules` (the first that applies
    wins; default: severity crit or worse is CRIT). A message matching `clear` returns the
    check to OK, and so does `clear_after` without further matching messages."""

    type: Literal["syslog"] = "syslog"
    rules: tuple[SyslogMatchRule, ...] = DEFAULT_SYSLOG_RULES
    clear: str | None = None  # regex searched in `program: message`
    clear_after: Duration | None = 3600.0

    _clear_compiles = field_validator("clear")(check_regex)


def trap_oid(value: str) -> str:
    """A dotted OID or a known trap name, as a dotted OID without the leading dot."""
    if value in KNOWN_TRAPS:
        return KNOWN_TRAPS[value]
    if _OID.match(value):
        return value.lstrip(".")
    raise ValueError(
        f"{value!r} is not a trap OID or a known trap name; give a dotted OID like "
        f"1.3.6.1.4.1.9.9.41.2.0.1 or one of: {', '.join(KNOWN_TRAPS)}"
    )


class TrapRule(BaseModel):
    """`{trap: OID or name, status: CRIT, say: "words"}` sets a problem named after the trap;
    `{trap: ..., status: OK, clears: [names]}` clears those (all when `clears` is empty)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    trap: str
    status: RuleStatus = "CRIT"
    say: str | None = Field(default=None, min_length=1, max_length=80)
    clears: tuple[str, ...] = ()
    clear_after: Duration | None = None  # this problem only; default: the check's

    @field_validator("trap")
    @classmethod
    def _known(cls, value: str) -> str:
        trap_oid(value)
        return value

    @field_validator("clears")
    @classmethod
    def _clears_known(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            trap_oid(value)
        return values

    @model_validator(mode="after")
    def _clears_only_when_ok(self) -> TrapRule:
        if self.clears and self.status != "OK":
            raise ValueError("`clears` belongs to a rule with status OK (a clearing trap)")
        return self

    @property
    def oid(self) -> str:
        return trap_oid(self.trap)


class SnmpTrapCheck(PassiveCheck):
    """Traps and informs from the device's address. Built in (unless `builtins: false`):
    linkDown is CRIT "port N down" until linkUp for that port; coldStart/warmStart is WARN
    "rebooted" for `reboot_clear_after`; upsTrapOnBattery (and APC's) is CRIT "on battery"
    until upsTrapAlarmEntryRemoved or APC's power restored. `rules` come first."""

    type: Literal["snmp_trap"] = "snmp_trap"
    rules: tuple[TrapRule, ...] = ()
    builtins: bool = True
    reboot_clear_after: Duration = 600.0
