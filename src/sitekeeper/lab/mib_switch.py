"""A switch's IF-MIB (RFC 2863), pure: ifNumber, ifTable and ifXTable for its access ports
and uplinks, named the way each vendor names them.

ifIndex N is front-panel port N, so `port-down 7` is ifOperStatus.7. The first access ports
carry the devices the switch feeds (their id is the port's ifAlias); uplink 1 goes to the
switch's parent; empty uplink cages are down. Traffic counters grow at a steady per-port
rate from boot, and stand still while a port is down.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

from sitekeeper.lab.mib_core import DeviceState, Mib, Row, text
from sitekeeper.lab.plan import DevicePlan
from sitekeeper.protocols.snmp.values import Counter32, Counter64, Gauge32, Oid, VarBind

INTERFACES = (1, 3, 6, 1, 2, 1, 2)
IF_ENTRY = (*INTERFACES, 2, 1)
IFX_ENTRY = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)
SNMP_TRAPS = (1, 3, 6, 1, 6, 3, 1, 1, 5)
LINK_DOWN = (*SNMP_TRAPS, 3)
LINK_UP = (*SNMP_TRAPS, 4)
ETHERNET_CSMACD = 6
UP, DOWN = 1, 2
MAX_GAUGE = (1 << 32) - 1
PACKET_OCTETS = 700  # an average frame, to turn octets into packets


@dataclass(frozen=True, slots=True)
class Port:
    index: int
    name: str  # ifName
    descr: str  # ifDescr
    speed_mbps: int
    alias: str
    connected: bool
    uplink: bool


def ports(plan: DevicePlan, state: DeviceState) -> list[Port]:
    """The switch's front panel: access ports, then uplinks."""
    access = next((int(n) for n in re.findall(r"\d+", plan.model) if int(n) in (8, 16, 24, 48)), 24)
    if "-4G" in plan.model:
        uplinks, uplink_speed = 4, 1000
    elif "Pro" in plan.model:
        uplinks, uplink_speed = 2, 10_000
    else:
        uplinks, uplink_speed = 2, 1000
    fed = [device_id for device_id, _ in state.downstream]
    parent = plan.depends_on[0] if plan.depends_on else ""
    out: list[Port] = []
    for n in range(1, access + uplinks + 1):
        uplink = n > access
        speed = uplink_speed if uplink else 1000
        name, descr = _names(plan.vendor.lower(), n, speed, uplink)
        if uplink:
            first = n == access + 1
            alias = f"Uplink to {parent}" if first and parent else ""
            out.append(Port(n, name, descr, speed, alias, first, True))
        else:
            alias = fed[n - 1] if n <= len(fed) else ""
            out.append(Port(n, name, descr, speed, alias, True, False))
    return out


def _names(vendor: str, n: int, speed: int, uplink: bool) -> tuple[str, str]:
    if vendor == "cisco":
        return f"gi1/0/{n}", f"GigabitEthernet1/0/{n}"
    if vendor == "ubiquiti":
        return f"0/{n}", f"Slot: 0 Port: {n} {'10G' if speed >= 10_000 else 'Gigabit'} - Level"
    return f"port{n}", f"{'SFP' if uplink else 'Port'} {n}"


def switch(mib: Mib, plan: DevicePlan, state: DeviceState) -> None:
    panel = ports(plan, state)
    mib.scalar((*INTERFACES, 1), len(panel))
    base_mac = zlib.crc32(plan.id.encode()).to_bytes(4, "big")
    if_rows: list[Row] = []
    ifx_rows: list[Row] = []
    for port in panel:
        seen = state.seen(f"port-down:{port.index}")
        down_s = seen.on_total_s if seen is not None else 0.0
        up = port.connected and not (seen is not None and seen.on)
        active_s = max(state.uptime_s - down_s, 0.0) if port.connected else 0.0
        rate_in, rate_out = _rates(plan.id, port, len(state.downstream))
        octets_in, octets_out = int(rate_in * active_s), int(rate_out * active_s)
        noisy = zlib.crc32(f"{plan.id}/{port.index}/err".encode()) % 11 == 0
        if_rows.append(
            (
                (port.index,),
                {
                    1: port.index,
                    2: text(port.descr),
                    3: ETHERNET_CSMACD,
                    4: 1500,
                    5: Gauge32(min(port.speed_mbps * 1_000_000, MAX_GAUGE)),
                    6: b"\x02" + base_mac + bytes((port.index,)),
                    7: UP,
                    8: UP if up else DOWN,
                    9: state.uptime_at(seen),
                    10: Counter32(octets_in % (1 << 32)),
                    11: Counter32(octets_in // PACKET_OCTETS % (1 << 32)),
                    13: Counter32(int(active_s) // 600 if port.uplink else 0),
                    14: Counter32(int(active_s) // 900 if noisy else 0),
                    16: Counter32(octets_out % (1 << 32)),
                    17: Counter32(octets_out // PACKET_OCTETS % (1 << 32)),
                    19: Counter32(0),
                    20: Counter32(0),
                },
            )
        )
        ifx_rows.append(
            (
                (port.index,),
                {
                    1: text(port.name),
                    6: Counter64(octets_in),
                    7: Counter64(octets_in // PACKET_OCTETS),
                    10: Counter64(octets_out),
                    11: Counter64(octets_out // PACKET_OCTETS),
                    15: Gauge32(port.speed_mbps),
                    16: 2,  # ifPromiscuousMode false
                    17: 1 if port.connected else 2,  # ifConnectorPresent
                    18: text(port.alias),
                    19: state.ticks(0),  # ifCounterDiscontinuityTime: counters began at boot
                },
            )
        )
    mib.table(IF_ENTRY, if_rows)
    mib.table(IFX_ENTRY, ifx_rows)


def _rates(device_id: str, port: Port, fed: int) -> tuple[int, int]:
    """Octets per second in and out: uplinks carry the most, ports with a device on them a
    steady stream (cameras, access points), the rest a trickle."""
    h = zlib.crc32(f"{device_id}:{port.index}".encode())
    if port.uplink:
        base = 2_500_000 if port.connected else 0
    elif port.index <= fed:
        base = 150_000 + h % 600_000
    else:
        base = 2_000 + h % 40_000
    return base, base * (3 + h % 5) // 4


def link_notification(
    plan: DevicePlan, state: DeviceState, port_index: int, down: bool
) -> tuple[Oid, list[VarBind]] | None:
    """linkDown / linkUp (RFC 2863 §6) with ifIndex, ifAdminStatus and ifOperStatus."""
    if not any(p.index == port_index for p in ports(plan, state)):
        return None
    return LINK_DOWN if down else LINK_UP, [
        ((*IF_ENTRY, 1, port_index), port_index),
        ((*IF_ENTRY, 7, port_index), UP),
        ((*IF_ENTRY, 8, port_index), DOWN if down else UP),
    ]
