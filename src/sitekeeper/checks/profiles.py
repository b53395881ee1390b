"""Device profiles: the checks a device gets by kind, so `{id, kind, address}` is monitored.

One registry (PROFILES). Checks are written as the inventory would write them; ports are by
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
RTSP: CheckDict = {
    "type": "tcp",
    "name": "rtsp",
    "port_name": "rtsp",
    "send": "OPTIONS rtsp://{address}:{port}/ RTSP/1.0\\r\\nCSeq: 1\\r\\n\\r\\n",
    "expect": r"^RTSP/1\.0 ",
}
PJLINK: CheckDict = {
    "type": "tcp",
    "name": "pjlink",
    "port_name": "pjlink",
    "expect": r"^PJLINK [01]",
}
DNS_PORT: CheckDict = {"type": "tcp", "name": "dns-tcp", "port_name": "dns"}
SSH: CheckDict = {"type": "tcp", "name": "ssh", "port_name": "ssh", "expect": r"^SSH-"}
SMB: CheckDict = {"type": "tcp", "name": "smb", "port_name": "smb"}
IPP: CheckDict = {"type": "tcp", "name": "ipp", "port_name": "ipp"}
CONTROL: CheckDict = {"type": "tcp", "name": "control", "port_name": "control"}

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
