"""Declarative SNMP metric tables for the `snmp` check: one module per MIB, each a list of
`(key, oid, unit, transform)` rows and a pure `derive` from what the agent returned to the
Observation's values. No I/O here: `sitekeeper.probes.snmp` reads, these tables interpret.

    system         SNMPv2-MIB: sys_name, vendor/model/firmware (from sysDescr), uptime_s, rebooted
    interfaces     IF-MIB: per port status, bit/s, utilisation, errors and discards per second
    host           HOST-RESOURCES-MIB: cpu_load_pct, memory_used_pct, storage_used_pct
    ups            UPS-MIB: on_battery, battery_status, charge_pct, runtime_min, load_pct
    printer        Printer-MIB: supply_pct per supply, supply_min_pct, supply_low
    entity_sensor  ENTITY-SENSOR-MIB: temp_max_c, sensors_failed (skipped when absent)
"""

from __future__ import annotations

from sitekeeper.checks.snmp.model import Metric, Prior, Raw, Table, extract
from sitekeeper.checks.snmp.reading import TABLES, Previous, Reading, read

__all__ = ["TABLES", "Metric", "Previous", "Prior", "Raw", "Reading", "Table", "extract", "read"]
