"""The shape of a declarative SNMP metric table, and turning varbinds into its raw data.

A table is rows in the Home Assistant style — `Metric(key, oid, unit, transform)` — split
into *scalars* (one GET of `.0` instances) and *columns* (walked; each row's index is the
OID suffix after the column). `extract` sorts what an agent returned into a `Raw` of plain
Python values; each table's `derive` turns a `Raw` (and the previous sample's, for rates)
into the Observation's named values. All of it is pure: the probe does the I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from sitekeeper.observation import Value
from sitekeeper.protocols.snmp.values import NoValue, Oid, format_oid, parse_oid
from sitekeeper.protocols.snmp.values import Value as SnmpValue

if TYPE_CHECKING:
    from sitekeeper.checks.specs_snmp import SnmpCheck

Plain = int | float | str
Transform = Callable[[SnmpValue], Plain | None]


def number(value: SnmpValue) -> int | None:
    """INTEGER, Counter, Gauge, TimeTicks as a plain int; anything else is not a number."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return int(value)


def text(value: SnmpValue) -> Plain | None:
    """An OCTET STRING as text (NULs and surrounding blanks dropped), an OID dotted."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace").replace("\0", "").strip()
    if isinstance(value, tuple):
        return format_oid(value)
    if isinstance(value, IPv4Address):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(int(value))
    return None


def oid_text(value: SnmpValue) -> Plain | None:
    """An OBJECT IDENTIFIER, dotted (e.g. sysObjectID, hrStorageType)."""
    return format_oid(value) if isinstance(value, tuple) else None


def scaled(factor: float) -> Transform:
    """A number times `factor`, e.g. 0.1 for a value in tenths of a volt."""

    def transform(value: SnmpValue) -> Plain | None:
        n = number(value)
        return None if n is None else round(n * factor, 6)

    return transform


@dataclass(frozen=True, slots=True)
class Metric:
    """One row of a table: what to read, where, in what unit, and how to make it plain."""

    key: str
    oid: Oid
    unit: str = ""
    transform: Transform = number


def metric(key: str, oid: str, unit: str = "", transform: Transform = number) -> Metric:
    return Metric(key, parse_oid(oid), unit, transform)


@dataclass(slots=True)
class Raw:
    """What one table read: scalars by key, columns by key then row index ("7", "1.2")."""

    scalars: dict[str, Plain] = field(default_factory=dict)
    columns: dict[str, dict[str, Plain]] = field(default_factory=dict)

    def empty(self) -> bool:
        return not self.scalars and not any(self.columns.values())

    def column(self, key: str) -> dict[str, Plain]:
        return self.columns.get(key, {})


@dataclass(frozen=True, slots=True)
class Prior:
    """The previous sample of the same check: its raw data, seconds since, and whether
    the agent restarted in between (counters start again from zero: no rate)."""

    raw: Raw
    elapsed_s: float
    restarted: bool


Derive = Callable[[Raw, "Prior | None", "SnmpCheck"], dict[str, Value]]


@dataclass(frozen=True, slots=True)
class Table:
    """A named set of metrics from one MIB, and how its values are derived.

    `optional` tables are skipped silently when the agent has none of their objects (e.g.
    ENTITY-SENSOR-MIB); a missing required table is reported, because a check asked for it.
    `derive` gets the table's raw data, the previous sample's (or None) and the check's
    spec (e.g. which ports must be up).
    """

    name: str
    mib: str
    derive: Derive
    scalars: tuple[Metric, ...] = ()
    columns: tuple[Metric, ...] = ()
    optional: bool = False
    # names of values thresholds may use that this sample could not give by design (a rate
    # without a previous sample): not judged this time (see state.classify)
    not_measured: Callable[[dict[str, Value]], list[str]] | None = None

    @property
    def scalar_oids(self) -> list[Oid]:
        return [m.oid for m in self.scalars]

    @property
    def column_oids(self) -> list[Oid]:
        return [m.oid for m in self.columns]


def extract(table: Table, varbinds: Iterable[tuple[Oid, SnmpValue]]) -> Raw:
    """Sort varbinds (from GETs and walks, in any order, other tables' too) into `table`'s
    Raw. Exception values (noSuchObject...) and values a transform rejects are left out."""
    scalars = {m.oid: m for m in table.scalars}
    columns = sorted(table.columns, key=lambda m: len(m.oid), reverse=True)
    raw = Raw()
    for oid, value in varbinds:
        if isinstance(value, NoValue) or value is None:
            continue
        found = scalars.get(oid)
        if found is not None:
            plain = found.transform(value)
            if plain is not None:
                raw.scalars[found.key] = plain
            continue
        for col in columns:
            depth = len(col.oid)
            if len(oid) > depth and oid[:depth] == col.oid:
                plain = col.transform(value)
                if plain is not None:
                    raw.columns.setdefault(col.key, {})[format_oid(oid[depth:])] = plain
                break
    return raw
