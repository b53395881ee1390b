"""Vendor, model and firmware from sysDescr (and sysObjectID), for the common vendors.

sysDescr is free text, so each vendor gets one pattern written against what its devices
really say; the first that matches wins. Where sysDescr names no vendor, the enterprise
number in sysObjectID (1.3.6.1.4.1.N...) still does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Identity:
    vendor: str | None = None
    model: str | None = None
    firmware: str | None = None


def _cisco_ios(m: re.Match[str]) -> Identity:
    # "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E3, ..."
    # "Cisco IOS Software [Amsterdam], Catalyst L3 Switch Software (CAT9K_IOSXE), Version 17.3.4"
    return Identity("Cisco", m.group("model"), m.group("version"))


def _cisco_small(m: re.Match[str]) -> Identity:
    # "CBS350-24FP-4G 24-Port Gigabit PoE Managed Switch" (firmware is not in sysDescr)
    return Identity("Cisco", m.group("model"), None)


def _linux(m: re.Match[str]) -> Identity:
    # net-snmp: "Linux host 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 ... x86_64"
    return Identity("Linux", None, m.group("kernel"))


def _apc(m: re.Match[str]) -> Identity:
    # "APC Web/SNMP Management Card (MB:v4.1.0 PF:v6.8.2 ... AF1:v6.8.2 ... MN:AP9631 ...)"
    fields = dict(re.findall(r"\b([A-Z]+\d?):\s*(\S+)", m.group("fields")))
    firmware = fields.get("AF1") or fields.get("PF")
    return Identity("APC", fields.get("MN"), firmware.removeprefix("v") if firmware else None)


def _ubiquiti(m: re.Match[str]) -> Identity:
    # "EdgeSwitch 24-Port 250W, 1.9.3.5249046, Linux 3.6.5-f4a26ed5, 1.2.1"
    # "USW-Pro-24-PoE, 7.0.50.15613, Linux 3.6.5"
    return Identity("Ubiquiti", m.group("model"), m.group("version"))


def _edgeos(m: re.Match[str]) -> Identity:
    # "EdgeOS v2.0.9-hotfix.7.5622731.230615.0857"
    return Identity("Ubiquiti", "EdgeRouter", m.group("version"))


def _hp(m: re.Match[str]) -> Identity:
    # "HP J9773A 2530-24G-PoEP Switch, revision YA.16.10.0009, ROM YA.15.20 (/ws/...)"
    # "Aruba JL258A 2930F-8G-PoE+-2SFP+ Switch, revision WC.16.10.0009, ROM WC.16.01.0008"
    vendor = "Aruba" if m.group("vendor").lower() == "aruba" else "HP"
    return Identity(vendor, m.group("model").strip(), m.group("version"))


def _hpe_officeconnect(m: re.Match[str]) -> Identity:
    # "HPE OfficeConnect Switch 1920S 24G 2SFP JL381A, PD.02.05, Linux 3.6.5-ac96795c, ..."
    return Identity("HP", m.group("model").strip(), m.group("version"))


_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], Identity]], ...] = (
    (
        re.compile(
            r"Cisco IOS(?: XE)? Software(?: \[\w+\])?, (?P<model>[^,(]+?) Software"
            r".*?Version (?P<version>[^\s,]+)",
            re.S,
        ),
        _cisco_ios,
    ),
    (re.compile(r"^(?P<model>(?:CBS|SG|SF|SX|CBW)\d{3}[\w-]*)\b.*Switch"), _cisco_small),
    (re.compile(r"APC .*?Management Card \((?P<fields>[^)]*)\)"), _apc),
    (re.compile(r"^EdgeOS (?P<version>v\S+)"), _edgeos),
    (
        re.compile(
            r"^(?P<model>(?:EdgeSwitch|EdgePoint|USW|US|UniFi|USL|USM)[^,]*), "
            r"(?P<version>\d+(?:\.\d+)+)"
        ),
        _ubiquiti,
    ),
    (
        re.compile(r"^HPE? (?P<model>OfficeConnect[^,]+), (?P<version>[A-Z]{2}\.[\d.]+)"),
        _hpe_officeconnect,
    ),
    (
        re.compile(
            r"^(?P<vendor>HP|HPE|ProCurve|Aruba) (?P<model>[^,]+?), revision (?P<version>[\w.]+)"
        ),
        _hp,
    ),
    (re.compile(r"^Linux \S+ (?P<kernel>\d\S*)"), _linux),
)

# IANA private enterprise numbers of vendors whose sysDescr may not name them.
ENTERPRISES: dict[int, str] = {
    9: "Cisco",
    11: "HP",
    318: "APC",
    367: "Ricoh",
    534: "Eaton",
    674: "Dell",
    1347: "Kyocera",
    1602: "Canon",
    2011: "Huawei",
    2435: "Brother",
    2636: "Juniper",
    4413: "Ubiquiti",  # EdgeSwitch firmware reports Broadcom's number
    6574: "Synology",
    8072: "net-snmp",
    12356: "Fortinet",
    14823: "Aruba",
    14988: "MikroTik",
    24681: "QNAP",
    25461: "Palo Alto Networks",
    41112: "Ubiquiti",
    47196: "Aruba",
}
_ENTERPRISE_PREFIX = "1.3.6.1.4.1."


def identify(sys_descr: str | None, sys_object_id: str | None = None) -> Identity:
    """What sysDescr (and, failing that, sysObjectID) say about the device."""
    if sys_descr:
        for pattern, build in _PATTERNS:
            m = pattern.search(sys_descr)
            if m is not None:
                return build(m)
    if sys_object_id and sys_object_id.startswith(_ENTERPRISE_PREFIX):
        number = sys_object_id[len(_ENTERPRISE_PREFIX) :].split(".", 1)[0]
        if number.isdigit() and int(number) in ENTERPRISES:
            return Identity(ENTERPRISES[int(number)])
    return Identity()
