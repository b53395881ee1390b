"""Printer-MIB (RFC 3805): how full each supply is — toner, ink, drum, waste box.

A level is a count of the supply's unit out of its maximum capacity, or a convention:
-2 means unknown and -3 "some remains" (at least one unit; many printers say no more than
that until it is empty); a capacity of -1 or -2 means there is no maximum to compare to.
Those supplies get a word (`supply_level.black: some left`), not a percentage. For a
receptacle (the waste box) the level is the room left, so a low one is nearly full.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sitekeeper.checks.snmp.model import Plain, Prior, Raw, Table, metric, text
from sitekeeper.observation import Value

if TYPE_CHECKING:
    from sitekeeper.checks.specs_snmp import SnmpCheck

SUPPLY_ENTRY = "1.3.6.1.2.1.43.11.1.1"
COLORANT_VALUE = "1.3.6.1.2.1.43.12.1.1.4"
UNKNOWN, SOME_LEFT = -2, -3
TONER_TYPES = frozenset({3, 21})  # toner, tonerCartridge
INK_TYPES = frozenset({5, 6, 7})  # ink, inkCartridge, inkRibbon
SUMMARY = ("supply_min_pct", "supply_low", "supply_low_kind")


def supplies(raw: Raw) -> list[tuple[str, int | None, str, int]]:
    """(name, percent or None, level word, supply type) per supply, in table order."""
    out: list[tuple[str, int | None, str, int]] = []
    seen: set[str] = set()
    for index, level in raw.column("level").items():
        kind = _int(raw.column("type").get(index)) or 1
        name = _name(raw, index, kind)
        if name in seen:
            name = f"{name} {index.rsplit('.', 1)[-1]}"
        seen.add(name)
        capacity = _int(raw.column("capacity").get(index))
        if not isinstance(level, int) or level == UNKNOWN or level < SOME_LEFT:
            out.append((name, None, "unknown", kind))
        elif level == SOME_LEFT:
            out.append((name, None, "some left", kind))
        elif level < 0 or capacity is None or capacity <= 0:
            out.append((name, None, "unknown", kind))
        else:
            pct = max(0, min(100, round(level * 100 / capacity)))
            out.append((name, pct, "empty" if pct == 0 else f"{pct}%", kind))
    return out


def derive(raw: Raw, prior: Prior | None, spec: SnmpCheck) -> dict[str, Value]:
    values: dict[str, Value] = {}
    rows = supplies(raw)
    if rows:
        values["supplies"] = len(rows)
    known = [(pct, name, kind) for name, pct, _, kind in rows if pct is not None]
    for name, pct, word, _ in rows:
        slug = _slug(name)
        values[f"supply_level.{slug}"] = word
        if pct is not None:
            values[f"supply_pct.{slug}"] = pct
    if known:
        lowest = min(known)
        values["supply_min_pct"] = lowest[0]
        values["supply_low_kind"] = _kind_word(lowest[2])
        bound = spec.supply_warn_pct
        low = sorted(k for k in known if bound is not None and k[0] < bound)
        values["supply_low"] = ", ".join(f"{name} {pct}%" for pct, name, _ in low) or "none"
    return values


def not_measured(values: dict[str, Value]) -> list[str]:
    """A printer that gives no level as a number (only "some left") has no minimum."""
    return [key for key in SUMMARY if key not in values]


def _name(raw: Raw, index: str, kind: int) -> str:
    """ "black" for a black toner (its colorant), else the supply's own description."""
    if kind in TONER_TYPES | INK_TYPES:
        colorant = _int(raw.column("colorant").get(index))
        device = index.split(".", 1)[0]
        if colorant:
            found = raw.column("colorant_value").get(f"{device}.{colorant}")
            if isinstance(found, str) and found and found.lower() not in ("unknown", "other"):
                return found.lower()
    descr = raw.column("descr").get(index)
    return str(descr).strip().lower() if descr else f"supply {index}"


def _kind_word(kind: int) -> str:
    if kind in TONER_TYPES:
        return "toner"
    if kind in INK_TYPES:
        return "ink"
    return "supply"


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "supply"


def _int(value: Plain | None) -> int | None:
    return value if isinstance(value, int) else None


TABLE = Table(
    name="printer",
    mib="Printer-MIB (RFC 3805)",
    derive=derive,
    not_measured=not_measured,
    columns=(
        metric("colorant", f"{SUPPLY_ENTRY}.3"),
        metric("class", f"{SUPPLY_ENTRY}.4"),
        metric("type", f"{SUPPLY_ENTRY}.5"),
        metric("descr", f"{SUPPLY_ENTRY}.6", transform=text),
        metric("unit", f"{SUPPLY_ENTRY}.7"),
        metric("capacity", f"{SUPPLY_ENTRY}.8"),
        metric("level", f"{SUPPLY_ENTRY}.9"),
        metric("colorant_value", COLORANT_VALUE, transform=text),
    ),
)
