"""Every simulated device answers every check its inventory entry produces, on real
loopback sockets - in both layouts (one address per device, and the 127.0.0.1 fallback)."""

from __future__ import annotations

import asyncio

import yaml
from cryptography import x509
from labkit import converse, dns_query, http_get, insecure, resolve_checks, run_check

from sitekeeper.inventory.models import Inventory
from sitekeeper.lab import Lab


async def test_every_check_of_every_device_is_answered(any_lab: Lab) -> None:
    running = any_lab
    inventory = Inventory.model_validate(yaml.safe_load(running.inventory_text()))
    jobs = []
    names = []
    for device in inventory.clients[0].sites[0].devices:
        for spec, port in resolve_checks(device, inventory.defaults):
            jobs.append(run_check(device.address, spec, port))
            names.append(f"{device.id}/{spec.check_name}")
    results = await asyncio.gather(*jobs, return_exceptions=True)
    failures = [f"{n}: {r!r}" for n, r in zip(names, results, strict=True) if r is not None]
    assert not failures
    assert len(names) >= 40


async def test_rtsp_echoes_the_cseq(lab: Lab) -> None:
    reply = await converse(
        *lab.endpoint("cam-3", "rtsp"),
        b"OPTIONS rtsp://cam/ RTSP/1.0\r\nCSeq: 42\r\n\r\n",
        r"\r\n\r\n",
    )
    assert reply.startswith("RTSP/1.0 200 OK\r\n")
    assert "CSeq: 42\r\n" in reply


async def test_the_projector_speaks_pjlink(lab: Lab) -> None:
    reply = await converse(*lab.endpoint("projector", "pjlink"), b"%1POWR ?\r", r"%1POWR=\d\r")
    assert reply == "PJLINK 0\r%1POWR=1\r"


async def test_the_router_resolves_the_site_and_nothing_else(lab: Lab) -> None:
    address, port = lab.endpoint("router", "dns")
    nvr = lab.endpoint("nvr", "http")[0]
    assert await dns_query(address, port, "lab.example") == [address]
    assert await dns_query(address, port, "NVR.lab.example.") == [nvr]
    assert await dns_query(address, port, "nvr.lab.example", protocol="tcp") == [nvr]
    assert await dns_query(address, port, "example.com") == []


async def test_the_nvr_reports_its_health_as_json(lab: Lab) -> None:
    status, body, _ = await http_get(*lab.endpoint("nvr", "http"), "/api/status")
    assert status == 200
    assert '"status": "ok"' in body


async def test_cameras_ask_for_a_login(lab: Lab) -> None:
    status, _, _ = await http_get(*lab.endpoint("cam-1", "http"))
    assert status == 401


async def test_the_codec_serves_https_with_a_certificate_for_its_address(lab: Lab) -> None:
    address, port = lab.endpoint("codec", "https")
    status, body, _ = await http_get(address, port, "/", scheme="https")
    assert status == 200  # after the redirect to /login
    assert "Sign in" in body
    # self-signed like real gear, but it does name the address the device is reached on
    _, writer = await asyncio.open_connection(address, port, ssl=insecure())
    cert = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    writer.close()
    await writer.wait_closed()
    sans = x509.load_der_x509_certificate(cert).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert address in [str(ip) for ip in sans.value.get_values_for_type(x509.IPAddress)]


async def test_control_consoles_show_their_prompts(lab: Lab) -> None:
    await converse(*lab.endpoint("lighting", "control"), None, "login: ")
    reply = await converse(*lab.endpoint("control", "control"), b"ver\r\n", r"firmware .*\r\nCP4>")
    assert "CP4-R firmware 2.8000.00028" in reply
