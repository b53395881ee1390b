"""The power devices' MIBs (pure): the UPS's UPS-MIB (RFC 1628) and the PDU's PowerNet-MIB
rPDU tables, with a battery that drains while the UPS is `on-battery`.

The battery runs the site for `RUNTIME_FULL_MIN` minutes from full at its load; charge falls
linearly on battery and climbs back `RECHARGE_RATIO` times slower on mains, as a lead-acid
pack does. Low battery (upsBatteryStatus 3) is `LOW_BATTERY_MIN` minutes left, the
management card's default.
"""

from __future__ import annotations

from dataclasses import dataclass

from sitekeeper.lab.mib_core import DeviceState, Mib, Row, serial, text
from sitekeeper.lab.plan import DevicePlan
from sitekeeper.protocols.snmp.values import Counter32, Gauge32, Oid, VarBind

UPS_MIB = (1, 3, 6, 1, 2, 1, 33)
UPS_OBJECTS = (*UPS_MIB, 1)
UPS_TRAP_ON_BATTERY = (*UPS_MIB, 2, 0, 1)
UPS_TRAP_ALARM_REMOVED = (*UPS_MIB, 2, 0, 4)
UPS_ALARM_ON_BATTERY = (*UPS_OBJECTS, 6, 3, 2)  # well-known alarm OIDs (upsWellKnownAlarms)
UPS_ALARM_LOW_BATTERY = (*UPS_OBJECTS, 6, 3, 3)
UPS_OUTPUT_SOURCE_0 = (*UPS_OBJECTS, 4, 1, 0)
UPS_SECONDS_ON_BATTERY_0 = (*UPS_OBJECTS, 2, 2, 0)
UPS_MINUTES_REMAINING_0 = (*UPS_OBJECTS, 2, 3, 0)
UPS_CHARGE_REMAINING_0 = (*UPS_OBJECTS, 2, 4, 0)
UPS_LOW_BATT_TIME_0 = (*UPS_OBJECTS, 9, 7, 0)
RPDU = (1, 3, 6, 1, 4, 1, 318, 1, 1, 12)

RUNTIME_FULL_MIN = 47.0
RECHARGE_RATIO = 10.0
LOW_BATTERY_MIN = 2
LOAD_PCT = 38
RATED_VA, RATED_W = 3000, 2700
MAINS_V, MAINS_DECIHZ = 230, 500  # the lab's site is in Australia: 230 V, 50.0 Hz
PDU_OUTLETS = 16

# upsBatteryStatus and upsOutputSource values (RFC 1628)
BATTERY_NORMAL, BATTERY_LOW, BATTERY_DEPLETED = 2, 3, 4
OUTPUT_NORMAL, OUTPUT_BATTERY = 3, 5


@dataclass(frozen=True, slots=True)
class Battery:
    charge_pct: int
    minutes_left: int
    seconds_on_battery: int
    status: int
    on_battery: bool


def battery(state: DeviceState) -> Battery:
    """The battery as it stands after the outages since boot."""
    seen = state.seen("on-battery")
    drain_per_s = 100.0 / (RUNTIME_FULL_MIN * 60.0)
    deficit = 0.0
    on = False
    seconds = 0
    if seen is not None:
        on = seen.on
        deficit = seen.on_total_s * drain_per_s
        if not on and seen.changed_ago_s is not None:
            deficit -= seen.changed_ago_s * drain_per_s / RECHARGE_RATIO
        seconds = int(seen.on_for_s) if on else 0
    charge = min(max(100.0 - deficit, 0.0), 100.0)
    minutes = round(RUNTIME_FULL_MIN * charge / 100.0)
    status = BATTERY_NORMAL
    if on and minutes <= LOW_BATTERY_MIN:
        status = BATTERY_DEPLETED if charge <= 0 else BATTERY_LOW
    return Battery(round(charge), minutes, seconds, status, on)


def ups(mib: Mib, plan: DevicePlan, state: DeviceState) -> None:
    """UPS-MIB upsObjects: ident, battery, input, output, alarms, config."""
    b = battery(state)
    o = UPS_OBJECTS
    attached = ", ".join(device_id for device_id, _ in state.downstream)
    mib.scalar((*o, 1, 1), text(plan.vendor))
    mib.scalar((*o, 1, 2), text(plan.model.split(" (", 1)[0]))
    mib.scalar((*o, 1, 3), text("UPS 15.5 (ID1026)"))
    mib.scalar((*o, 1, 4), text(plan.firmware))
    mib.scalar((*o, 1, 5), text(plan.name))
    mib.scalar((*o, 1, 6), text(attached))
    mib.scalar((*o, 2, 1), b.status)
    mib.scalar((*o, 2, 2), b.seconds_on_battery)
    mib.scalar((*o, 2, 3), b.minutes_left)
    mib.scalar((*o, 2, 4), b.charge_pct)
    mib.scalar((*o, 2, 5), 960 + b.charge_pct * 12 // 10)  # 0.1 V DC: a 96 V string
    mib.scalar((*o, 2, 7), 27)  # degrees C
    seen = state.seen("on-battery")
    mib.scalar((*o, 3, 1), Counter32(seen.times if seen is not None else 0))  # upsInputLineBads
    mib.scalar((*o, 3, 2), 1)  # upsInputNumLines
    volts, hertz = (0, 0) if b.on_battery else (MAINS_V, MAINS_DECIHZ)
    mib.table((*o, 3, 3, 1), [((1,), {1: 1, 2: hertz, 3: volts, 4: 0 if b.on_battery else 46})])
    watts = RATED_W * LOAD_PCT // 100
    mib.scalar((*o, 4, 1), OUTPUT_BATTERY if b.on_battery else OUTPUT_NORMAL)
    mib.scalar((*o, 4, 2), MAINS_DECIHZ)
    mib.scalar((*o, 4, 3), 1)  # upsOutputNumLines
    row = {1: 1, 2: MAINS_V, 3: watts * 10 // MAINS_V, 4: watts, 5: LOAD_PCT}
    mib.table((*o, 4, 4, 1), [((1,), row)])
    alarms: list[Oid] = []
    if b.on_battery:
        alarms.append(UPS_ALARM_ON_BATTERY)
        if b.status != BATTERY_NORMAL:
            alarms.append(UPS_ALARM_LOW_BATTERY)
    mib.scalar((*o, 6, 1), Gauge32(len(alarms)))
    since = state.uptime_at(seen)
    rows: list[Row] = [((n,), {1: n, 2: alarm, 3: since}) for n, alarm in enumerate(alarms, 1)]
    mib.table((*o, 6, 2, 1), rows)
    mib.scalar((*o, 9, 1), MAINS_V)
    mib.scalar((*o, 9, 2), MAINS_DECIHZ)
    mib.scalar((*o, 9, 3), MAINS_V)
    mib.scalar((*o, 9, 4), MAINS_DECIHZ)
    mib.scalar((*o, 9, 5), RATED_VA)
    mib.scalar((*o, 9, 6), RATED_W)
    mib.scalar((*o, 9, 7), LOW_BATTERY_MIN)


def ups_notification(state: DeviceState, on: bool) -> tuple[Oid, list[VarBind]]:
    """upsTrapOnBattery when mains is lost; upsTrapAlarmEntryRemoved (the on-battery alarm)
    when it returns."""
    b = battery(state)
    if on:
        return UPS_TRAP_ON_BATTERY, [
            (UPS_MINUTES_REMAINING_0, b.minutes_left),
            (UPS_SECONDS_ON_BATTERY_0, b.seconds_on_battery),
            (UPS_LOW_BATT_TIME_0, LOW_BATTERY_MIN),
        ]
    return UPS_TRAP_ALARM_REMOVED, [
        ((*UPS_OBJECTS, 6, 2, 1, 1, 1), 1),
        ((*UPS_OBJECTS, 6, 2, 1, 2, 1), UPS_ALARM_ON_BATTERY),
    ]


def pdu(mib: Mib, plan: DevicePlan, state: DeviceState) -> None:
    """PowerNet-MIB rPDU: ident, the bank's load (0.1 A), every outlet's name and state."""
    mib.scalar((*RPDU, 1, 1), text(plan.name))
    mib.scalar((*RPDU, 1, 2), text("v2.2"))
    mib.scalar((*RPDU, 1, 3), text(f"v{plan.firmware}"))
    mib.scalar((*RPDU, 1, 5), text(plan.model.split()[0]))
    mib.scalar((*RPDU, 1, 6), text(serial(plan)))
    fed = [device_id for device_id, _ in state.downstream]  # outlet names are short labels
    load = 8 + 11 * len(fed)  # tenths of an amp: an idle bank plus what it feeds
    mib.table((*RPDU, 2, 3, 1, 1), [((1,), {1: 1, 2: Gauge32(load), 3: 1, 4: 1})])
    rows: list[Row] = []
    for n in range(1, PDU_OUTLETS + 1):
        name = fed[n - 1] if n <= len(fed) else f"Outlet {n}"
        rows.append(((n,), {1: n, 2: text(name), 3: 1, 4: 1}))  # phase 1, outletStatusOn(1)
    mib.table((*RPDU, 3, 5, 1, 1), rows)
