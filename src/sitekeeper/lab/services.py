"""What a simulated device says on each named port: one handler per service, one registry.

A handler gets a `Conn` and talks the protocol just far enough for sitekeeper's checks (and
the protocol clients we write) to see the real thing: an HTTP page, an RTSP `OPTIONS`
reply, a PJLink banner and power query, a control console's prompt, a DNS answer over TCP.
Every reply first waits `conn.delay()`, which is how a degraded device shows its latency:
a TCP connect on loopback succeeds instantly whatever we do, so latency has to live in
the application's answer. Adding a service = a handler here, one SERVICES line, and a port
offset in `plan.SERVICE_OFFSETS`.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sitekeeper.inventory.kinds import DeviceKind
from sitekeeper.lab import dns as lab_dns
from sitekeeper.lab.pages import respond
from sitekeeper.lab.plan import DevicePlan

IDLE_S = 30.0  # a client that sends nothing for this long is hung up on
MAX_HEAD = 16 * 1024


@dataclass(slots=True)
class Conn:
    """One accepted connection, with what its handler needs to know about the device."""

    device: DevicePlan
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    latency: Callable[[], float]  # seconds, read at each reply: faults change mid-connection
    uptime: Callable[[], float]
    tls: ssl.SSLContext | None
    zone: dict[str, str]
    conditions: Callable[[], frozenset[str]] = frozenset  # e.g. {"lamp-error"}; read per reply

    async def delay(self) -> None:
        seconds = self.latency()
        if seconds > 0:
            await asyncio.sleep(seconds)

    async def send(self, data: bytes, *, delay: bool = True) -> None:
        if delay:
            await self.delay()
        self.writer.write(data)
        await self.writer.drain()

    async def read_until(self, separator: bytes) -> bytes:
        """Up to and including `separator`; b"" when the client hung up or idled too long."""
        try:
            async with asyncio.timeout(IDLE_S):
                return await self.reader.readuntil(separator)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            return b""


Handler = Callable[[Conn], Awaitable[None]]


async def http(conn: Conn) -> None:
    """One request, one response, then close."""
    await _http(conn, delay=True)


async def _http(conn: Conn, *, delay: bool) -> None:
    head = await conn.read_until(b"\r\n\r\n")
    if not head or len(head) > MAX_HEAD:
        return
    request_line, _, rest = head.decode("latin-1").partition("\r\n")
    parts = request_line.split()
    if len(parts) != 3:
        await conn.send(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n", delay=delay)
        return
    method, target, _version = parts
    length = re.search(r"(?im)^content-length:\s*(\d+)", rest)
    body = b""
    if length and 0 < int(length.group(1)) <= MAX_HEAD:
        try:
            body = await conn.reader.readexactly(int(length.group(1)))
        except asyncio.IncompleteReadError:
            return
    response = respond(conn.device, method, target, conn.uptime(), conn.conditions(), body)
    await conn.send(response.encode(head_only=method == "HEAD"), delay=delay)


async def https(conn: Conn) -> None:
    """TLS is started by hand, after the device's latency, so a degraded device is slow
    to hand over its certificate too (a TLS check sees it, not only an HTTP request). The
    latency is paid once per connection, as for plain HTTP: an HTTPS check of a device
    degraded by 1500 ms takes ~1.5 s, not 3 s (which would exceed a 2 s timeout)."""
    if conn.tls is None:
        return
    await conn.delay()
    try:
        await conn.writer.start_tls(conn.tls, ssl_handshake_timeout=IDLE_S)
    except (ssl.SSLError, ConnectionError, TimeoutError):
        return
    await _http(conn, delay=False)


async def rtsp(conn: Conn) -> None:
    """Answers each request until the client hangs up; OPTIONS is what probes send."""
    while head := await conn.read_until(b"\r\n\r\n"):
        text = head.decode("latin-1")
        method = text.split(" ", 1)[0].upper()
        cseq = re.search(r"(?im)^cseq:\s*(\d+)", text)
        lines = [
            "RTSP/1.0 200 OK",
            f"CSeq: {cseq.group(1) if cseq else 0}",
            "Server: sitekeeper-lab",
        ]
        body = ""
        if method == "OPTIONS":
            lines.append("Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN")
        elif method == "DESCRIBE" and "stream-dead" in conn.conditions():
            lines[0] = "RTSP/1.0 404 Stream Not Found"  # the port answers; the encoder does not
        elif method == "DESCRIBE":
            body = (
                "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=lab stream\r\n"
                "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
            )
            lines += ["Content-Type: application/sdp", f"Content-Length: {len(body)}"]
        else:
            lines[0] = "RTSP/1.0 455 Method Not Valid in This State"
        await conn.send(("\r\n".join(lines) + "\r\n\r\n" + body).encode("latin-1"))


PJLINK_ANSWERS = {
    "POWR": "1",  # lamp on
    "INPT": "31",
    "AVMT": "30",
    "ERST": "000000",
    "LAMP": "1873 1",
    "CLSS": "1",
    "INST": "11 31 32",
}


async def pjlink(conn: Conn) -> None:
    """PJLink class 1 without authentication: banner, then `%1XXXX ?` queries."""
    await conn.send(b"PJLINK 0\r")
    while line := await conn.read_until(b"\r"):
        text = line.decode("latin-1").strip()
        match = re.fullmatch(r"%1([A-Z0-9]{4}) ?(.*)", text)
        if match is None:
            await conn.send(b"PJLINK ERRA\r")
            continue
        command, param = match.groups()
        info = {
            "NAME": conn.device.name,
            "INF1": conn.device.vendor,
            "INF2": conn.device.model,
            "INFO": f"firmware {conn.device.firmware}",
        }
        value = info.get(command, PJLINK_ANSWERS.get(command))
        if "lamp-error" in conn.conditions() and command in ("ERST", "LAMP", "POWR"):
            # the lamp failed: error status lamp digit 2, lamp off, projector standing by
            value = {"ERST": "020000", "LAMP": "1873 0", "POWR": "0"}[command]
        if value is None:
            reply = "ERR1"  # undefined command
        elif param.strip() != "?":
            reply = "OK" if command in ("POWR", "INPT", "AVMT") else "ERR2"
        else:
            reply = value
        await conn.send(f"%1{command}={reply}\r".encode("latin-1"))


def console_prompt(device: DevicePlan) -> tuple[str, str]:
    """(banner, prompt) of a device's control console, after the real products."""
    if device.kind == DeviceKind.LIGHTING_PROCESSOR:
        return "login: ", "GNET> "
    if device.kind == DeviceKind.SHADE_CONTROLLER:
        return "QSE>", "QSE>"
    if device.kind == DeviceKind.DISPLAY:
        return f"DISPLAY {device.model} READY\r\n", "> "
    short = device.model.split("-", 1)[0].split(" ", 1)[0]
    return f"\r\n{device.vendor} {device.model} Console\r\n{short}>", f"{short}>"


async def console(conn: Conn) -> None:
    """A telnet-ish control port: a banner, then a prompt after each line typed."""
    banner, prompt = console_prompt(conn.device)
    await conn.send(banner.encode("latin-1"))
    while line := await conn.read_until(b"\n"):
        command = line.decode("latin-1").strip().lower()
        reply = (
            f"{conn.device.model} firmware {conn.device.firmware}\r\n" if command == "ver" else ""
        )
        await conn.send(f"{reply}{prompt}".encode("latin-1"))


async def silent(conn: Conn) -> None:
    """Accepts and waits for the client to speak first and go away (SMB, for example)."""
    while await conn.read_until(b"\n"):
        pass


async def dns_tcp(conn: Conn) -> None:
    """DNS over TCP: two-byte length, message; answered from the same zone as UDP."""
    while True:
        try:
            async with asyncio.timeout(IDLE_S):
                size = struct.unpack("!H", await conn.reader.readexactly(2))[0]
                query = await conn.reader.readexactly(size)
        except (asyncio.IncompleteReadError, TimeoutError):
            return
        reply = lab_dns.answer(query, conn.zone)
        if reply is None:
            return
        await conn.send(struct.pack("!H", len(reply)) + reply)


SERVICES: dict[str, Handler] = {
    "http": http,
    "https": https,
    "rtsp": rtsp,
    "pjlink": pjlink,
    "dns": dns_tcp,  # the UDP half is lab.dns.UdpDns
    "smb": silent,
    "ipp": http,  # IPP rides on HTTP; a GET shows the printer's page
    "control": console,
    "sonos": http,  # a Sonos player's description on port 1400
}
