"""ONVIF device management: GetDeviceInformation over onvif-zeep-async (the `onvif` extra).

A narrow, typed seam over an untyped library: one call, plain results, our own errors.
The library is imported on first use, so the base install works without it
(`pip install 'sitekeeper[onvif]'` adds it). We call the device service directly at its
address rather than `ONVIFCamera.update_xaddrs()`, which would first ask the device for
its other services (GetServices or GetCapabilities): one round trip instead of two, and
the service path may be non-standard.

With a username the request carries a WS-Security UsernameToken (password digest), as
ONVIF's device-management profile asks; without one it goes unsigned, which most devices
refuse with a `NotAuthorized` SOAP fault.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp

EXTRA_HINT = "pip install 'sitekeeper[onvif]'"
SERVICE_PATH = "/onvif/device_service"
NOT_SOAP = "the device service did not answer SOAP (is this the ONVIF device service path?)"
_BINDING = "{http://www.onvif.org/ver10/device/wsdl}DeviceBinding"


class OnvifError(Exception):
    """The device answered, but not with device information; the text is for people."""


class OnvifMissing(OnvifError):
    """onvif-zeep-async is not installed."""


class OnvifFault(OnvifError):
    """A SOAP fault; `subcode` is the ONVIF reason (e.g. NotAuthorized, ActionNotSupported)."""

    def __init__(self, message: str, subcode: str | None) -> None:
        super().__init__(message)
        self.subcode = subcode

    @property
    def not_authorized(self) -> bool:
        return self.subcode in ("NotAuthorized", "FailedAuthentication")


class OnvifHttpStatus(OnvifError):
    """An HTTP answer that is not SOAP (404 at a wrong path, 401 for HTTP authentication)."""

    def __init__(self, status: int, *, body: bool) -> None:
        said = " (not SOAP)" if body else ""
        super().__init__(f"the device service answered HTTP {status}{said}")
        self.status = status


@dataclass(frozen=True, slots=True)
class DeviceInformation:
    manufacturer: str | None
    model: str | None
    firmware: str | None
    serial: str | None
    hardware_id: str | None


def _library() -> ModuleType:
    """Import onvif-zeep-async, keeping the root logger as it was: the library calls
    `logging.basicConfig(level=INFO)` at import, which would reconfigure our logging."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        import onvif  # type: ignore[import-untyped]
    except ImportError as err:
        raise OnvifMissing(f"the onvif check needs onvif-zeep-async: {EXTRA_HINT}") from err
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    module: ModuleType = onvif
    return module


def _text(reply: Any, name: str) -> str | None:
    value = getattr(reply, name, None)
    if value is None:
        return None
    return str(value).strip() or None


def _fault(err: Any) -> OnvifFault:
    """zeep's Fault: SOAP 1.2 puts the ONVIF reason in the (last) subcode, a QName."""
    subcodes = getattr(err, "subcodes", None) or []
    subcode = getattr(subcodes[-1], "localname", None) if subcodes else None
    message = str(getattr(err, "message", "") or "").strip()
    said = f": {message}" if message else ""
    named = subcode or getattr(err, "code", None) or "fault"
    return OnvifFault(f"the device answered a SOAP fault ({named}){said}", subcode)


def _record_statuses(transport: Any) -> list[int]:
    """The HTTP status of each reply: zeep turns a non-SOAP error page into an "Unknown
    fault" or a parse error and drops the status, which says what went wrong (401, 404)."""
    statuses: list[int] = []
    post_xml = transport.post_xml

    async def recording(*args: Any, **kwargs: Any) -> Any:
        response = await post_xml(*args, **kwargs)
        statuses.append(int(response.status_code))
        return response

    transport.post_xml = recording
    return statuses


def _not_soap(statuses: list[int]) -> OnvifError:
    if statuses and statuses[-1] != 200:
        return OnvifHttpStatus(statuses[-1], body=True)
    return OnvifError(NOT_SOAP)


async def device_information(
    url: str, username: str | None, password: str | None
) -> DeviceInformation:
    """GetDeviceInformation from the device service at `url` (http://host:port/path).

    Raises OnvifMissing, OnvifFault, OnvifHttpStatus, OnvifError; network errors (OSError,
    aiohttp's) and TimeoutError pass through for the caller to word."""
    onvif = _library()
    from zeep.exceptions import Fault, TransportError

    wsdl = Path(str(onvif.__file__)).parent / "wsdl" / "devicemgmt.wsdl"
    service = onvif.ONVIFService(
        url, username, password, str(wsdl), no_cache=True, binding_name=_BINDING
    )
    statuses = _record_statuses(service.transport)
    try:
        await service.setup()
        call = service.GetDeviceInformation if username else service.authless_GetDeviceInformation
        reply = await call()
    except Fault as err:
        if err.code is None:  # zeep's word for "no SOAP Fault in a non-200 answer"
            raise _not_soap(statuses) from err
        raise _fault(err) from err
    except TransportError as err:
        raise OnvifHttpStatus(int(err.status_code), body=bool(err.content)) from err
    except (OSError, TimeoutError, aiohttp.ClientError):
        raise  # the network's errors, for the caller to word
    except Exception as err:  # zeep trips over some non-SOAP answers, e.g. an HTML page
        raise _not_soap(statuses) from err
    finally:
        await service.close()
    return DeviceInformation(
        manufacturer=_text(reply, "Manufacturer"),
        model=_text(reply, "Model"),
        firmware=_text(reply, "FirmwareVersion"),
        serial=_text(reply, "SerialNumber"),
        hardware_id=_text(reply, "HardwareId"),
    )
