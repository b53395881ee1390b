"""Device profiles: the checks a device gets by kind, so `{id, kind, address}` is monitored.

One registry (PROFILES), refined by vendor (VENDOR_PROFILES); `profile_for` picks. Checks are written as the inventory would write them; ports are by
name so a device's `ports:` map can move them (e.g. a web UI on 8080).
"""

from __future__ import annotations

from typing import Any

from sitekeeper.inventory.kinds import DeviceKind

CheckDict = dict[str, Any]

# A device's web UI is "up" if it answers at all sensibly, including asking for a login.
ADMIN_UI_STATUSES = [200, 204, 301, 302, 303, 307, 308, 401, 403]

ICMP: CheckDict = {"type": "icmp", "name": "icmp"}
WEB_UI: CheckDict = {
    "type": "http",
    "name": "web",
    "port_name": "http",
    "path": "/",
    "expect_status": ADMIN_UI_STATUSES,
}
WEB_UI_TLS: CheckDict = {
    "type": "http",
    "name": "web",
    "scheme": "https",
    "port_name": "https",
    "path": "/",
    "verify_tls": False,  # devices ship self-signed certificates
    "expect_status": ADMIN_UI_STATUSES,
}
# The stream is alive: OPTIONS then DESCRIBE answered with an SDP that has media.
RTSP: CheckDict = {"type": "rtsp", "name": "rtsp", "port_name": "rtsp"}
# Power, input, lamp hours and the six error-status parts (lamp, fan, temperature, ...).
PJLINK: CheckDict = {"type": "pjlink", "name": "pjlink", "port_name": "pjlink"}
# The speaker's device description on port 1400: model, software version, room.
SONOS: CheckDict = {"type": "sonos", "name": "sonos"}
DNS_PORT: CheckDict = {"type": "tcp", "name": "dns-tcp", "port_name": "dns"}
SSH: CheckDict = {"type": "tcp", "name": "ssh", "port_name": "ssh", "expect": r"^SSH-"}
SMB: CheckDict = {"type": "tcp", "name": "smb", "port_name": "smb"}
IPP: CheckDict = {"type": "tcp", "name": "ipp", "port_name": "ipp"}
CONTROL: CheckDict = {"type": "tcp", "name": "control", "port_name": "control"}


def _snmp(*tables: str) -> CheckDict:
    return {"type": "snmp", "name": "snmp", "port_name": "snmp", "tables": list(tables)}


# SNMP metric tables by kind (see docs/snmp-checks.md). Added only to a device that has
# `credentials:`: sitekeeper has no default community, and an agent answers nothing without
# the right one, so a check without them could only ever say "no credentials".
SNMP_PROFILES: dict[DeviceKind, CheckDict] = {
    DeviceKind.SWITCH: _snmp("system", "interfaces", "entity_sensor"),
    DeviceKind.ROUTER: _snmp("system", "interfaces", "entity_sensor"),
    DeviceKind.FIREWALL: _snmp("system", "interfaces", "entity_sensor"),
    DeviceKind.UPS: _snmp("system", "ups"),
    DeviceKind.PDU: _snmp("system", "entity_sensor"),
    DeviceKind.PRINTER: _snmp("system", "printer"),
    DeviceKind.NAS: _snmp("system", "host", "interfaces"),
    DeviceKind.SERVER: _snmp("system", "host", "interfaces"),
}

PROFILES: dict[DeviceKind, list[CheckDict]] = {
    DeviceKind.ROUTER: [ICMP, DNS_PORT],
    DeviceKind.FIREWALL: [ICMP, WEB_UI_TLS],
    DeviceKind.SWITCH: [ICMP, WEB_UI],
    DeviceKind.ACCESS_POINT: [ICMP, WEB_UI],
    DeviceKind.MODEM: [ICMP, WEB_UI],
    DeviceKind.SERVER: [ICMP, SSH],
    DeviceKind.NAS: [ICMP, WEB_UI, SMB],
    DeviceKind.WORKSTATION: [ICMP],
    DeviceKind.PRINTER: [ICMP, IPP],
    DeviceKind.CAMERA: [ICMP, RTSP, WEB_UI],
    DeviceKind.NVR: [ICMP, WEB_UI, RTSP],
    DeviceKind.ACCESS_CONTROL: [ICMP, WEB_UI],
    DeviceKind.DISPLAY: [ICMP],
    DeviceKind.PROJECTOR: [ICMP, PJLINK],
    DeviceKind.AV_RECEIVER: [ICMP, WEB_UI],
    DeviceKind.MATRIX: [ICMP, WEB_UI],
    DeviceKind.CONFERENCING_CODEC: [ICMP, WEB_UI_TLS],
    DeviceKind.STREAMING_DEVICE: [ICMP],
    DeviceKind.AUDIO_ZONE: [ICMP, WEB_UI],
    DeviceKind.LIGHTING_PROCESSOR: [ICMP, CONTROL],
    DeviceKind.SHADE_CONTROLLER: [ICMP, CONTROL],
    DeviceKind.CONTROL_PROCESSOR: [ICMP, CONTROL],
    DeviceKind.KEYPAD: [ICMP],
    DeviceKind.THERMOSTAT: [ICMP],
    DeviceKind.VOICE_ASSISTANT: [ICMP],
    DeviceKind.UPS: [ICMP, WEB_UI],
    DeviceKind.PDU: [ICMP, WEB_UI],
    DeviceKind.OTHER: [ICMP],
}

# Where the vendor is known, its own protocol says more than a generic port check:
# (kind, vendor in lower case) -> the checks replacing the kind's profile.
VENDOR_PROFILES: dict[tuple[DeviceKind, str], list[CheckDict]] = {
    (DeviceKind.AUDIO_ZONE, "sonos"): [ICMP, SONOS],
    (DeviceKind.STREAMING_DEVICE, "sonos"): [ICMP, SONOS],
}


def profile_for(
    kind: DeviceKind, vendor: str | None = None, *, has_credentials: bool = False
) -> list[CheckDict]:
    """The checks a device gets by default: its vendor's profile where there is one, and
    the kind's SNMP check when the device has `credentials:` to read its agent with."""
    checks = PROFILES[kind]
    if vendor is not None:
        checks = VENDOR_PROFILES.get((kind, vendor.strip().lower()), checks)
    snmp = SNMP_PROFILES.get(kind)
    if has_credentials and snmp is not None:
        return [*checks, snmp]
    return checks


def all_profile_check_names() -> list[str]:
    every = [*PROFILES.values(), *VENDOR_PROFILES.values(), list(SNMP_PROFILES.values())]
    return sorted({c["name"] for checks in every for c in checks})
