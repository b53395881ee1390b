"""SNMPv2-MIB system group: who the device is, and how long its agent has been up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sitekeeper.checks.snmp.counters import TICKS_PER_S
from sitekeeper.checks.snmp.model import Prior, Raw, Table, metric, oid_text, text
from sitekeeper.checks.snmp.sysdescr import identify
from sitekeeper.observation import Value

if TYPE_CHECKING:
    from sitekeeper.checks.specs_snmp import SnmpCheck

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
DESCR_LIMIT = 200  # sysDescr can be a page of text; the device page shows the start


def derive(raw: Raw, prior: Prior | None, spec: SnmpCheck) -> dict[str, Value]:
    s = raw.scalars
    values: dict[str, Value] = {}
    descr = s.get("sys_descr")
    if isinstance(descr, str) and descr:
        values["sys_descr"] = " ".join(descr.split())[:DESCR_LIMIT]
    for key in ("sys_name", "sys_location", "sys_contact", "sys_object_id"):
        if s.get(key):
            values[key] = s[key]
    who = identify(descr if isinstance(descr, str) else None, str(s.get("sys_object_id", "")))
    for key in ("vendor", "model", "firmware"):
        found = getattr(who, key)
        if found:
            values[key] = found
    ticks = s.get("uptime_ticks")
    if isinstance(ticks, int):
        values["uptime_s"] = ticks // TICKS_PER_S
        if prior is not None:
            values["rebooted"] = int(prior.restarted)
    return values


TABLE = Table(
    name="system",
    mib="SNMPv2-MIB",
    derive=derive,
    scalars=(
        metric("sys_descr", "1.3.6.1.2.1.1.1.0", transform=text),
        metric("sys_object_id", "1.3.6.1.2.1.1.2.0", transform=oid_text),
        metric("uptime_ticks", SYS_UPTIME, "cs"),
        metric("sys_contact", "1.3.6.1.2.1.1.4.0", transform=text),
        metric("sys_name", "1.3.6.1.2.1.1.5.0", transform=text),
        metric("sys_location", "1.3.6.1.2.1.1.6.0", transform=text),
    ),
)
