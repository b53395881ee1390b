"""HOST-RESOURCES-MIB (RFC 2790): processor load, memory and storage use.

Memory on Linux (net-snmp) counts the page cache and buffers as used; they are given back
the moment a program needs them, so they are subtracted, as `free` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sitekeeper.checks.snmp.model import Plain, Prior, Raw, Table, metric, oid_text, text
from sitekeeper.observation import Value

if TYPE_CHECKING:
    from sitekeeper.checks.specs_snmp import SnmpCheck

STORAGE_ENTRY = "1.3.6.1.2.1.25.2.3.1"
STORAGE_TYPES = "1.3.6.1.2.1.25.2.1"
RAM, VIRTUAL, FIXED_DISK, FLASH = (f"{STORAGE_TYPES}.{n}" for n in (2, 3, 4, 9))
RECLAIMABLE = ("cached memory", "memory buffers")  # net-snmp's names for them


def derive(raw: Raw, prior: Prior | None, spec: SnmpCheck) -> dict[str, Value]:
    values: dict[str, Value] = {}
    loads = [v for v in raw.column("cpu_load").values() if isinstance(v, int)]
    if loads:
        values["cpu_load_pct"] = round(sum(loads) / len(loads), 1)
        values["cpu_count"] = len(loads)
    if isinstance(raw.scalars.get("processes"), int):
        values["processes"] = raw.scalars["processes"]
    rows = _storage(raw)
    reclaim = sum(used for _, descr, _, used in rows if descr.lower() in RECLAIMABLE)
    for kind, descr, size, used in rows:
        if kind == RAM and size > 0:
            values["memory_total_mb"] = round(size / 2**20)
            values["memory_used_pct"] = _pct(max(used - reclaim, 0), size)
        elif kind == VIRTUAL and size > 0 and "swap" in descr.lower():
            values["swap_used_pct"] = _pct(used, size)
    fullest: tuple[float, str] | None = None
    for index, (kind, descr, size, used) in zip(_indexes(raw), rows, strict=True):
        if kind not in (FIXED_DISK, FLASH) or size <= 0:
            continue
        pct = _pct(used, size)
        values[f"storage_used_pct.{index}"] = pct
        values[f"storage_name.{index}"] = descr
        if fullest is None or pct > fullest[0]:
            fullest = (pct, descr)
    if fullest is not None:
        values["storage_max_used_pct"], values["storage_max_name"] = fullest
    return values


def _indexes(raw: Raw) -> list[str]:
    return [i for i in raw.column("storage_type") if _int(raw.column("storage_size").get(i))]


def _storage(raw: Raw) -> list[tuple[str, str, int, int]]:
    """(type OID, description, size in bytes, used in bytes) per storage row with a size."""
    out = []
    for index in _indexes(raw):
        unit = _int(raw.column("storage_units").get(index)) or 1
        size = (_int(raw.column("storage_size").get(index)) or 0) * unit
        used = (_int(raw.column("storage_used").get(index)) or 0) * unit
        kind = str(raw.column("storage_type").get(index, ""))
        descr = str(raw.column("storage_descr").get(index, index))
        out.append((kind, descr, size, used))
    return out


def _pct(part: int, whole: int) -> float:
    return round(part * 100.0 / whole, 1)


def _int(value: Plain | None) -> int | None:
    return value if isinstance(value, int) else None


TABLE = Table(
    name="host",
    mib="HOST-RESOURCES-MIB",
    derive=derive,
    scalars=(metric("processes", "1.3.6.1.2.1.25.1.6.0"),),
    columns=(
        metric("cpu_load", "1.3.6.1.2.1.25.3.3.1.2", "%"),
        metric("storage_type", f"{STORAGE_ENTRY}.2", transform=oid_text),
        metric("storage_descr", f"{STORAGE_ENTRY}.3", transform=text),
        metric("storage_units", f"{STORAGE_ENTRY}.4", "bytes"),
        metric("storage_size", f"{STORAGE_ENTRY}.5", "units"),
        metric("storage_used", f"{STORAGE_ENTRY}.6", "units"),
    ),
)
