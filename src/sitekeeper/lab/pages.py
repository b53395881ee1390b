"""What a simulated device's web interface answers (pure: request in, response out).

Enough to look like the real thing to a prober: cameras ask for a login (401), a router's
UI redirects to /login, most gear shows a page, and `/api/status` returns JSON - which the
inventory's JSON checks read (the NVR's `status`, the UPS's `battery.charge_pct`).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

from sitekeeper.inventory.kinds import KIND_LABELS, DeviceKind
from sitekeeper.lab import onvif
from sitekeeper.lab.plan import DevicePlan

_REASONS = {
    200: "OK",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
}
# A redirect costs a second request, so a degraded device's latency counts twice: keep it to
# the router, and let the codec (the usual "make it slow" demo) show its sign-in page at /.
_LOGIN_FIRST = {DeviceKind.ROUTER}
_SIGN_IN_AT_ROOT = {DeviceKind.CONFERENCING_CODEC}
_AUTH_REQUIRED = {DeviceKind.CAMERA}
_ONVIF = {DeviceKind.CAMERA, DeviceKind.NVR}  # answer POST /onvif/device_service


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self, *, head_only: bool = False) -> bytes:
        """HTTP/1.1 with `Connection: close`: one request per connection keeps it simple."""
        lines = [
            f"HTTP/1.1 {self.status} {_REASONS.get(self.status, 'OK')}",
            "Server: sitekeeper-lab",
            f"Content-Type: {self.content_type}",
            f"Content-Length: {len(self.body)}",
            "Connection: close",
            *(f"{k}: {v}" for k, v in self.headers.items()),
        ]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return head if head_only else head + self.body


def respond(
    device: DevicePlan,
    method: str,
    path: str,
    uptime_s: float,
    conditions: frozenset[str] = frozenset(),
    body: bytes = b"",
) -> Response:
    """The device's answer to `method path` (`body`: what a POST sent)."""
    path = path.split("?", 1)[0]
    if method == "POST" and path == onvif.SERVICE_PATH and device.kind in _ONVIF:
        status, envelope = onvif.answer(device, body)
        return Response(status, envelope, content_type=onvif.CONTENT_TYPE)
    if method not in ("GET", "HEAD"):
        return Response(405, _page(device, "Method not allowed"), headers={"Allow": "GET, HEAD"})
    if path == "/api/status":
        body = json.dumps(status_document(device, uptime_s, conditions)).encode()
        return Response(200, body, content_type="application/json")
    if path == SONOS_DESCRIPTION and (device.vendor or "").lower() == "sonos":
        return Response(200, sonos_description(device), content_type="text/xml")
    if path == "/login" or (path == "/" and device.kind in _SIGN_IN_AT_ROOT):
        return Response(200, _page(device, "Sign in", login=True))
    if path != "/":
        return Response(404, _page(device, "Not found"))
    if device.kind in _AUTH_REQUIRED:
        realm = f'Digest realm="{device.vendor} {device.model}", qop="auth", nonce="lab"'
        return Response(401, _page(device, "Sign in"), headers={"WWW-Authenticate": realm})
    if device.kind in _LOGIN_FIRST:
        return Response(302, b"", headers={"Location": "/login"})
    return Response(200, _page(device, KIND_LABELS[device.kind]))


SONOS_DESCRIPTION = "/xml/device_description.xml"


def sonos_description(device: DevicePlan) -> bytes:
    """A Sonos player's UPnP device description (port 1400), as the real players word it."""
    model, _, number = (device.model or "Sonos").partition(" (")
    number = number.rstrip(")") or "S1"
    room = html.escape(device.name.split(" - ", 1)[-1].title())
    return (
        '<?xml version="1.0" encoding="utf-8" ?>\n'
        '<root xmlns="urn:schemas-upnp-org:device-1-0">\n'
        "<specVersion><major>1</major><minor>0</minor></specVersion>\n<device>\n"
        "<deviceType>urn:schemas-upnp-org:device:ZonePlayer:1</deviceType>\n"
        f"<friendlyName>{html.escape(device.address)} - Sonos {html.escape(model)}</friendlyName>\n"
        "<manufacturer>Sonos, Inc.</manufacturer>\n"
        f"<modelNumber>{html.escape(number)}</modelNumber>\n"
        f"<modelName>Sonos {html.escape(model)}</modelName>\n"
        f"<softwareVersion>{html.escape(device.firmware or '')}</softwareVersion>\n"
        f"<displayVersion>{html.escape(device.firmware or '')}</displayVersion>\n"
        f"<roomName>{room}</roomName>\n"
        "<zoneType>11</zoneType>\n"
        "</device>\n</root>\n"
    ).encode()


def status_document(
    device: DevicePlan, uptime_s: float, conditions: frozenset[str] = frozenset()
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "status": "ok",
        "device": device.id,
        "name": device.name,
        "vendor": device.vendor,
        "model": device.model,
        "firmware": device.firmware,
        "uptime_s": round(uptime_s, 1),
    }
    if device.kind == DeviceKind.UPS:
        on_battery = "on-battery" in conditions
        doc["battery"] = {
            "charge_pct": 86 if on_battery else 100,
            "runtime_min": 31 if on_battery else 47,
            "on_battery": on_battery,
            "output_source": "battery" if on_battery else "utility",
        }
    if device.kind == DeviceKind.NVR:
        doc["recording"] = {"channels": 4, "active": 4, "disk_used_pct": 71}
    return doc


def _page(device: DevicePlan, title: str, *, login: bool = False) -> bytes:
    name = html.escape(f"{device.vendor} {device.model}")
    form = (
        '<form method="post" action="/login"><input name="user"><input name="pass" '
        'type="password"><button>Sign in</button></form>'
        if login
        else ""
    )
    return (
        f"<!doctype html><html><head><title>{html.escape(title)} - {name}</title></head>"
        f"<body><h1>{name}</h1><p>{html.escape(device.name)} &middot; firmware "
        f"{html.escape(device.firmware)}</p>{form}</body></html>"
    ).encode()
