"""One simulated device: its listeners, its open connections, and how faults reach them.

Down means the listeners are closed, so a connect is *refused* (and DNS over UDP gets no
reply) - exactly what a prober sees of a dead box - and connections already open are cut.
Degraded means every reply waits the latency, and a `loss_pct` share of connections (or
DNS queries) gets no reply at all: the client waits until its own timeout, as it would on
a lossy link, instead of being told something clean like "connection reset".
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import random
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import cast

from sitekeeper.errors import LabError
from sitekeeper.lab.dns import UdpDns
from sitekeeper.lab.faults import UP, Effect
from sitekeeper.lab.plan import DevicePlan
from sitekeeper.lab.services import IDLE_S, SERVICES, Conn, Handler

CLOSE_WAIT_S = 1.0

StreamCallback = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Shared:
    """What every device of one lab shares: the TLS context and the DNS zone."""

    tls: ssl.SSLContext | None
    zone: dict[str, str]


class SimDevice:
    def __init__(self, plan: DevicePlan, shared: Shared) -> None:
        self.plan = plan
        self._shared = shared
        self.effect: Effect = UP
        self.changed_at = time.time()  # when `effect.state` last changed
        self._up_since = time.monotonic()
        self._servers: list[asyncio.Server] = []
        self._udp: list[UdpDns] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self.conditions: set[str] = set()  # inside faults: "on-battery", "port-down:7", ...

    @property
    def listening(self) -> bool:
        return bool(self._servers or self._udp)

    def set_effect(self, effect: Effect) -> None:
        if effect.state != self.effect.state:
            self.changed_at = time.time()
        self.effect = effect

    def latency_s(self) -> float:
        return self.effect.latency_ms / 1000.0

    def drops(self) -> bool:
        return self.effect.loss_pct > 0 and random.random() * 100.0 < self.effect.loss_pct

    async def open(self) -> None:
        """Listen on every port; on any failure close what was opened and raise LabError."""
        if self.listening:
            return
        loop = asyncio.get_running_loop()
        try:
            for service, port in self.plan.ports.items():
                what = f"{self.plan.id} {service}"
                sock = bind(self.plan.address, port, socket.SOCK_STREAM, what)
                callback = self._handler(SERVICES[service])
                if service == "https":
                    server = await loop.create_server(_held(callback), sock=sock)
                else:
                    server = await asyncio.start_server(callback, sock=sock)
                self._servers.append(server)
                if service == "dns":
                    udp_sock = bind(self.plan.address, port, socket.SOCK_DGRAM, f"{what} (udp)")
                    protocol = UdpDns(self._shared.zone, self.latency_s, self.drops)
                    await loop.create_datagram_endpoint(_same(protocol), sock=udp_sock)
                    self._udp.append(protocol)
        except BaseException:
            await self.close()
            raise
        self._up_since = time.monotonic()

    async def close(self) -> None:
        """Stop listening and cut every open connection."""
        servers, self._servers = self._servers, []
        udp, self._udp = self._udp, []
        for server in servers:
            server.close()
        for protocol in udp:
            protocol.close()
        # A connection accepted just before the close may have its handler task scheduled
        # but not started: let such tasks start (they see `_closing` and hang up at once),
        # so no transport outlives the device.
        self._closing = True
        for _ in range(3):
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.sleep(0)
            if not self._tasks:
                break
        for server in servers:
            await server.wait_closed()
        self._closing = False

    def _handler(self, handler: Handler) -> StreamCallback:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            if self._closing or not self._servers:
                await _finish(writer, graceful=False)  # the device went down meanwhile
                return
            self._tasks.add(task)
            graceful = False
            try:
                if self.drops():
                    await _ignore(reader, writer)
                else:
                    conn = Conn(
                        self.plan,
                        reader,
                        writer,
                        self.latency_s,
                        self._uptime,
                        self._shared.tls,
                        self._shared.zone,
                        lambda: frozenset(self.conditions),
                    )
                    await handler(conn)
                graceful = True
            except asyncio.CancelledError:
                pass  # the device went down: the connection is cut below
            except (OSError, ssl.SSLError, EOFError, UnicodeError):
                pass  # the client went away or spoke nonsense; a device shrugs
            finally:
                self._tasks.discard(task)
                await _finish(writer, graceful=graceful)

        return serve

    def _uptime(self) -> float:
        return time.monotonic() - self._up_since


class _HoldFirstBytes(asyncio.StreamReaderProtocol):
    """Leaves what the client sends first (a TLS ClientHello) in the socket until the
    handler starts TLS. HTTPS handshakes by hand, after the device's latency; bytes read
    into the stream buffer meanwhile would never reach the TLS layer and the handshake
    would hang."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        cast(asyncio.Transport, transport).pause_reading()  # start_tls resumes it
        super().connection_made(transport)

    def eof_received(self) -> bool:
        # A client that hangs up mid-handshake delivers EOF before the stream knows it is
        # TLS; asking to keep the half-open transport then only earns an asyncio warning.
        super().eof_received()
        return False


def _held(callback: StreamCallback) -> Callable[[], _HoldFirstBytes]:
    return lambda: _HoldFirstBytes(asyncio.StreamReader(), callback)


def _same(protocol: UdpDns) -> Callable[[], UdpDns]:
    return lambda: protocol


async def _ignore(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A lost connection: never answer, wait for the client to give up."""
    cast(asyncio.Transport, writer.transport).resume_reading()  # HTTPS holds it paused
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(IDLE_S):
            while await reader.read(4096):
                pass


async def _finish(writer: asyncio.StreamWriter, *, graceful: bool) -> None:
    if not graceful:
        writer.transport.abort()
        return
    writer.close()
    try:
        async with asyncio.timeout(CLOSE_WAIT_S):
            await writer.wait_closed()
    except (OSError, ssl.SSLError, TimeoutError, asyncio.CancelledError):
        writer.transport.abort()


def bind(address: str, port: int, kind: socket.SocketKind, what: str) -> socket.socket:
    """A bound (and, for TCP, listening) non-blocking socket, or a LabError that names the
    address and port and says what to do."""
    sock = socket.socket(socket.AF_INET, kind)
    try:
        if kind == socket.SOCK_STREAM:
            # lets a recovered device listen again while old connections sit in TIME_WAIT;
            # not for UDP, where on Linux it would let two labs share a port silently
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        if kind == socket.SOCK_STREAM:
            sock.listen(128)
        sock.setblocking(False)
    except OSError as err:
        sock.close()
        raise LabError(bind_message(address, port, what, err)) from err
    return sock


def bind_message(address: str, port: int, what: str, err: OSError) -> str:
    where = f"{address}:{port} ({what})"
    if err.errno == errno.EADDRINUSE:
        return (
            f"{where} is already in use: another lab or program is listening there. "
            "Stop it (`sitekeeper lab status` shows a running lab), or start the lab "
            "on other ports."
        )
    if err.errno == errno.EADDRNOTAVAIL:
        return (
            f"cannot listen on {where}: this system does not answer on {address} "
            "(macOS answers only on 127.0.0.1 unless aliases are added); let the lab fall "
            "back to 127.0.0.1 with distinct ports"
        )
    if err.errno == errno.EACCES:
        return f"not permitted to listen on {where}; use a port above 1024"
    return f"cannot listen on {where}: {err.strerror or err}"
