"""What a simulated camera or recorder answers at its ONVIF device service (pure).

`POST /onvif/device_service` with a SOAP 1.2 envelope: GetDeviceInformation, from the
device plan (vendor, model, firmware, and a serial derived from the id). Any other action
gets the SOAP fault ONVIF prescribes (ter:ActionNotSupported). The lab asks for no
authentication: a WS-Security header, if sent, is accepted without being checked.
"""

from __future__ import annotations

import hashlib
from html import escape
from xml.etree import ElementTree as ET

from sitekeeper.lab.plan import DevicePlan

SERVICE_PATH = "/onvif/device_service"
CONTENT_TYPE = "application/soap+xml; charset=utf-8"
_SOAP = "http://www.w3.org/2003/05/soap-envelope"
_TDS = "http://www.onvif.org/ver10/device/wsdl"
_TT = "http://www.onvif.org/ver10/schema"
_TER = "http://www.onvif.org/ver10/error"
MAX_BODY = 16 * 1024


def serial_number(device: DevicePlan) -> str:
    """Stable per device, vendor-looking: 12 upper-case hex digits from the id."""
    return hashlib.sha256(device.id.encode()).hexdigest()[:12].upper()


def action(body: bytes) -> str | None:
    """The local name of the first element in the SOAP Body; None when it is not SOAP."""
    if b"<!DOCTYPE" in body or len(body) > MAX_BODY:  # no entity expansion, ever
        return None
    try:
        root = ET.fromstring(body)  # noqa: S314 - DTDs refused above; bounded size
    except ET.ParseError:
        return None
    soap_body = root.find(f"{{{_SOAP}}}Body")
    if soap_body is None or len(soap_body) == 0:
        return None
    return soap_body[0].tag.rpartition("}")[2]


def _envelope(inner: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<env:Envelope xmlns:env="{_SOAP}" xmlns:tds="{_TDS}" xmlns:tt="{_TT}" '
        f'xmlns:ter="{_TER}"><env:Body>{inner}</env:Body></env:Envelope>\n'
    ).encode()


def device_information(device: DevicePlan) -> bytes:
    return _envelope(
        "<tds:GetDeviceInformationResponse>"
        f"<tds:Manufacturer>{escape(device.vendor)}</tds:Manufacturer>"
        f"<tds:Model>{escape(device.model)}</tds:Model>"
        f"<tds:FirmwareVersion>{escape(device.firmware)}</tds:FirmwareVersion>"
        f"<tds:SerialNumber>{serial_number(device)}</tds:SerialNumber>"
        f"<tds:HardwareId>{escape(device.kind.value)}</tds:HardwareId>"
        "</tds:GetDeviceInformationResponse>"
    )


def fault(subcode: str, reason: str) -> bytes:
    """A SOAP 1.2 fault as ONVIF words them: env:Sender, then a ter: subcode."""
    return _envelope(
        "<env:Fault><env:Code><env:Value>env:Sender</env:Value>"
        f"<env:Subcode><env:Value>ter:{subcode}</env:Value></env:Subcode></env:Code>"
        f'<env:Reason><env:Text xml:lang="en">{escape(reason)}</env:Text></env:Reason>'
        "</env:Fault>"
    )


def answer(device: DevicePlan, body: bytes) -> tuple[int, bytes]:
    """(HTTP status, SOAP envelope) for one request to the device service."""
    name = action(body)
    if name == "GetDeviceInformation":
        return 200, device_information(device)
    if name is None:
        return 400, fault("InvalidArgVal", "the request is not a SOAP 1.2 envelope")
    return 400, fault("ActionNotSupported", f"{name} is not supported by this device")
