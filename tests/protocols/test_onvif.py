"""ONVIF GetDeviceInformation probe against the lab's camera and NVR, and in-test devices
that fault, ask for HTTP authentication, refuse or hang - all on loopback."""

from __future__ import annotations

import asyncio
import random
import re
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from pydantic import ValidationError

from sitekeeper.checks.specs_devices import OnvifCheck
from sitekeeper.errors import LabError
from sitekeeper.inventory.models import Device
from sitekeeper.lab import Lab
from sitekeeper.lab.onvif import serial_number
from sitekeeper.probes import onvif as onvif_probe
from sitekeeper.probes.base import Target

from .conftest import LOOPBACK, SLACK, MakeCtx
from .servers import Servers

CHECK = OnvifCheck()
LOGIN = {"kind": "password", "username": "monitor", "password": "s3cret"}

# As cameras word it (Hikvision, Dahua): a Sender fault with the ter:NotAuthorized subcode.
NOT_AUTHORIZED = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:ter="http://www.onvif.org/ver10/error"><env:Body><env:Fault>'
    "<env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>ter:NotAuthorized"
    "</env:Value></env:Subcode></env:Code><env:Reason>"
    '<env:Text xml:lang="en">Sender not Authorized</env:Text></env:Reason>'
    "</env:Fault></env:Body></env:Envelope>"
)


@pytest.fixture
async def lab() -> AsyncIterator[Lab]:
    """A lab on a random 127.78.x.0/24 (a few tries, in case a parallel run holds one)."""
    last: LabError | None = None
    for _ in range(5):
        running = Lab(control_port=0, network=f"127.78.{random.randint(1, 254)}.0/24")
        try:
            await running.start()
        except LabError as err:
            last = err
            continue
        try:
            yield running
        finally:
            await running.stop()
        return
    raise AssertionError(f"could not start a lab: {last}")


@dataclass
class SoapDevice:
    """Answers every request with one HTTP status and body; keeps what it was sent."""

    status: int = 200
    body: str = ""
    content_type: str = "application/soap+xml; charset=utf-8"
    hang: bool = False
    received: list[str] = field(default_factory=list)

    async def serve(self, servers: Servers) -> Target:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            length = re.search(r"(?im)^content-length:\s*(\d+)", head)
            body = await reader.readexactly(int(length.group(1))) if length else b""
            self.received.append(head + body.decode())
            if self.hang:
                await servers.release.wait()
                return
            data = self.body.encode()
            writer.write(
                f"HTTP/1.1 {self.status} X\r\nContent-Type: {self.content_type}\r\n"
                f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
                + data
            )
            await writer.drain()

        port = await servers.tcp(handle)
        return Target(check_id=1, address=LOOPBACK, port=port, name="cam-9")


async def test_the_lab_camera_tells_its_make_model_firmware_and_serial(
    lab: Lab, make_ctx: MakeCtx
) -> None:
    for device_id in ("cam-1", "nvr"):
        address, port = lab.endpoint(device_id, "http")
        plan = lab.plan.device(device_id)
        target = Target(check_id=1, address=address, port=port, name=device_id)
        obs = await onvif_probe.probe(target, CHECK, make_ctx(5))
        assert obs.ok is True, obs.error
        assert obs.values == {
            "manufacturer": plan.vendor,
            "model": plan.model,
            "firmware": plan.firmware,
            "serial": serial_number(plan),
            "hardware_id": plan.kind.value,
        }
        assert obs.latency_ms is not None
        assert obs.details["url"] == f"http://{address}:{port}/onvif/device_service"
        assert "unsigned" in obs.log[0]


async def test_a_firmware_other_than_expected_fails_with_both_versions(
    lab: Lab, make_ctx: MakeCtx
) -> None:
    address, port = lab.endpoint("cam-1", "http")
    spec = OnvifCheck(expect_firmware="12.0.1")
    obs = await onvif_probe.probe(Target(1, address, port), spec, make_ctx(5))
    assert obs.ok is False
    assert obs.error == f'firmware is "{lab.plan.device("cam-1").firmware}", expected "12.0.1"'
    assert obs.values["model"] == lab.plan.device("cam-1").model


async def test_the_lab_answers_other_actions_with_a_soap_fault(lab: Lab) -> None:
    address, port = lab.endpoint("cam-1", "http")
    envelope = (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
        '<GetServices xmlns="http://www.onvif.org/ver10/device/wsdl"/></s:Body></s:Envelope>'
    )
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"http://{address}:{port}/onvif/device_service",
            data=envelope,
            headers={"Content-Type": "application/soap+xml"},
        ) as reply,
    ):
        text = await reply.text()
    assert reply.status == 400
    assert "<env:Value>ter:ActionNotSupported</env:Value>" in text
    assert "GetServices is not supported" in text


async def test_credentials_go_as_a_ws_security_username_token(
    servers: Servers, make_ctx: MakeCtx
) -> None:
    device = SoapDevice(status=400, body=NOT_AUTHORIZED)
    target = await device.serve(servers)
    signed = Target(1, target.address, target.port, credentials=LOGIN)
    obs = await onvif_probe.probe(signed, CHECK, make_ctx(5))
    request = device.received[0]
    assert request.startswith("POST /onvif/device_service HTTP/1.1\r\n")
    assert "<wsse:Username>monitor</wsse:Username>" in request
    assert "#PasswordDigest" in request  # the digest, never the password itself
    assert "s3cret" not in request
    assert "GetDeviceInformation" in request
    assert obs.ok is None
    assert obs.error is not None and obs.error.startswith("the device refused the stored")


async def test_a_not_authorized_fault_asks_for_credentials(
    servers: Servers, make_ctx: MakeCtx
) -> None:
    device = SoapDevice(status=400, body=NOT_AUTHORIZED)
    obs = await onvif_probe.probe(await device.serve(servers), CHECK, make_ctx(5))
    assert obs.ok is None
    assert obs.error == (
        "the device needs ONVIF credentials: store them with `sitekeeper credentials set "
        "NAME --kind password` and refer to them with `credentials: NAME`"
    )
    assert "wsse:Security" not in device.received[0]
    assert any("NotAuthorized" in line for line in obs.log)


async def test_http_authentication_is_unknown_not_down(servers: Servers, make_ctx: MakeCtx) -> None:
    device = SoapDevice(status=401, body="<html>401</html>", content_type="text/html")
    spec = OnvifCheck(credentials="site/cameras")
    obs = await onvif_probe.probe(await device.serve(servers), spec, make_ctx(5))
    assert obs.ok is None
    assert obs.error is not None and "'site/cameras' is not stored" in obs.error


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (404, "the device service answered HTTP 404 (not SOAP)"),
        (200, "the device service did not answer SOAP (is this the ONVIF device service path?)"),
    ],
)
async def test_a_web_page_at_the_path_is_not_soap(
    servers: Servers, make_ctx: MakeCtx, status: int, error: str
) -> None:
    page = "<!DOCTYPE html><html><p>Web interface</p></html>"
    device = SoapDevice(status=status, body=page, content_type="text/html")
    obs = await onvif_probe.probe(await device.serve(servers), CHECK, make_ctx(5))
    assert obs.ok is False
    assert obs.error == error


async def test_a_refused_port_is_down(closed_port: int, make_ctx: MakeCtx) -> None:
    obs = await onvif_probe.probe(Target(1, LOOPBACK, closed_port), CHECK, make_ctx(5))
    assert obs.ok is False
    assert obs.error == "connection refused"


async def test_a_hanging_device_times_out_within_the_deadline(
    servers: Servers, make_ctx: MakeCtx
) -> None:
    device = SoapDevice(hang=True)
    target = await device.serve(servers)
    t0 = time.monotonic()
    obs = await onvif_probe.probe(target, CHECK, make_ctx(1.0))
    assert time.monotonic() - t0 < 1.0 + SLACK
    assert obs.ok is False
    assert obs.error == "timed out after 1.0s waiting for GetDeviceInformation"
    assert len(device.received) == 1


async def test_without_the_library_the_check_is_unknown_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, closed_port: int, make_ctx: MakeCtx
) -> None:
    monkeypatch.setitem(sys.modules, "onvif", None)  # what `import onvif` meets uninstalled
    obs = await onvif_probe.probe(Target(1, LOOPBACK, closed_port), CHECK, make_ctx(2))
    assert obs.ok is None
    assert obs.error == ("the onvif check needs onvif-zeep-async: pip install 'sitekeeper[onvif]'")


def test_the_check_defaults_to_the_http_port_and_the_standard_path() -> None:
    device = Device.model_validate(
        {
            "id": "cam-9",
            "kind": "camera",
            "address": "192.0.2.9",
            "checks": [{"type": "onvif", "expect_firmware": "5.7.3"}],
        }
    )
    spec = device.checks[0]
    assert isinstance(spec, OnvifCheck)
    assert (spec.port_name, spec.path, spec.expect_firmware) == (
        "http",
        "/onvif/device_service",
        "5.7.3",
    )
    with pytest.raises(ValidationError, match="path must start with /"):
        OnvifCheck(path="onvif/device_service")
