"""Sonos: the UPnP device description every player serves on port 1400.

`GET http://<player>:1400/xml/device_description.xml` answers without authentication with
the model, software version, room and zone type. The document comes from the network, so it
is read bounded (MAX_BYTES) and parsed with the standard library's ElementTree after refusing
any DTD: a device description never has one, and without a DTD there are no entities to
expand (billion laughs) or fetch (XXE). This is what defusedxml's `forbid_dtd` would do, so
we do not need the dependency for one document type.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import aiohttp

from sitekeeper.protocols.http import read_capped

PORT = 1400
PATH = "/xml/device_description.xml"
MAX_BYTES = 256 * 1024
_NS = "{urn:schemas-upnp-org:device-1-0}"
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


class NotSonos(ValueError):
    """The document is not a Sonos device description; the text is for people."""


@dataclass(frozen=True, slots=True)
class SonosDescription:
    model_name: str
    model_number: str | None = None
    software_version: str | None = None
    display_version: str | None = None
    room_name: str | None = None
    zone_type: str | None = None
    serial: str | None = None
    manufacturer: str | None = None


def parse_description(data: bytes) -> SonosDescription:
    """Read a device description; raise NotSonos for anything else."""
    if _DTD.search(data):
        raise NotSonos("the device description declares a DTD; refused")
    try:
        root = ET.fromstring(data)  # noqa: S314 - DTDs refused above (see the module docstring)
    except ET.ParseError as err:
        raise NotSonos(f"the device description is not XML: {err}") from None
    device = root.find(f"{_NS}device")
    if device is None:
        device = root.find("device")  # some firmware omits the namespace
    ns = _NS if device is not None and device.tag.startswith("{") else ""
    if device is None:
        raise NotSonos("no <device> in the device description")

    def text(tag: str) -> str | None:
        value = device.findtext(f"{ns}{tag}")
        return value.strip() or None if value is not None else None

    model = text("modelName")
    if model is None:
        raise NotSonos("no modelName in the device description")
    manufacturer = text("manufacturer")
    if manufacturer is not None and "sonos" not in manufacturer.lower():
        raise NotSonos(f'the device description is from "{manufacturer}", not Sonos')
    return SonosDescription(
        model_name=model,
        model_number=text("modelNumber"),
        software_version=text("softwareVersion"),
        display_version=text("displayVersion"),
        room_name=text("roomName"),
        zone_type=text("zoneType"),
        serial=text("serialNum"),
        manufacturer=manufacturer,
    )


async def fetch_description(session: aiohttp.ClientSession, url: str) -> tuple[int, bytes]:
    """(HTTP status, body) of the description; the body is read up to MAX_BYTES."""
    async with session.get(
        url, allow_redirects=False, timeout=aiohttp.ClientTimeout(total=None)
    ) as response:
        body, truncated = await read_capped(response.content, MAX_BYTES)
        if truncated:
            raise NotSonos(f"the device description is larger than {MAX_BYTES // 1024} KiB")
        return response.status, body
