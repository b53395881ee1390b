"""ENTITY-SENSOR-MIB (RFC 3433): temperatures, fans, voltages — where the agent has them.

A reading is entPhySensorValue x 10^(3 x (scale - 9)) / 10^precision. Devices list dozens of
sensors (one per transceiver on a Cisco switch), so the table reports what a technician
looks for first: the hottest temperature, and the sensors that do not work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sitekeeper.checks.snmp.model import Plain, Prior, Raw, Table, metric, text
from sitekeeper.observation import Value

if TYPE_CHECKING:
    from sitekeeper.checks.specs_snmp import SnmpCheck

SENSOR_ENTRY = "1.3.6.1.2.1.99.1.1.1"
ENT_PHYSICAL_NAME = "1.3.6.1.2.1.47.1.1.1.1.7"
CELSIUS, RPM = 8, 10
UNITS = 9  # entPhySensorScale units(9): 10^0
NONOPERATIONAL = 3


def reading(raw: Raw, index: str) -> float | None:
    value = _int(raw.column("value").get(index))
    if value is None:
        return None
    scale = _int(raw.column("scale").get(index)) or UNITS
    precision = _int(raw.column("precision").get(index)) or 0
    return round(value * 10.0 ** (3 * (scale - UNITS)) / 10.0**precision, 3)


def derive(raw: Raw, prior: Prior | None, spec: SnmpCheck) -> dict[str, Value]:
    values: dict[str, Value] = {}
    types = raw.column("type")
    if not types:
        return values
    values["sensors"] = len(types)
    hottest: tuple[float, str] | None = None
    broken: list[str] = []
    for index, kind in types.items():
        name = str(raw.column("name").get(index) or f"sensor {index}")
        if raw.column("status").get(index) == NONOPERATIONAL:
            broken.append(name)
            continue
        value = reading(raw, index)
        if kind == CELSIUS and value is not None and (hottest is None or value > hottest[0]):
            hottest = (value, name)
    if hottest is not None:
        values["temp_max_c"], values["temp_max_name"] = hottest
    values["sensors_failed"] = len(broken)
    values["sensors_failed_list"] = ", ".join(broken) or "none"
    return values


def _int(value: Plain | None) -> int | None:
    return value if isinstance(value, int) else None


TABLE = Table(
    name="entity_sensor",
    mib="ENTITY-SENSOR-MIB",
    derive=derive,
    optional=True,
    columns=(
        metric("type", f"{SENSOR_ENTRY}.1"),
        metric("scale", f"{SENSOR_ENTRY}.2"),
        metric("precision", f"{SENSOR_ENTRY}.3"),
        metric("value", f"{SENSOR_ENTRY}.4"),
        metric("status", f"{SENSOR_ENTRY}.5"),
        metric("name", ENT_PHYSICAL_NAME, transform=text),
    ),
)
