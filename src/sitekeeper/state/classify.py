"""Judge one Observation against its check spec: OK, WARN, CRIT or UNKNOWN, with a short reason.

Probes observe; this is where "412 ms" becomes "WARN". Thresholds compare strictly, like
Nagios plugin ranges: `warn_above: 250` alerts at 250.1, not at 250. When several thresholds
disagree the worst wins by CHECK_SEVERITY (CRIT > UNKNOWN > WARN > OK): a value we cannot read
says less than a bound that is clearly crossed, but more than a mere warning.

Also here: `next_delay`, the collector's retry schedule, because it follows the same Nagios
rule the engine uses (retry quickly while soft, back to the normal interval once hard).
"""

from __future__ import annotations

import re
import weakref

from sitekeeper.checks.snmp.thresholds import implicit_thresholds as snmp_thresholds
from sitekeeper.checks.specs import (
    BaseCheck,
    HttpCheck,
    PjlinkCheck,
    SnmpCheck,
    Threshold,
    TlsCheck,
)
from sitekeeper.checks.specs_passive import PassiveCheck
from sitekeeper.observation import Observation
from sitekeeper.protocols.pjlink import ERROR_FIELDS
from sitekeeper.state.model import CHECK_SEVERITY, CheckStatus

# Observation fields a threshold may name besides `values` (latency is measured by every probe).
_FIELDS = ("latency_ms",)
# A probe lists in details[NOT_MEASURED] the values it could not give this run by design (a
# rate needs a previous sample): a threshold on one of them is not judged this time.
NOT_MEASURED = "not_measured"
# `say: "ports down: {ports_down_list}"` names other values of the same observation
_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.]+)\}")


def thresholds_for(spec: BaseCheck) -> tuple[Threshold, ...]:
    """The spec's own thresholds plus the ones its typed fields imply.

    This is the only place that knows which spec fields are thresholds in disguise.
    """
    implicit: list[Threshold] = []
    if isinstance(spec, HttpCheck) and (spec.warn_latency_ms or spec.crit_latency_ms):
        implicit.append(
            Threshold(
                value="latency_ms", warn_above=spec.warn_latency_ms, crit_above=spec.crit_latency_ms
            )
        )
    if isinstance(spec, TlsCheck):
        implicit.append(
            Threshold(value="days_to_expiry", warn_below=spec.warn_days, crit_below=spec.crit_days)
        )
    if isinstance(spec, PjlinkCheck):
        implicit.extend(_pjlink(spec))
    if isinstance(spec, SnmpCheck):
        implicit.extend(snmp_thresholds(spec))
    return (*implicit, *spec.thresholds)


# thresholds_for(spec) by spec object: classify runs for every result, and a spec (immutable)
# lives as long as the catalog that holds it. Entries go when their spec is collected.
_BY_SPEC: dict[int, tuple[weakref.ref[BaseCheck], tuple[Threshold, ...]]] = {}


def _thresholds(spec: BaseCheck) -> tuple[Threshold, ...]:
    key = id(spec)
    hit = _BY_SPEC.get(key)
    if hit is not None and hit[0]() is spec:
        return hit[1]
    found = thresholds_for(spec)
    _BY_SPEC[key] = (weakref.ref(spec, lambda _: _BY_SPEC.pop(key, None)), found)
    return found


_PJLINK_WORDS = {"temp": "temperature"}


def _pjlink(spec: PjlinkCheck) -> list[Threshold]:
    """ERST says 0 ok, 1 warning, 2 error per part; lamp hours against the spec's bounds."""
    out = []
    if spec.judge_errors:
        for part in ERROR_FIELDS:
            word = _PJLINK_WORDS.get(part, part)
            out.append(Threshold(value=f"error_{part}", crit_above=1, say=f"{word} error"))
            out.append(Threshold(value=f"error_{part}", warn_above=0, say=f"{word} warning"))
    if spec.lamp_hours_warn is not None or spec.lamp_hours_crit is not None:
        out.append(
            Threshold(
                value="lamp_hours",
                warn_above=spec.lamp_hours_warn,
                crit_above=spec.lamp_hours_crit,
                say="lamp hours past the replacement point",
            )
        )
    return out


def classify(obs: Observation, spec: BaseCheck) -> tuple[CheckStatus, str]:
    """Status and reason for one probe run."""
    if isinstance(spec, PassiveCheck):  # judged on arrival (sitekeeper.state.passive)
        return spec.verdict(obs)
    if obs.ok is None:
        return CheckStatus.UNKNOWN, obs.error or "the probe could not tell"
    if obs.ok is False:
        return CheckStatus.CRIT, obs.error or "check failed"
    thresholds = _thresholds(spec)
    if not thresholds:
        return CheckStatus.OK, "ok"
    verdicts = [_judge(obs, t) for t in thresholds]
    worst = max((s for s, _ in verdicts), key=CHECK_SEVERITY.__getitem__, default=CheckStatus.OK)
    if worst is CheckStatus.OK:
        return CheckStatus.OK, "ok"
    return worst, "; ".join(reason for s, reason in verdicts if s is worst)


def ok_when_answered(spec: BaseCheck) -> bool:
    """Whether `classify` says (OK, "ok") of every answered result (`ok` True) for this spec,
    whatever its values: no thresholds, and not a passive check. Ingest asks once per check
    and then skips `classify` for such results (most of them)."""
    return not isinstance(spec, PassiveCheck) and not _thresholds(spec)


def next_delay(spec: BaseCheck, status: CheckStatus, consecutive_non_ok: int) -> float:
    """Seconds until the next run: retry fast while a problem is still soft, as Nagios does."""
    if status is not CheckStatus.OK and consecutive_non_ok < spec.max_attempts:
        return spec.effective_retry_interval
    return spec.interval


def _judge(obs: Observation, t: Threshold) -> tuple[CheckStatus, str]:
    value = _number(obs, t.value)
    if isinstance(value, str):
        if t.value in str(obs.details.get(NOT_MEASURED, "")).split(","):
            return CheckStatus.OK, ""
        return CheckStatus.UNKNOWN, value
    for status, bound, op in (
        (CheckStatus.CRIT, t.crit_above, ">"),
        (CheckStatus.CRIT, t.crit_below, "<"),
        (CheckStatus.WARN, t.warn_above, ">"),
        (CheckStatus.WARN, t.warn_below, "<"),
    ):
        if bound is not None and (value > bound if op == ">" else value < bound):
            if t.say is not None:
                return status, _say(obs, t, value)
            return status, f"{t.value} {value!r} {op} {bound:g} ({status.value.lower()})"
    return CheckStatus.OK, ""


def _say(obs: Observation, t: Threshold, value: float) -> str:
    """The threshold's own words; values it names in braces are filled in (then the words
    say it all), otherwise the value follows in parentheses."""
    assert t.say is not None
    if _PLACEHOLDER.search(t.say) is None:
        return f"{t.say} ({t.value} {value:g})"

    def fill(match: re.Match[str]) -> str:
        found = obs.values.get(match.group(1))
        if found is None:
            return match.group(0)
        return f"{found:g}" if isinstance(found, float) else str(found)

    return _PLACEHOLDER.sub(fill, t.say)


def _number(obs: Observation, name: str) -> float | str:
    """The named value as a float, or a reason string saying why there is none."""
    raw = obs.values.get(name)
    if raw is None and name in _FIELDS:
        raw = getattr(obs, name)
    if raw is None:
        return f"{name} missing from the result"
    try:
        return float(raw)
    except ValueError:
        return f"{name} is not a number ({raw!r})"
