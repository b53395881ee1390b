"""One simulated device: its listeners, its open connections, and how faults reach them.

Down means the listeners are closed, so a connect is *refused* (and DNS over UDP gets no
reply) - exactly what a prober sees of a dead box - and connections already open are cut.
Degraded means every reply waits the latency, and a `loss_pct` share of connections (or
DNS queries) gets no reply at all: the client waits until its own timeout, as it would on
a lossy link, instead of being told something clean like "connection reset". The `snmp`
port is UDP only: a `lab.snmp_agent.SnmpAgent` answering from the device's MIB view, which
the device rebuilds at most once a second, and at once when a condition changes. A device
tagged `mqtt:<dialect>` is up while it is connected to the lab's broker (lab.mqtt_devices).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import random
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, cast

from sitekeeper.errors import LabError
from sitekeeper.lab import mibs
from sitekeeper.lab.conditions import History
from sitekeeper.lab.dns import UdpDns
from sitekeeper.lab.faults import UP, Effect
from sitekeeper.lab.mib_core import DeviceState, View
from sitekeeper.lab.mqtt_devices import MqttDevice, MqttSite
from sitekeeper.lab.plan import DevicePlan
from sitekeeper.lab.services import IDLE_S, SERVICES, Conn, Handler
from sitekeeper.lab.snmp_agent import LAB_COMMUNITY, SnmpAgent

CLOSE_WAIT_S = 1.0
MIB_CACHE_S = 1.0  # a walk reads one view, not one per request (real agents cache too)

StartCallback = Callable[[asyncio.StreamReader, asyncio.StreamWriter], None]


@dataclass(frozen=True, slots=True)
class Shared:
    """What every device of one lab shares: the TLS context and the DNS zone, and for SNMP
    the site's contact and location, what each device feeds, and where traps go."""

    tls: ssl.SSLContext | None
    zone: dict[str, str]
    contact: str = ""
    location: str = ""
    downstream: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    trap_to: tuple[str, int] | None = None
    community: bytes = LAB_COMMUNITY
    mqtt: MqttSite | None = None  # the broker the MQTT devices publish to


class _Closable(Protocol):
    def close(self) -> None: ...


class SimDevice:
    def __init__(self, plan: DevicePlan, shared: Shared) -> None:
        self.plan = plan
        self._shared = shared
        self.effect: Effect = UP
        self.changed_at = time.time()  # when `effect.state` last changed
        self._up_since = time.monotonic()
        self._servers: list[asyncio.Server] = []
        self._udp: list[_Closable] = []
        self._agent: SnmpAgent | None = None
        self._mqtt: MqttDevice | None = None
        self._view: tuple[float, int, View] | None = None  # (built at, history version, view)
        self._conns: set[_Accepted] = set()  # from their accept until they are closed
        self._tasks: set[asyncio.Task[None]] = set()  # their handlers
        self.conditions: set[str] = set()  # inside faults: "on-battery", "port-down:7", ...
        self.history = History()  # when each condition came on and went off

    @property
    def listening(self) -> bool:
        return bool(self._servers or self._udp or self._mqtt)

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
                if service == "snmp":
                    await self._open_snmp(loop, port, what)
                    continue
                sock = bind(self.plan.address, port, socket.SOCK_STREAM, what)
                start = self._handler(SERVICES[service])
                kind = _HoldFirstBytes if service == "https" else _Accepted
                server = await loop.create_server(_accepted(kind, self._conns, start), sock=sock)
                self._servers.append(server)
                if service == "dns":
                    udp_sock = bind(self.plan.address, port, socket.SOCK_DGRAM, f"{what} (udp)")
                    protocol = UdpDns(self._shared.zone, self.latency_s, self.drops)
                    await loop.create_datagram_endpoint(_same(protocol), sock=udp_sock)
                    self._udp.append(protocol)
            if self._shared.mqtt is not None:
                conditions = lambda: frozenset(self.conditions)  # noqa: E731
                self._mqtt = await self._shared.mqtt.start_device(self.plan, conditions)
        except BaseException:
            await self.close()
            raise
        self._up_since = time.monotonic()
        self.history.reboot(self._up_since)  # a device that comes back has rebooted
        self._view = None

    async def _open_snmp(self, loop: asyncio.AbstractEventLoop, port: int, what: str) -> None:
        sock = bind(self.plan.address, port, socket.SOCK_DGRAM, f"{what} (udp)")
        agent = SnmpAgent(self.mib_view, self.latency_s, self.drops, self._shared.community)
        await loop.create_datagram_endpoint(lambda: agent, sock=sock)
        self._udp.append(agent)
        self._agent = agent

    # -- SNMP --------------------------------------------------------------------------

    def mib_state(self) -> DeviceState:
        now = time.monotonic()
        return DeviceState(
            uptime_s=now - self._up_since,
            conditions=self.history.seen(now),
            downstream=self._shared.downstream.get(self.plan.id, ()),
            contact=self._shared.contact,
            location=self._shared.location,
        )

    def mib_view(self) -> View:
        """The device's MIB now; rebuilt at most every MIB_CACHE_S, and at once when a
        condition changes."""
        now = time.monotonic()
        cached = self._view
        if (
            cached is not None
            and now - cached[0] < MIB_CACHE_S
            and cached[1] == self.history.version
        ):
            return cached[2]
        view = mibs.view(self.plan, self.mib_state())
        self._view = (now, self.history.version, view)
        return view

    def set_condition(self, key: str, on: bool) -> None:
        """Turn a condition on or off; an SNMP device says so with a trap."""
        if on:
            self.conditions.add(key)
        else:
            self.conditions.discard(key)
        if self.history.set(key, on, time.monotonic()):
            self._trap(key, on)
            if self._mqtt is not None:
                self._mqtt.poke()

    def clear_conditions(self) -> None:
        self.conditions.clear()
        for key in self.history.clear(time.monotonic()):
            self._trap(key, False)
        if self._mqtt is not None:
            self._mqtt.poke()

    def _trap(self, key: str, on: bool) -> None:
        to = self._shared.trap_to
        if self._agent is None or to is None or not self.listening:
            return  # a device that is down sends nothing
        state = self.mib_state()
        note = mibs.notification(self.plan, state, key, on)
        if note is not None:
            self._agent.send_trap(to, state.ticks(state.uptime_s), *note)

    async def close(self) -> None:
        """Stop listening and cut every open connection: when this returns, every
        connection the device accepted is closed, and its handler is done."""
        servers, self._servers = self._servers, []
        udp, self._udp = self._udp, []
        mqtt, self._mqtt = self._mqtt, None
        self._agent = None
        if mqtt is not None:
            await mqtt.stop()
        await _stop_accepting(servers)
        for protocol in udp:
            protocol.close()
        conns, tasks = list(self._conns), list(self._tasks)
        for conn in conns:
            conn.cut()
        for task in tasks:
            task.cancel()
        if conns or tasks:
            await asyncio.wait([*(conn.lost for conn in conns), *tasks], timeout=CLOSE_WAIT_S)
        for server in servers:
            await server.wait_closed()

    def _handler(self, handler: Handler) -> StartCallback:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
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
                await _finish(writer, graceful=graceful)

        def start(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # the device holds the task from its creation, so `close` also cancels one that
            # has not run yet
            task = asyncio.get_running_loop().create_task(serve(reader, writer))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        return start

    def _uptime(self) -> float:
        return time.monotonic() - self._up_since


class _Accepted(asyncio.StreamReaderProtocol):
    """One accepted connection. Its device holds it from the moment the loop accepts it
    (before `connection_made`) until its transport is closed, so that `SimDevice.close` can
    cut every connection, even one the loop has not handed over yet, and wait for it."""

    def __init__(self, conns: set[_Accepted], start: StartCallback) -> None:
        super().__init__(asyncio.StreamReader(), start)
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._transport_made: asyncio.Transport | None = None
        self._cut = False
        self._conns = conns
        conns.add(self)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport_made = cast(asyncio.Transport, transport)
        if self._cut:
            self._transport_made.abort()  # the device went down before the loop got here
            return
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._conns.discard(self)
        if not self.lost.done():
            self.lost.set_result(None)

    def cut(self) -> None:
        self._cut = True
        if self._transport_made is not None:
            self._transport_made.abort()


class _HoldFirstBytes(_Accepted):
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


def _accepted(
    kind: type[_Accepted], conns: set[_Accepted], start: StartCallback
) -> Callable[[], _Accepted]:
    return lambda: kind(conns, start)


async def _stop_accepting(servers: list[asyncio.Server]) -> None:
    """Close the listeners without losing a connection halfway through its accept.

    asyncio's own loop accepts a connection in one iteration and builds its transport in a
    later one; a `Server.close()` in between makes that build fail (an AssertionError in
    `Server._attach`, CPython issue 109564) and leaves the half-built transport, its socket
    open, to the garbage collector. So: stop reading the listening sockets, let the builds
    under way finish (their connections are then the device's to cut), and only then close.
    """
    if not servers:
        return
    loop = asyncio.get_running_loop()
    for server in servers:
        for sock in server.sockets:
            with contextlib.suppress(NotImplementedError):  # a loop that accepts otherwise
                loop.remove_reader(sock)
    await asyncio.sleep(0)
    for server in servers:
        server.close()


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
