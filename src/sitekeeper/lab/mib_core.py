"""The building blocks of the lab's MIB views (pure): the state a view is computed from,
a builder that records instances and object types, and the finished, ordered view that the
agent answers GET and GETNEXT from."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from sitekeeper.lab.conditions import Seen
from sitekeeper.lab.plan import DevicePlan
from sitekeeper.protocols.snmp.values import NoValue, Oid, TimeTicks, Value, VarBind


@dataclass(frozen=True, slots=True)
class DeviceState:
    """What a view needs besides the plan, read when the request arrives."""

    uptime_s: float  # since the device (re)booted
    conditions: Mapping[str, Seen] = field(default_factory=dict)
    downstream: tuple[tuple[str, str], ...] = ()  # (id, name) of what it feeds: ports, outlets
    contact: str = ""
    location: str = ""

    def seen(self, key: str) -> Seen | None:
        return self.conditions.get(key)

    def is_on(self, key: str) -> bool:
        seen = self.conditions.get(key)
        return seen is not None and seen.on

    def ticks(self, seconds: float) -> TimeTicks:
        """A TimeTicks value (hundredths of a second, wrapping like sysUpTime does)."""
        return TimeTicks(int(max(seconds, 0.0) * 100) % (1 << 32))

    def uptime_at(self, seen: Seen | None) -> TimeTicks:
        """sysUpTime when a condition last changed (0: not since boot)."""
        if seen is None or seen.changed_ago_s is None:
            return TimeTicks(0)
        return self.ticks(self.uptime_s - seen.changed_ago_s)


class Mib:
    """A view being built: instances and their values, and the object types they belong to
    (so a GET can tell noSuchObject from noSuchInstance)."""

    def __init__(self) -> None:
        self.values: dict[Oid, Value] = {}
        self.objects: set[Oid] = set()

    def scalar(self, oid: Oid, value: Value) -> None:
        self.objects.add(oid)
        self.values[(*oid, 0)] = value

    def column(self, oid: Oid, rows: Iterable[tuple[Oid, Value]]) -> None:
        """A table column: `rows` are (index, value), the index as arcs."""
        self.objects.add(oid)
        for index, value in rows:
            self.values[oid + index] = value

    def table(self, entry: Oid, rows: Iterable[Row]) -> None:
        """A whole table, row by row: {column number: value} per index."""
        for index, cells in rows:
            for column, value in cells.items():
                self.column((*entry, column), [(index, value)])

    def freeze(self) -> View:
        return View(sorted(self.values), self.values, frozenset(self.objects))


@dataclass(frozen=True, slots=True)
class View:
    """A finished view: instances in lexicographic order (Python orders OID tuples the way
    SNMP does), for GET and GETNEXT."""

    order: list[Oid]
    values: Mapping[Oid, Value]
    objects: frozenset[Oid]

    def get(self, oid: Oid) -> Value:
        """The value, or noSuchInstance (the object exists, this instance does not), or
        noSuchObject (RFC 3416 §4.2.1)."""
        if oid in self.values:
            return self.values[oid]
        if any(oid[:n] in self.objects for n in range(len(oid), 1, -1)):
            return NoValue.NO_SUCH_INSTANCE
        return NoValue.NO_SUCH_OBJECT

    def next(self, oid: Oid) -> VarBind | None:
        """The first instance strictly after `oid`, or None at the end of the view."""
        at = bisect_right(self.order, oid)
        if at >= len(self.order):
            return None
        found = self.order[at]
        return found, self.values[found]


Row = tuple[Oid, Mapping[int, Value]]  # a table row: index arcs, {column: value}
ViewFn = Callable[[Mib, DevicePlan, DeviceState], None]


def text(value: str) -> bytes:
    """An OCTET STRING for a DisplayString (at most 255 octets)."""
    return value.encode("utf-8")[:255]


def serial(plan: DevicePlan) -> str:
    """A lab serial number: stable per device, and plainly not a real one."""
    return f"LAB{plan.address.rsplit('.', 1)[-1].zfill(6)}"
