"""Real servers on 127.0.0.1 for the probe tests, and certificates minted to order.

Every server binds port 0 and is closed by `Listeners.close()`; handlers that "hang" wait
on `Listeners.release`, so teardown ends them instead of leaving tasks behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import socket
import ssl
import struct
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import cast

import dns.message
import dns.rcode
import dns.rrset
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LOOPBACK = "127.0.0.1"
SLOW = 0.3  # seconds a "slow" server waits: well inside every deadline the tests give
SLACK = 0.5  # how far past its deadline a probe may return (scheduling, polite close)

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, asyncio.Event], Awaitable[None]]

# --- certificates -------------------------------------------------------------------------


def self_signed(directory: Path, name: str, *, days: float) -> ssl.SSLContext:
    """A server context with a self-signed certificate for 127.0.0.1/localhost that
    expires `days` from now (negative: already expired)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    not_after = now + datetime.timedelta(days=days)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"sitekeeper test {name}")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(min(now, not_after) - datetime.timedelta(days=30))
        .not_valid_after(not_after)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(LOOPBACK))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / f"{name}.crt", directory / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


# --- TCP handlers -------------------------------------------------------------------------


def hang() -> Handler:
    """Accept and never say a word."""

    async def handle(
        _r: asyncio.StreamReader, _w: asyncio.StreamWriter, release: asyncio.Event
    ) -> None:
        await release.wait()

    return handle


def say(data: bytes, *, delay: float = 0.0, then_close: bool = False) -> Handler:
    """Send `data` after `delay`; then close, or hold the connection open."""

    async def handle(
        _r: asyncio.StreamReader, writer: asyncio.StreamWriter, release: asyncio.Event
    ) -> None:
        await asyncio.sleep(delay)
        writer.write(data)
        await writer.drain()
        if not then_close:
            await release.wait()

    return handle


def rtsp(requests: list[bytes]) -> Handler:
    """Answer one RTSP request (recorded in `requests`) like a camera would."""

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, release: asyncio.Event
    ) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        requests.append(request)
        writer.write(b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n")
        await writer.drain()
        await release.wait()

    return handle


def answer(
    reply: bytes,
    *,
    requests: list[bytes] | None = None,
    delay: float = 0.0,
    then: str = "close",
) -> Handler:
    """Read a request head (kept in `requests`), send `reply` after `delay`; then "close",
    "hold" the connection open, or "reset" it (a TCP RST)."""

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, release: asyncio.Event
    ) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        if requests is not None:
            requests.append(head)
        await asyncio.sleep(delay)
        writer.write(reply)
        await writer.drain()
        if then == "hold":
            await release.wait()
        elif then == "reset":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()

    return handle


# --- DNS ----------------------------------------------------------------------------------

ZONE = {"cam.site.test.": ["10.0.0.2", "10.0.0.1"], "slow.site.test.": ["10.0.0.3"]}


def dns_reply(wire: bytes) -> tuple[float, bytes] | None:
    """(delay, reply) for a query, or None for "no reply at all"."""
    query = dns.message.from_wire(wire)
    name = query.question[0].name.to_text()
    if name == "silent.site.test.":
        return None
    response = dns.message.make_response(query)
    if name in ZONE:
        response.answer.append(dns.rrset.from_text_list(name, 60, "IN", "A", ZONE[name]))
    elif name == "broken.site.test.":
        response.set_rcode(dns.rcode.SERVFAIL)
    else:
        response.set_rcode(dns.rcode.NXDOMAIN)
    return (SLOW if name.startswith("slow.") else 0.0), response.to_wire()


class DnsUdp(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.pending: list[asyncio.TimerHandle] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # In 3.11 the selector's datagram transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, int]) -> None:
        reply = dns_reply(data)
        if reply is not None and self.transport is not None:
            delay, wire = reply
            handle = asyncio.get_running_loop().call_later(delay, self.transport.sendto, wire, addr)
            self.pending.append(handle)


def dns_over_tcp() -> Handler:
    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, release: asyncio.Event
    ) -> None:
        (length,) = struct.unpack("!H", await reader.readexactly(2))
        reply = dns_reply(await reader.readexactly(length))
        if reply is None:
            await release.wait()
            return
        delay, wire = reply
        await asyncio.sleep(delay)
        writer.write(struct.pack("!H", len(wire)) + wire)
        await writer.drain()

    return handle


# --- HTTP ---------------------------------------------------------------------------------

BIG = 2 * 1024 * 1024
DOCUMENT = {"status": {"ok": True, "code": 200}, "items": [{"name": "cam1"}, {"name": "cam2"}]}


def http_app(release: asyncio.Event) -> web.Application:
    async def ok(_: web.Request) -> web.Response:
        return web.Response(text="hello from sitekeeper")

    async def status(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="status page")

    async def document(_: web.Request) -> web.Response:
        return web.json_response(DOCUMENT)

    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(SLOW)
        return web.Response(text="slow but fine")

    async def hanging(_: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="too late")

    async def redirect(_: web.Request) -> web.Response:
        raise web.HTTPFound("/ok")

    async def big(_: web.Request) -> web.Response:
        return web.Response(body=b"x" * BIG)

    async def echo(request: web.Request) -> web.Response:
        return web.Response(text=f"{request.method} {request.host} {await request.text()}")

    app = web.Application()
    app.router.add_get("/ok", ok)
    app.router.add_get("/status/{code}", status)
    app.router.add_get("/json", document)
    app.router.add_get("/slow", slow)
    app.router.add_get("/hang", hanging)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/big", big)
    app.router.add_route("*", "/echo", echo)
    return app


# --- the harness --------------------------------------------------------------------------


class Listeners:
    """Starts servers for one test and closes every one of them afterwards."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self._servers: list[asyncio.Server] = []
        self._writers: set[asyncio.StreamWriter] = set()
        self._runners: list[web.AppRunner] = []
        self._udp: list[DnsUdp] = []

    async def tcp(self, handler: Handler, *, tls: ssl.SSLContext | None = None) -> int:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self._writers.add(writer)
            try:
                await handler(reader, writer, self.release)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                pass  # the probe hung up; that is its right
            finally:
                writer.close()

        server = await asyncio.start_server(serve, LOOPBACK, 0, ssl=tls)
        self._servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    async def http(self, *, tls: ssl.SSLContext | None = None, host: str = LOOPBACK) -> int:
        runner = web.AppRunner(http_app(self.release), shutdown_timeout=1.0, access_log=None)
        await runner.setup()
        self._runners.append(runner)
        await web.TCPSite(runner, host, 0, ssl_context=tls).start()
        return int(runner.addresses[0][1])

    async def dns_udp(self) -> int:
        transport, protocol = await asyncio.get_running_loop().create_datagram_endpoint(
            DnsUdp, local_addr=(LOOPBACK, 0)
        )
        self._udp.append(protocol)
        return int(transport.get_extra_info("sockname")[1])

    async def close(self) -> None:
        self.release.set()
        for protocol in self._udp:
            for pending in protocol.pending:
                pending.cancel()
            if protocol.transport is not None:
                protocol.transport.close()
        for runner in self._runners:
            await runner.cleanup()
        for server in self._servers:
            server.close()
            await server.wait_closed()
        for writer in self._writers:
            writer.close()
        for writer in self._writers:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1.0):
                    await writer.wait_closed()
