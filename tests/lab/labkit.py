"""Helpers for the lab tests: starting a lab somewhere free, and a tiny stand-in for
sitekeeper's probes (plain asyncio/aiohttp/dnspython) so the lab can be tested against what
its inventory asks before the real probes exist. Loopback only."""

from __future__ import annotations

import asyncio
import codecs
import json
import os
import random
import re
import socket
import ssl
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp
import dns.asyncquery
import dns.message
import dns.rcode
import dns.rdatatype
import pytest
from cryptography import x509
from pydantic import TypeAdapter

from sitekeeper.checks.profiles import profile_for
from sitekeeper.checks.specs import CheckSpec, DnsCheck, HttpCheck, TcpCheck, TlsCheck
from sitekeeper.checks.specs_passive import PASSIVE_TYPES
from sitekeeper.clock import SystemClock
from sitekeeper.errors import LabError
from sitekeeper.inventory.models import CheckOverride, Defaults, Device
from sitekeeper.lab import Lab
from sitekeeper.lab.setup import LAB_CREDENTIALS
from sitekeeper.probes import PROBES, ProbeContext, Target
from sitekeeper.protocols.http import HttpSessions
from sitekeeper.state.classify import classify
from sitekeeper.state.model import CheckStatus

SPEC: TypeAdapter[CheckSpec] = TypeAdapter(CheckSpec)
MOSQUITTO = ("127.0.0.1", 1883)


def mosquitto() -> str:
    """`127.0.0.1:1883` when Mosquitto answers there; else skip the test (fail it under CI=1,
    where Mosquitto runs)."""
    try:
        with socket.create_connection(MOSQUITTO, timeout=1.0):
            return f"{MOSQUITTO[0]}:{MOSQUITTO[1]}"
    except OSError as err:
        message = (
            f"Mosquitto is not reachable at {MOSQUITTO[0]}:{MOSQUITTO[1]} "
            f"({err.strerror or err}); start it with `mosquitto -d -c /etc/mosquitto/mosquitto.conf`"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


async def start_lab(*, fallback: bool = False, mqtt: str = "") -> Lab:
    """Start a lab somewhere free; a few tries in case another run holds the block. With
    `mqtt` (a broker's host:port) its MQTT devices publish there; without, they are left
    out, whatever $SITEKEEPER_LAB_MQTT says."""
    last: LabError | None = None
    for _ in range(5):
        lab = Lab(
            control_port=0,
            network=f"127.78.{random.randint(1, 254)}.0/24",
            fallback=fallback,
            fallback_base_port=random.randrange(20000, 30000, 10),
            mqtt_broker=mqtt,
        )
        try:
            await lab.start()
        except LabError as err:
            last = err
            continue
        return lab
    raise AssertionError(f"could not start a lab: {last}")


def resolve_checks(device: Device, defaults: Defaults) -> list[tuple[CheckSpec, int | None]]:
    """Profile checks minus the disabled ones; a device's own check replaces a profile check
    of the same name; an override turns one off. Ports only from the device's `ports:` map:
    the lab serves nothing on the well-known (privileged) ports."""
    planned: dict[str, dict[str, Any]] = {}
    if device.profile_checks:
        for entry in profile_for(
            device.kind, device.vendor, has_credentials=device.credentials is not None
        ):
            if entry["name"] not in defaults.disable_checks:
                planned[entry["name"]] = dict(entry)
    for item in device.checks:
        if isinstance(item, CheckOverride):
            if not item.enabled:
                planned.pop(item.name, None)
            continue
        fields = item.model_dump(exclude_unset=True)
        fields["type"] = item.type
        planned[item.check_name] = fields | {"name": item.check_name}
    out: list[tuple[CheckSpec, int | None]] = []
    for fields in planned.values():
        spec = SPEC.validate_python(fields)
        port = getattr(spec, "port", None)
        name = getattr(spec, "port_name", None)
        if port is None and name is not None:
            assert name in device.ports, f"{device.id}: check {spec.check_name} needs port {name}"
            port = device.ports[name]
        out.append((spec, port))
    return out


async def refused(address: str, port: int) -> bool:
    """True when a TCP connect is refused (the device is down)."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(address, port), 2.0)
    except ConnectionRefusedError:
        return True
    writer.close()
    await writer.wait_closed()
    return False


async def converse(
    address: str,
    port: int,
    send: bytes | None,
    expect: str,
    *,
    wait_s: float = 2.0,
    tls: ssl.SSLContext | None = None,
) -> str:
    """Connect, optionally send, read until `expect` (a regex) matches; return what was read."""
    reader, writer = await asyncio.open_connection(address, port, ssl=tls)
    seen = b""
    try:
        async with asyncio.timeout(wait_s):
            if send:
                writer.write(send)
                await writer.drain()
            while not re.search(expect, seen.decode("latin-1")):
                chunk = await reader.read(4096)
                if not chunk:
                    break
                seen += chunk
    finally:
        writer.close()
        await writer.wait_closed()
    text = seen.decode("latin-1")
    assert re.search(expect, text), f"{address}:{port} sent {text!r}, expected /{expect}/"
    return text


async def http_get(
    address: str, port: int, path: str = "/", *, scheme: str = "http", wait_s: float = 2.0
) -> tuple[int, str, float]:
    """(status, body, seconds) of one GET, following redirects."""
    connector = aiohttp.TCPConnector(ssl=False, force_close=True)
    started = time.perf_counter()
    async with (
        aiohttp.ClientSession(
            connector=connector, trust_env=False, timeout=aiohttp.ClientTimeout(total=wait_s)
        ) as session,
        session.get(f"{scheme}://{address}:{port}{path}") as response,
    ):
        body = await response.text()
        return response.status, body, time.perf_counter() - started


def insecure() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


async def run_check(address: str, spec: CheckSpec, port: int | None) -> None:
    """Raise AssertionError unless the device answers `spec` the way the check expects."""
    if spec.type in PASSIVE_TYPES:
        return  # heartbeats, syslog, traps: the device sends when something happens
    assert port is not None
    if isinstance(spec, TcpCheck):
        send = None
        if spec.send:
            text = spec.send.replace("{address}", address).replace("{port}", str(port))
            send = codecs.decode(text, "unicode_escape").encode("latin-1")
        if spec.expect:
            await converse(address, port, send, spec.expect, tls=insecure() if spec.tls else None)
        else:
            assert not await refused(address, port)
    elif isinstance(spec, HttpCheck):
        status, body, _ = await http_get(address, port, spec.path, scheme=spec.scheme)
        allowed = spec.expect_status or tuple(range(200, 400))
        assert status in allowed, f"{spec.check_name}: HTTP {status}, expected {allowed}"
        if spec.json_field:
            value: Any = json.loads(body)
            for part in spec.json_field.split("."):
                value = value[int(part)] if isinstance(value, list) else value[part]
            if spec.json_equals is not None:
                assert value == spec.json_equals, f"{spec.json_field} = {value!r}"
    elif isinstance(spec, DnsCheck):
        answers = await dns_query(address, port, spec.query, spec.record_type, spec.protocol)
        assert set(spec.expect) <= set(answers), f"{spec.query} -> {answers}"
    elif isinstance(spec, TlsCheck):
        days = await tls_days_left(address, port)
        assert days > spec.warn_days, f"certificate expires in {days:.0f} days"
    elif spec.type in ("pjlink", "rtsp", "sonos", "mqtt", "snmp", "onvif"):
        # device protocols: the product's own probe and judgement, against the lab device
        await _probe_judged_ok(address, spec, port)
    else:
        raise AssertionError(f"the lab tests cannot run a {spec.type} check")


async def _probe_judged_ok(address: str, spec: CheckSpec, port: int) -> None:
    status, reason = await probe_judged(address, spec, port)
    assert status is CheckStatus.OK, f"{spec.check_name}: {status.value} {reason}"


async def probe_judged(address: str, spec: CheckSpec, port: int | None) -> tuple[CheckStatus, str]:
    """The product's probe for `spec` against a lab device, judged by the product's classify."""
    clock = SystemClock()
    sessions = HttpSessions()
    try:
        ctx = ProbeContext(deadline=clock.monotonic() + 5.0, clock=clock, http=sessions)
        ref = spec.credentials or "lab-snmp" if spec.type == "snmp" else spec.credentials
        creds = LAB_CREDENTIALS.get(ref or "")
        values = {"kind": creds[0], **creds[1]} if creds else None
        target = Target(check_id=0, address=address, port=port, credentials=values)
        obs = await PROBES[spec.type](target, spec, ctx)
    finally:
        await sessions.close()
    return classify(obs, spec)


async def dns_query(
    address: str,
    port: int,
    name: str,
    rdtype: str = "A",
    protocol: str = "udp",
    *,
    wait_s: float = 2.0,
) -> list[str]:
    """The answers (raises dns.exception.Timeout when none comes); NXDOMAIN gives []."""
    query = dns.message.make_query(name, dns.rdatatype.from_text(rdtype))
    if protocol == "tcp":
        reply = await dns.asyncquery.tcp(query, address, port=port, timeout=wait_s)
    else:
        reply = await dns.asyncquery.udp(query, address, port=port, timeout=wait_s)
    if reply.rcode() == dns.rcode.NXDOMAIN:
        return []
    return [item.to_text() for rrset in reply.answer for item in rrset]


async def tls_days_left(address: str, port: int) -> float:
    _, writer = await asyncio.open_connection(address, port, ssl=insecure())
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True)
    finally:
        writer.close()
        await writer.wait_closed()
    cert = x509.load_der_x509_certificate(der)
    return (cert.not_valid_after_utc - datetime.now(UTC)).total_seconds() / 86400
