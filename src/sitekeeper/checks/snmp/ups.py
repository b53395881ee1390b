"""UPS-MIB (RFC 1628): on battery or mains, battery state, charge, runtime and load.

`on_battery` is 1 when upsOutputSource is battery(5): what the load runs on now, which is
what matters; upsSecondsOnBattery says for how long.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sitekeeper.checks.snmp.model import Prior, Raw, Table, metric, scaled, text
from sitekeeper.observation import Value

if TYPE_CHECKING:
    from sitekeeper.checks.specs_snmp import SnmpCheck

UPS = "1.3.6.1.2.1.33.1"
OUTPUT_BATTERY = 5
BATTERY_WORDS = {1: "unknown", 2: "normal", 3: "low", 4: "depleted"}
LOW_STATES = (3, 4)
SOURCE_WORDS = {
    1: "other",
    2: "none",
    3: "normal",
    4: "bypass",
    5: "battery",
    6: "booster",
    7: "reducer",
}
PLAIN = (
    "charge_pct",
    "runtime_min",
    "seconds_on_battery",
    "battery_voltage_v",
    "battery_temp_c",
    "input_line_bads",
    "alarms",
)


def derive(raw: Raw, prior: Prior | None, spec: SnmpCheck) -> dict[str, Value]:
    s = raw.scalars
    values: dict[str, Value] = {}
    for key in ("manufacturer", "ups_model", "ups_firmware"):
        if s.get(key):
            values[key] = s[key]
    source = s.get("output_source")
    if isinstance(source, int):
        values["on_battery"] = int(source == OUTPUT_BATTERY)
        values["output_source"] = SOURCE_WORDS.get(source, str(source))
    status = s.get("battery_status")
    if isinstance(status, int):
        values["battery_status"] = BATTERY_WORDS.get(status, str(status))
        values["battery_low"] = int(status in LOW_STATES)
    for key in PLAIN:
        if key in s:
            values[key] = s[key]
    loads = [v for v in raw.column("load_pct").values() if isinstance(v, int)]
    if loads:
        values["load_pct"] = max(loads)  # the busiest output line
    volts = [v for v in raw.column("input_voltage_v").values() if isinstance(v, int)]
    if volts:
        values["input_voltage_v"] = min(volts)
    return values


TABLE = Table(
    name="ups",
    mib="UPS-MIB (RFC 1628)",
    derive=derive,
    scalars=(
        metric("manufacturer", f"{UPS}.1.1.0", transform=text),
        metric("ups_model", f"{UPS}.1.2.0", transform=text),
        metric("ups_firmware", f"{UPS}.1.3.0", transform=text),
        metric("battery_status", f"{UPS}.2.1.0"),
        metric("seconds_on_battery", f"{UPS}.2.2.0", "s"),
        metric("runtime_min", f"{UPS}.2.3.0", "min"),
        metric("charge_pct", f"{UPS}.2.4.0", "%"),
        metric("battery_voltage_v", f"{UPS}.2.5.0", "V", scaled(0.1)),
        metric("battery_temp_c", f"{UPS}.2.7.0", "°C"),
        metric("input_line_bads", f"{UPS}.3.1.0"),
        metric("output_source", f"{UPS}.4.1.0"),
        metric("alarms", f"{UPS}.6.1.0"),
    ),
    columns=(
        metric("input_voltage_v", f"{UPS}.3.3.1.3", "V"),
        metric("load_pct", f"{UPS}.4.4.1.5", "%"),
    ),
)
