"""Judge passive inputs (syslog messages, traps, heartbeat pings) into check observations.

A syslog or trap check remembers *conditions*: named problems that are set by one message
and cleared by another or by time (`port:3` CRIT "port 3 down (Gi0/3)" until linkUp for
ifIndex 3; `reboot` WARN for ten minutes). The check's status is the worst condition; its
reason names every condition at that status. Conditions travel in the Observation's values
(`conditions`, JSON), so they are stored with the check state and survive a restart.

    judge_syslog(spec, conditions, severity, program, line, now) -> Outcome | None
    judge_trap(spec, conditions, trap_oid, varbinds, now)          -> Outcome | None
    expire(conditions, now)                                        -> Outcome | None
    judge_heartbeat(heartbeat, last_ping, created_at, now)         -> (status, reason)
    observation(check_id, now, outcome)                            -> Observation

Pure: every "now" is an argument, nothing here does I/O. None means "nothing changed".
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sitekeeper.checks.specs_passive import (
    TRAP_NAMES,
    HeartbeatCheck,
    SnmpTrapCheck,
    SyslogCheck,
    TrapRule,
    trap_oid,
)
from sitekeeper.collector.heartbeats import Heartbeat, HeartbeatStatus, Ping, PingKind
from sitekeeper.collector.heartbeats import next_due as hb_next_due
from sitekeeper.collector.heartbeats import status as hb_status
from sitekeeper.observation import Observation
from sitekeeper.state.model import CHECK_SEVERITY, CheckStatus

MAX_WORDS = 200  # characters of a message kept in a reason
MAX_CONDITIONS = 64  # a storm of linkDowns on a 48-port switch still fits; more are dropped

IF_INDEX = (1, 3, 6, 1, 2, 1, 2, 2, 1, 1)
IF_DESCR = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
IF_ADMIN_STATUS = (1, 3, 6, 1, 2, 1, 2, 2, 1, 7)
IF_OPER_STATUS = (1, 3, 6, 1, 2, 1, 2, 2, 1, 8)
IF_NAME = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1)

Oid = tuple[int, ...]
VarBinds = Sequence[tuple[Oid, object]]


@dataclass(frozen=True, slots=True)
class Condition:
    key: str
    status: CheckStatus
    words: str
    at: float
    expires: float | None = None


Conditions = dict[str, Condition]


@dataclass(frozen=True, slots=True)
class Outcome:
    """The conditions after an event, and the words for OK when it cleared something."""

    conditions: Conditions
    note: str = ""


def summary(conditions: Conditions, note: str = "") -> tuple[CheckStatus, str]:
    """The worst condition's status; the reason names every condition at that status."""
    if not conditions:
        return CheckStatus.OK, note or "no problem reported"
    worst = max((c.status for c in conditions.values()), key=CHECK_SEVERITY.__getitem__)
    words = [c.words for c in sorted(conditions.values(), key=lambda c: c.at) if c.status is worst]
    return worst, "; ".join(words)


def encode(conditions: Conditions) -> str:
    return json.dumps([asdict(c) for c in conditions.values()], separators=(",", ":"))


def decode(raw: object) -> Conditions:
    """Conditions from a stored value; anything unreadable is no conditions."""
    try:
        items = json.loads(raw) if isinstance(raw, str) else []
        found = [
            Condition(
                key=str(i["key"]),
                status=CheckStatus(i["status"]),
                words=str(i["words"]),
                at=float(i["at"]),
                expires=None if i.get("expires") is None else float(i["expires"]),
            )
            for i in items
        ]
    except (ValueError, KeyError, TypeError):
        return {}
    return {c.key: c for c in found}


def observation(check_id: int, now: float, outcome: Outcome) -> Observation:
    status, reason = summary(outcome.conditions, outcome.note)
    return Observation(
        check_id=check_id,
        at=now,
        ok=status is CheckStatus.OK,
        values={"status": status.value, "reason": reason, "conditions": encode(outcome.conditions)},
        error=None if status is CheckStatus.OK else reason,
    )


def _set(conditions: Conditions, condition: Condition) -> Conditions:
    kept = {k: c for k, c in conditions.items() if k != condition.key}
    if len(kept) >= MAX_CONDITIONS:
        return kept
    return {**kept, condition.key: condition}


def _expires(now: float, after: float | None) -> float | None:
    return None if after is None else now + after


def expire(conditions: Conditions, now: float) -> Outcome | None:
    """Drop the conditions whose time is up; None when none is."""
    kept = {k: c for k, c in conditions.items() if c.expires is None or c.expires > now}
    if len(kept) == len(conditions):
        return None
    gone = [c.words for c in conditions.values() if c.key not in kept]
    return Outcome(kept, f"cleared after a quiet while: {'; '.join(gone)}"[:MAX_WORDS])


# --- syslog -------------------------------------------------------------------------------


def judge_syslog(
    spec: SyslogCheck,
    conditions: Conditions,
    severity: int,
    program: str | None,
    line: str,
    now: float,
) -> Outcome | None:
    """`clear` is looked at first (a link coming up matches the link rule too)."""
    if spec.clear is not None and re.search(spec.clear, line):
        if not conditions:
            return None
        return Outcome({}, f"cleared: {line}"[:MAX_WORDS])
    for index, rule in enumerate(spec.rules):
        if rule.applies(severity, program, line):
            words = rule.say or line[:MAX_WORDS]
            condition = Condition(
                key=f"rule{index}",
                status=CheckStatus(rule.status),
                words=words,
                at=now,
                expires=_expires(now, spec.clear_after),
            )
            return Outcome(_set(conditions, condition))
    return None


# --- traps --------------------------------------------------------------------------------


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace").strip("\0 ")
    return str(value)


def port_of(varbinds: VarBinds) -> tuple[str | None, str | None]:
    """(ifIndex, ifDescr or ifName) from a linkDown/linkUp's varbinds (RFC 2863)."""
    index: str | None = None
    label: str | None = None
    for oid, value in varbinds:
        column, suffix = oid[:-1], oid[-1:]
        if column == IF_INDEX and isinstance(value, int):
            index = str(value)
        elif column in (IF_ADMIN_STATUS, IF_OPER_STATUS) and index is None and suffix:
            index = str(suffix[0])
        elif column in (IF_DESCR, IF_NAME) and isinstance(value, bytes) and label is None:
            label = _text(value)[:64] or None
            index = index or (str(suffix[0]) if suffix else None)
    return index, label


def _builtin(
    spec: SnmpTrapCheck, conditions: Conditions, name: str, varbinds: VarBinds, now: float
) -> Outcome | None:
    expires = _expires(now, spec.clear_after)
    if name in ("linkDown", "linkUp"):
        index, label = port_of(varbinds)
        named = f" ({label})" if label else ""
        key = f"port:{index or '?'}"
        if name == "linkUp":
            if key not in conditions:
                return None
            kept = {k: c for k, c in conditions.items() if k != key}
            return Outcome(kept, f"port {index or '?'} up{named}")
        words = f"port {index or '?'} down{named}"
        return Outcome(_set(conditions, Condition(key, CheckStatus.CRIT, words, now, expires)))
    if name in ("coldStart", "warmStart"):
        until = now + spec.reboot_clear_after
        return Outcome(
            _set(conditions, Condition("reboot", CheckStatus.WARN, "rebooted", now, until))
        )
    if name in ("upsTrapOnBattery", "apcUpsOnBattery"):
        condition = Condition("power", CheckStatus.CRIT, "on battery", now, expires)
        return Outcome(_set(conditions, condition))
    if name in ("upsTrapAlarmEntryRemoved", "apcPowerRestored"):
        if "power" not in conditions:
            return None
        return Outcome(
            {k: c for k, c in conditions.items() if k != "power"}, "back on utility power"
        )
    return None


_BUILTIN_KEYS = {"linkDown": "port:", "coldStart": "reboot", "warmStart": "reboot"}
_BUILTIN_KEYS |= {"upsTrapOnBattery": "power", "apcUpsOnBattery": "power"}


def _cleared_by(rule: TrapRule, key: str) -> bool:
    if not rule.clears:
        return True
    for trap in rule.clears:
        name = TRAP_NAMES.get(trap_oid(trap), trap)
        if key == f"trap:{trap_oid(trap)}" or key.startswith(_BUILTIN_KEYS.get(name, "\0")):
            return True
    return False


def _by_rule(
    spec: SnmpTrapCheck, rule: TrapRule, conditions: Conditions, name: str, now: float
) -> Outcome | None:
    if rule.status == "OK":
        kept = {k: c for k, c in conditions.items() if not _cleared_by(rule, k)}
        if len(kept) == len(conditions):
            return None
        return Outcome(kept, rule.say or f"cleared by {name}")
    after = rule.clear_after if rule.clear_after is not None else spec.clear_after
    words = rule.say or f"trap {name}"
    condition = Condition(
        f"trap:{rule.oid}", CheckStatus(rule.status), words, now, _expires(now, after)
    )
    return Outcome(_set(conditions, condition))


def judge_trap(
    spec: SnmpTrapCheck, conditions: Conditions, oid: Oid, varbinds: VarBinds, now: float
) -> Outcome | None:
    """The check's own rules first, then (unless turned off) the built-in ones."""
    dotted = ".".join(str(part) for part in oid)
    name = TRAP_NAMES.get(dotted, dotted)
    for rule in spec.rules:
        if rule.oid == dotted:
            return _by_rule(spec, rule, conditions, name, now)
    if spec.builtins:
        return _builtin(spec, conditions, name, varbinds, now)
    return None


# --- heartbeats ---------------------------------------------------------------------------


def _when(ts: float, tz: str) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


def judge_heartbeat(
    spec: HeartbeatCheck, heartbeat: Heartbeat, last: Ping | None, created_at: float, now: float
) -> tuple[CheckStatus, str]:
    """Where a heartbeat check stands. Before its first ping the clock runs from when its
    token was made: a job that never pings is late like one that stopped."""
    tz = spec.tz
    if last is None:
        due = hb_next_due(heartbeat, created_at)
        if now > due + heartbeat.grace:
            return CheckStatus.CRIT, f"no heartbeat yet (due {_when(due, tz)})"
        return CheckStatus.OK, f"waiting for the first ping (due {_when(due, tz)})"
    state = hb_status(heartbeat, last, now)
    at = _when(last.at, tz)
    if state.status is HeartbeatStatus.FAILED:
        return CheckStatus.CRIT, f"the job reported failure at {at}"
    if state.status is HeartbeatStatus.LATE and last.kind is PingKind.START:
        return CheckStatus.CRIT, state.reason
    if state.status is HeartbeatStatus.LATE:
        due = state.next_due if state.next_due is not None else last.at
        return CheckStatus.CRIT, f"no heartbeat since {at} (due {_when(due, tz)})"
    return state.status.check_status, state.reason
