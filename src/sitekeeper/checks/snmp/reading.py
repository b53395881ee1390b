"""From everything an agent returned for one check to the Observation's values (pure).

The probe does the reading and remembers the previous sample; this does the rest, so
recorded walks can be replayed through exactly the code the probe runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sitekeeper.checks.snmp import host, interfaces, printer, sensors, system, ups
from sitekeeper.checks.snmp.model import Prior, Raw, Table, extract, number, text
from sitekeeper.observation import Value
from sitekeeper.protocols.snmp.values import NoValue, VarBind, parse_oid

if TYPE_CHECKING:
    from sitekeeper.checks.specs_snmp import SnmpCheck

TABLES: dict[str, Table] = {
    t.name: t
    for t in (system.TABLE, interfaces.TABLE, host.TABLE, ups.TABLE, printer.TABLE, sensors.TABLE)
}


@dataclass(frozen=True, slots=True)
class Previous:
    """The check's previous sample: raw data per table, how long ago, and whether the
    agent restarted since (see counters.restarted)."""

    raws: Mapping[str, Raw]
    elapsed_s: float
    restarted: bool = False


@dataclass(slots=True)
class Reading:
    values: dict[str, Value] = field(default_factory=dict)
    raws: dict[str, Raw] = field(default_factory=dict)
    not_measured: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # required tables the agent lacks
    counts: dict[str, int] = field(default_factory=dict)  # values per table, for debug logs


def read(spec: SnmpCheck, varbinds: Sequence[VarBind], previous: Previous | None) -> Reading:
    out = Reading()
    for name in spec.tables:
        table = TABLES[name]
        raw = out.raws[name] = extract(table, varbinds)
        if raw.empty():
            if not table.optional:
                out.missing.append(table.mib)
            out.counts[name] = 0
            continue
        prior = None
        if previous is not None and name in previous.raws:
            prior = Prior(previous.raws[name], previous.elapsed_s, previous.restarted)
        found = table.derive(raw, prior, spec)
        out.values.update(found)
        out.counts[name] = len(found)
        if table.not_measured is not None:
            out.not_measured.extend(table.not_measured(found))
    out.values.update(custom(spec, varbinds))
    return out


def custom(spec: SnmpCheck, varbinds: Sequence[VarBind]) -> dict[str, Value]:
    """The check's extra `oids:`: numbers (times `scale`) or text, by their names."""
    found = dict(varbinds)
    values: dict[str, Value] = {}
    for item in spec.oids:
        raw = found.get(parse_oid(item.oid))
        if raw is None or isinstance(raw, NoValue):
            continue
        n = number(raw)
        if n is not None:
            values[item.name] = n if item.scale == 1 else round(n * item.scale, 6)
            continue
        shown = text(raw)
        if shown is not None:
            values[item.name] = shown
    return values
