"""What a simulated device shows over SNMP: a MIB view per device kind, computed at request
time from the device's plan, how long it has been up, and its conditions (pure: no sockets,
no clock - the agent passes the times in).

Every SNMP device has the SNMPv2-MIB system group. On top of it:

    ups     UPS-MIB (RFC 1628): ident, battery, input, output, alarms, config
    pdu     PowerNet-MIB rPDU: ident, load, outlet names and states
    switch  IF-MIB (RFC 2863): ifTable and ifXTable, 24 ports and the uplinks
    printer Printer-MIB (RFC 3805) prtMarkerSuppliesTable; HOST-RESOURCES-MIB hrDevice and
            hrPrinter
    nas     SYNOLOGY-SYSTEM-MIB: status, model, DSM version

Conditions change what the views say: `on-battery` switches the UPS's output to battery
(seconds on battery grow, charge and minutes remaining fall), `port-down:N` takes a switch
port's ifOperStatus down (its admin status stays up, its counters stop). Adding a kind is a
function (here, or in lab.mib_power / lab.mib_switch) and one `VIEWS` line.
"""

from __future__ import annotations

from sitekeeper.inventory.kinds import DeviceKind
from sitekeeper.lab.mib_core import DeviceState, Mib, Row, View, ViewFn, serial, text
from sitekeeper.lab.mib_power import pdu, ups, ups_notification
from sitekeeper.lab.mib_switch import link_notification, switch
from sitekeeper.lab.plan import DevicePlan
from sitekeeper.protocols.snmp.values import Oid, Value, VarBind

SYSTEM = (1, 3, 6, 1, 2, 1, 1)
SYS_UPTIME_0 = (*SYSTEM, 3, 0)
NET_SNMP_LINUX = (1, 3, 6, 1, 4, 1, 8072, 3, 2, 10)  # what Linux-based gear reports

# sysObjectID: each vendor's IANA enterprise number, with the product arcs their MIBs use.
SYS_OBJECT_IDS: dict[tuple[str, DeviceKind | None], Oid] = {
    ("apc", DeviceKind.UPS): (1, 3, 6, 1, 4, 1, 318, 1, 3, 27),
    ("apc", DeviceKind.PDU): (1, 3, 6, 1, 4, 1, 318, 1, 3, 4, 6),
    ("cisco", None): (1, 3, 6, 1, 4, 1, 9, 6, 1, 95, 24, 5),
    ("ubiquiti", DeviceKind.SWITCH): (1, 3, 6, 1, 4, 1, 4413),  # UniFi switches: Broadcom
    ("brother", None): (1, 3, 6, 1, 4, 1, 2435, 2, 3, 9, 1),
}


def _firmware_number(firmware: str) -> str:
    """ "NMC 2.5.0.6" -> "2.5.0.6": the version without the product's word in front."""
    return firmware.split()[-1] if firmware.split() else firmware


def sys_descr(plan: DevicePlan) -> str:
    """sysDescr worded the way each product line words it."""
    vendor = plan.vendor.lower()
    fw = plan.firmware
    short_model = plan.model.split(" (", 1)[0]
    if vendor == "apc":
        card = "rpdu2g" if plan.kind == DeviceKind.PDU else "sumx"
        part = plan.model.split()[0] if plan.kind == DeviceKind.PDU else "AP9641"
        n = _firmware_number(fw)
        return (
            f"APC Web/SNMP Management Card (MB:v4.1.0 PF:v{n} PN:apc_hw21_aos_{n}.bin "
            f"AF1:v{n} AN1:apc_hw21_{card}_{n}.bin MN:{part} HR:B SN: {serial(plan)} "
            "MD:09/14/2021)"
        )
    if vendor == "cisco":
        return (
            f"{short_model} 24-Port Gigabit PoE Managed Switch"  # no firmware, as on the real one
        )
    if vendor == "ubiquiti":
        return f"{short_model}, {fw}.15116, Linux 3.6.5"
    if vendor == "brother":
        return f"Brother NC-9000h, Firmware Ver.{_firmware_number(fw)}  ,MID 8CE-K09,FID 2"
    if vendor == "synology":
        build = fw.split("-", 1)[1].split()[0] if "-" in fw else "0"
        host = short_model.replace("+", "plus")
        return f"Linux {host} 4.4.302+ #{build} SMP x86_64"
    return f"{plan.vendor} {short_model}, firmware {fw}"


def sys_object_id(plan: DevicePlan) -> Oid:
    vendor = plan.vendor.lower()
    found = SYS_OBJECT_IDS.get((vendor, plan.kind)) or SYS_OBJECT_IDS.get((vendor, None))
    return found or NET_SNMP_LINUX


def system_group(mib: Mib, plan: DevicePlan, state: DeviceState) -> None:
    """SNMPv2-MIB system group (RFC 3418 §2)."""
    rack = next((t for t in plan.tags if t.startswith("rack-")), None)
    where = ", ".join(x for x in (state.location, _rack(rack)) if x)
    services = 2 if plan.kind == DeviceKind.SWITCH else 72  # datalink; or application+transport
    mib.scalar((*SYSTEM, 1), text(sys_descr(plan)))
    mib.scalar((*SYSTEM, 2), sys_object_id(plan))
    mib.scalar((*SYSTEM, 3), state.ticks(state.uptime_s))
    mib.scalar((*SYSTEM, 4), text(state.contact))
    mib.scalar((*SYSTEM, 5), text(plan.id))
    mib.scalar((*SYSTEM, 6), text(where))
    mib.scalar((*SYSTEM, 7), services)


def _rack(tag: str | None) -> str:
    return f"rack {tag.removeprefix('rack-').upper()}" if tag else ""


PRT_SUPPLIES_ENTRY = (1, 3, 6, 1, 2, 1, 43, 11, 1, 1)
HR_DEVICE_ENTRY = (1, 3, 6, 1, 2, 1, 25, 3, 2, 1)
HR_PRINTER_ENTRY = (1, 3, 6, 1, 2, 1, 25, 3, 5, 1)
HR_DEVICE_PRINTER = (1, 3, 6, 1, 2, 1, 25, 3, 1, 5)
SYNO_SYSTEM = (1, 3, 6, 1, 4, 1, 6574, 1)

# (description, prtMarkerSuppliesType, class, max capacity, level, colorant): toners are
# consumed (class 3) and counted in percent; the waste box fills (class 4) and, like Brother
# models, says only "some room left" (-3) of an unknown capacity (-2).
SUPPLIES: tuple[tuple[str, int, int, int, int, int], ...] = (
    ("Black Toner Cartridge", 3, 3, 100, 62, 1),
    ("Cyan Toner Cartridge", 3, 3, 100, 41, 2),
    ("Magenta Toner Cartridge", 3, 3, 100, 27, 3),
    ("Yellow Toner Cartridge", 3, 3, 100, 73, 4),
    ("Drum Unit", 9, 3, 100, 58, 0),
    ("Belt Unit", 20, 3, 100, 80, 0),
    ("Waste Toner Box", 4, 4, -2, -3, 0),
)
PERCENT = 19  # prtMarkerSuppliesSupplyUnit percent(19)
LOW_SUPPLY_PCT = 10


def printer(mib: Mib, plan: DevicePlan, state: DeviceState) -> None:
    """Printer-MIB supplies, and the printer in HOST-RESOURCES-MIB's device tables."""
    rows: list[Row] = []
    for n, (descr, kind, klass, capacity, level, colorant) in enumerate(SUPPLIES, 1):
        cells: dict[int, Value] = {2: 1, 3: colorant, 4: klass, 5: kind, 6: text(descr), 7: PERCENT}
        rows.append(((1, n), cells | {8: capacity, 9: level}))
    mib.table(PRT_SUPPLIES_ENTRY, rows)
    low = any(0 <= s[4] < LOW_SUPPLY_PCT for s in SUPPLIES if s[2] == 3)
    descr = f"{plan.vendor} {plan.model} series"
    mib.table(HR_DEVICE_ENTRY, [((1,), {1: 1, 2: HR_DEVICE_PRINTER, 3: text(descr), 4: (0, 0)})])
    mib.column((*HR_DEVICE_ENTRY, 5), [((1,), 3 if low else 2)])  # warning(3) / running(2)
    # hrPrinterStatus idle(3); hrPrinterDetectedErrorState bit 1 is lowToner (RFC 2790)
    mib.table(HR_PRINTER_ENTRY, [((1,), {1: 3, 2: b"\x40" if low else b"\x00"})])


def nas(mib: Mib, plan: DevicePlan, state: DeviceState) -> None:
    """SYNOLOGY-SYSTEM-MIB: normal status, temperature, fans, model and DSM version."""
    mib.scalar((*SYNO_SYSTEM, 1), 1)  # systemStatus normal(1)
    mib.scalar((*SYNO_SYSTEM, 2), 41)  # temperature, degrees C
    mib.scalar((*SYNO_SYSTEM, 3), 1)  # powerStatus normal(1)
    mib.scalar((*SYNO_SYSTEM, 4, 1), 1)  # systemFanStatus normal(1)
    mib.scalar((*SYNO_SYSTEM, 4, 2), 1)  # cpuFanStatus normal(1)
    mib.scalar((*SYNO_SYSTEM, 5, 1), text(plan.model))
    mib.scalar((*SYNO_SYSTEM, 5, 2), text(serial(plan)))
    mib.scalar((*SYNO_SYSTEM, 5, 3), text(plan.firmware))
    mib.scalar((*SYNO_SYSTEM, 5, 4), 2)  # upgradeAvailable: unavailable(2)


VIEWS: dict[DeviceKind, ViewFn] = {
    DeviceKind.UPS: ups,
    DeviceKind.PDU: pdu,
    DeviceKind.SWITCH: switch,
    DeviceKind.PRINTER: printer,
    DeviceKind.NAS: nas,
}


def view(plan: DevicePlan, state: DeviceState) -> View:
    """The device's whole MIB as it stands now."""
    mib = Mib()
    system_group(mib, plan, state)
    kind_view = VIEWS.get(plan.kind)
    if kind_view is not None:
        kind_view(mib, plan, state)
    return mib.freeze()


def notification(
    plan: DevicePlan, state: DeviceState, key: str, on: bool
) -> tuple[Oid, list[VarBind]] | None:
    """The trap (snmpTrapOID, varbinds) a device sends when condition `key` (`on-battery`,
    `port-down:7`) turns on or off; None when it sends none."""
    name, _, arg = key.partition(":")
    if name == "on-battery" and plan.kind == DeviceKind.UPS:
        return ups_notification(state, on)
    if name == "port-down" and plan.kind == DeviceKind.SWITCH and arg.isdigit():
        return link_notification(plan, state, int(arg), down=on)
    return None
