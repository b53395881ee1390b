"""What bench/snmp.py asks for, the same for both pollers: the 10 objects of the GET, the
tables of the walk, and snmp_exporter's snmp.yml for them."""

from __future__ import annotations

from typing import Any

SYSTEM = "1.3.6.1.2.1.1"
IF_TABLE = "1.3.6.1.2.1.2.2"
IF_X_TABLE = "1.3.6.1.2.1.31.1.1"
# (name, OID of the object, instance, exporter type): scalars of SNMPv2-MIB, IF-MIB and
# HOST-RESOURCES-MIB, and two columns of interface 1.
GET_OBJECTS = (
    ("sysDescr", f"{SYSTEM}.1", "0", "DisplayString"),
    ("sysObjectID", f"{SYSTEM}.2", "0", "DisplayString"),
    ("sysUpTime", f"{SYSTEM}.3", "0", "gauge"),
    ("sysContact", f"{SYSTEM}.4", "0", "DisplayString"),
    ("sysName", f"{SYSTEM}.5", "0", "DisplayString"),
    ("sysLocation", f"{SYSTEM}.6", "0", "DisplayString"),
    ("ifNumber", "1.3.6.1.2.1.2.1", "0", "gauge"),
    ("ifOperStatus", f"{IF_TABLE}.1.8", "1", "gauge"),
    ("ifInOctets", f"{IF_TABLE}.1.10", "1", "counter"),
    ("hrSystemUptime", "1.3.6.1.2.1.25.1.1", "0", "gauge"),
)
GET_OIDS = tuple(f"{oid}.{instance}" for _, oid, instance, _ in GET_OBJECTS)
WALK_ROOTS = (IF_TABLE, IF_X_TABLE)
MAX_REPETITIONS = 25
IF_COLUMNS = {  # ifEntry: column -> (name, exporter type)
    1: ("ifIndex", "gauge"), 2: ("ifDescr", "DisplayString"), 3: ("ifType", "gauge"),
    4: ("ifMtu", "gauge"), 5: ("ifSpeed", "gauge"), 6: ("ifPhysAddress", "PhysAddress48"),
    7: ("ifAdminStatus", "gauge"), 8: ("ifOperStatus", "gauge"), 9: ("ifLastChange", "gauge"),
    10: ("ifInOctets", "counter"), 11: ("ifInUcastPkts", "counter"),
    12: ("ifInNUcastPkts", "counter"), 13: ("ifInDiscards", "counter"),
    14: ("ifInErrors", "counter"), 15: ("ifInUnknownProtos", "counter"),
    16: ("ifOutOctets", "counter"), 17: ("ifOutUcastPkts", "counter"),
    18: ("ifOutNUcastPkts", "counter"), 19: ("ifOutDiscards", "counter"),
    20: ("ifOutErrors", "counter"), 21: ("ifOutQLen", "gauge"),
    22: ("ifSpecific", "DisplayString"),
}  # fmt: skip
IF_X_COLUMNS = {  # ifXEntry
    1: ("ifName", "DisplayString"), 2: ("ifInMulticastPkts", "counter"),
    3: ("ifInBroadcastPkts", "counter"), 4: ("ifOutMulticastPkts", "counter"),
    5: ("ifOutBroadcastPkts", "counter"), 6: ("ifHCInOctets", "counter"),
    7: ("ifHCInUcastPkts", "counter"), 8: ("ifHCInMulticastPkts", "counter"),
    9: ("ifHCInBroadcastPkts", "counter"), 10: ("ifHCOutOctets", "counter"),
    11: ("ifHCOutUcastPkts", "counter"), 12: ("ifHCOutMulticastPkts", "counter"),
    13: ("ifHCOutBroadcastPkts", "counter"), 14: ("ifLinkUpDownTrapEnable", "gauge"),
    15: ("ifHighSpeed", "gauge"), 16: ("ifPromiscuousMode", "gauge"),
    17: ("ifConnectorPresent", "gauge"), 18: ("ifAlias", "DisplayString"),
    19: ("ifCounterDiscontinuityTime", "gauge"),
}  # fmt: skip
TIMEOUT_S = 2.0
RETRIES = 1
LOSS_IN_FLIGHT = 1000


def exporter_modules() -> dict[str, Any]:
    """snmp.yml written by hand (the generator needs MIB files): a metric per object, so the
    exporter converts every value it fetched, as it would in production."""
    by_index = [{"labelname": "ifIndex", "type": "gauge"}]
    common = {
        "version": 2,
        "auth": {"community": "public"},
        "timeout": f"{TIMEOUT_S:g}s",
        "retries": RETRIES,
        "max_repetitions": MAX_REPETITIONS,
    }
    get_metrics = [
        {"name": name, "oid": oid, "type": typ, "help": name}
        | ({"indexes": by_index} if instance != "0" else {})
        for name, oid, instance, typ in GET_OBJECTS
    ]
    walk_metrics = [
        {"name": name, "oid": f"{table}.1.{column}", "type": typ, "help": name, "indexes": by_index}
        for table, columns in ((IF_TABLE, IF_COLUMNS), (IF_X_TABLE, IF_X_COLUMNS))
        for column, (name, typ) in columns.items()
    ]
    return {
        "get10": common | {"get": list(GET_OIDS), "metrics": get_metrics},
        "ifwalk": common | {"walk": list(WALK_ROOTS), "metrics": walk_metrics},
    }
