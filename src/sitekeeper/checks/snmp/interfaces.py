"""IF-MIB: per port status, traffic, errors and discards; which ports are down.

Ports are named by ifIndex in value names (`if_oper.7`), with `if_name.7` saying what the
device calls it. Only ports that matter are reported one by one: those administratively up,
and those the check expects up; the rest are counted. Rates need two samples: the first
sample after the collector starts, or after the agent restarted, has none (see counters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sitekeeper.checks.snmp.counters import per_second
from sitekeeper.checks.snmp.model import Plain, Prior, Raw, Table, metric, text
from sitekeeper.observation import Value

if TYPE_CHECKING:
    from sitekeeper.checks.specs_snmp import SnmpCheck

IF_ENTRY = "1.3.6.1.2.1.2.2.1"
IFX_ENTRY = "1.3.6.1.2.1.31.1.1.1"
UP, DOWN, DORMANT, LOWER_LAYER_DOWN = 1, 2, 5, 7
# ifType values that are not a port one plugs a cable into (IANAifType-MIB)
VIRTUAL_TYPES = frozenset({24, 53, 131, 135, 136, 209})  # loopback, virtual, tunnel, vlans, bridge
STATUS_WORDS = {1: "up", 2: "down", 3: "testing", 4: "unknown", 5: "dormant", 6: "notPresent", 7: "lowerLayerDown"}  # fmt: skip
RATE_KEYS = ("if_in_bps", "if_out_bps", "if_util_pct", "if_errors_ps", "if_discards_ps")
RATE_SUMMARY = ("util_max_pct", "util_max_port", "errors_max_ps", "errors_max_port")


def port_key(port: int | str) -> str:
    """The part of a value name that names a port: `7`, or `gi1_0_7` for "Gi1/0/7"."""
    return re.sub(r"[^a-z0-9]+", "_", str(port).lower()).strip("_") or "port"


def port_down_value(port: int | str) -> str:
    return f"port_{port_key(port)}_down"


@dataclass(frozen=True, slots=True)
class Port:
    index: str
    label: str
    admin: int | None
    oper: int | None
    kind: int | None

    @property
    def up(self) -> bool:
        return self.oper in (UP, DORMANT)


def ports(raw: Raw) -> dict[str, Port]:
    admin, oper, kind = raw.column("admin"), raw.column("oper"), raw.column("type")
    out = {}
    for index in sorted({*admin, *oper}, key=_index_order):
        label = raw.column("name").get(index) or raw.column("descr").get(index) or index
        out[index] = Port(index, str(label), _int(admin.get(index)), _int(oper.get(index)), _int(kind.get(index)))  # fmt: skip
    return out


def find_port(raw: Raw, found: dict[str, Port], wanted: int | str) -> Port | None:
    """An expected port by ifIndex, or by ifName / ifDescr / ifAlias (any case)."""
    if isinstance(wanted, int):
        return found.get(str(wanted))
    name = wanted.strip().lower()
    for column in ("name", "descr", "alias"):
        for index, label in raw.column(column).items():
            if str(label).lower() == name and index in found:
                return found[index]
    return None


def derive(raw: Raw, prior: Prior | None, spec: SnmpCheck) -> dict[str, Value]:
    found = ports(raw)
    values: dict[str, Value] = {}
    physical = [p for p in found.values() if p.kind not in VIRTUAL_TYPES]
    values["ports"] = len(physical)
    values["ports_up"] = sum(p.up for p in physical)
    down = [p for p in physical if p.admin == UP and p.oper in (DOWN, LOWER_LAYER_DOWN)]
    values["ports_down"] = len(down)
    values["ports_down_list"] = ", ".join(p.label for p in down) or "none"

    watched = {p.index: p for p in found.values() if p.admin == UP}
    missing: list[str] = []
    for wanted in spec.interfaces.expect_up:
        port = find_port(raw, found, wanted)
        if port is None:
            missing.append(str(wanted))
            values[port_down_value(wanted)] = 1
            continue
        watched[port.index] = port
        values[port_down_value(wanted)] = int(not port.up)
    if missing:
        values["ports_missing"] = ", ".join(missing)
    for index in sorted(watched, key=_index_order):
        port = watched[index]
        values[f"if_name.{index}"] = port.label
        if port.admin is not None:
            values[f"if_admin.{index}"] = port.admin
        if port.oper is not None:
            values[f"if_oper.{index}"] = port.oper
    if prior is not None and not prior.restarted:
        values.update(_rates(raw, prior, [p for p in watched.values() if p.up]))
    return values


def not_measured(values: dict[str, Value]) -> list[str]:
    """The rate values a threshold may name that this sample could not give: there is no
    usable previous sample yet, no port is up, or a port's counters were reset."""
    names = [key for key in RATE_SUMMARY if key not in values]
    for name in values:
        if name.startswith("if_oper.") and values[name] in (UP, DORMANT):
            index = name.removeprefix("if_oper.")
            names.extend(f"{key}.{index}" for key in RATE_KEYS if f"{key}.{index}" not in values)
    return names


def _rates(raw: Raw, prior: Prior, up: list[Port]) -> dict[str, Value]:
    values: dict[str, Value] = {}
    dt = prior.elapsed_s
    util_max: tuple[float, str] | None = None
    errors_max: tuple[float, str] | None = None
    for port in up:
        i = port.index
        bps_in = _octet_rate(raw, prior.raw, i, "in", dt)
        bps_out = _octet_rate(raw, prior.raw, i, "out", dt)
        if bps_in is not None:
            values[f"if_in_bps.{i}"] = round(bps_in, 1)
        if bps_out is not None:
            values[f"if_out_bps.{i}"] = round(bps_out, 1)
        # a loopback's or a VLAN's "speed" is made up: utilisation only for real ports
        speed = _speed_bps(raw, i) if port.kind not in VIRTUAL_TYPES else None
        busiest = max((r for r in (bps_in, bps_out) if r is not None), default=None)
        if speed and busiest is not None:
            util = round(min(busiest / speed * 100.0, 100.0), 2)
            values[f"if_util_pct.{i}"] = util
            if util_max is None or util > util_max[0]:
                util_max = (util, port.label)
        errors = _sum_rate(raw, prior.raw, i, ("in_errors", "out_errors"), dt)
        if errors is not None:
            values[f"if_errors_ps.{i}"] = round(errors, 3)
            if errors_max is None or errors > errors_max[0]:
                errors_max = (errors, port.label)
        discards = _sum_rate(raw, prior.raw, i, ("in_discards", "out_discards"), dt)
        if discards is not None:
            values[f"if_discards_ps.{i}"] = round(discards, 3)
    if util_max is not None:
        values["util_max_pct"], values["util_max_port"] = util_max
    if errors_max is not None:
        values["errors_max_ps"] = round(errors_max[0], 3)
        values["errors_max_port"] = errors_max[1]
    return values


def _octet_rate(raw: Raw, old: Raw, index: str, way: str, dt: float) -> float | None:
    """Bits per second from ifHC*Octets (64-bit) where both samples have them, else from
    the 32-bit if*Octets (SNMPv1, or agents without ifXTable)."""
    for key, bits in ((f"hc_{way}_octets", 64), (f"{way}_octets", 32)):
        now, then = _int(raw.column(key).get(index)), _int(old.column(key).get(index))
        if now is not None and then is not None:
            rate = per_second(then, now, bits, dt)
            return None if rate is None else rate * 8
    return None


def _sum_rate(raw: Raw, old: Raw, index: str, keys: tuple[str, str], dt: float) -> float | None:
    total = 0.0
    for key in keys:
        now, then = _int(raw.column(key).get(index)), _int(old.column(key).get(index))
        if now is None or then is None:
            return None
        rate = per_second(then, now, 32, dt)
        if rate is None:
            return None
        total += rate
    return total


def _speed_bps(raw: Raw, index: str) -> float | None:
    """ifHighSpeed (Mbit/s) where set, else ifSpeed (bit/s, which tops out at 4.29 Gbit/s)."""
    high = _int(raw.column("high_speed").get(index))
    if high:
        return high * 1_000_000.0
    speed = _int(raw.column("speed").get(index))
    return float(speed) if speed else None


def _int(value: Plain | None) -> int | None:
    return value if isinstance(value, int) else None


def _index_order(index: str) -> tuple[int, ...]:
    return tuple(int(part) for part in index.split(".") if part.isdigit())


TABLE = Table(
    name="interfaces",
    mib="IF-MIB",
    derive=derive,
    not_measured=not_measured,
    columns=(
        metric("descr", f"{IF_ENTRY}.2", transform=text),
        metric("type", f"{IF_ENTRY}.3"),
        metric("speed", f"{IF_ENTRY}.5", "bit/s"),
        metric("admin", f"{IF_ENTRY}.7"),
        metric("oper", f"{IF_ENTRY}.8"),
        metric("in_octets", f"{IF_ENTRY}.10", "octets"),
        metric("in_discards", f"{IF_ENTRY}.13", "packets"),
        metric("in_errors", f"{IF_ENTRY}.14", "packets"),
        metric("out_octets", f"{IF_ENTRY}.16", "octets"),
        metric("out_discards", f"{IF_ENTRY}.19", "packets"),
        metric("out_errors", f"{IF_ENTRY}.20", "packets"),
        metric("name", f"{IFX_ENTRY}.1", transform=text),
        metric("hc_in_octets", f"{IFX_ENTRY}.6", "octets"),
        metric("hc_out_octets", f"{IFX_ENTRY}.10", "octets"),
        metric("high_speed", f"{IFX_ENTRY}.15", "Mbit/s"),
        metric("alias", f"{IFX_ENTRY}.18", transform=text),
    ),
)
