"""The one UDP socket (per address family) that carries every request of a client, and the
table that matches answers to requests by request-id (v1/v2c) or msgID (v3).

Why one socket: a socket per request costs a file descriptor and system calls each, and a
burst of them is how pysnmp lost a quarter of its answers at 500 requests in flight. Here a
datagram is decoded once and looked up in a dict. Anything that matches no waiting request
— an unknown id, the wrong source, version or community, a late answer to a request that
gave up — is dropped and counted, never raised: a hostile network cannot crash the loop.

Why not asyncio's datagram transport: it reads one datagram per readiness event, so every
answer costs a pass of the event loop. The socket here is non-blocking and watched with
`loop.add_reader`; one wakeup reads every waiting datagram (up to `READ_BATCH`), and a send
is a plain `sendto`, queued only when the kernel's buffer is full. Likewise, timeouts are
not a timer handle per attempt: each attempt appends its deadline to a queue (one queue per
timeout value, so each stays in deadline order) and one timer, coalesced to `SWEEP_SLACK`,
expires what is due. An attempt therefore gives up between its timeout and `SWEEP_SLACK`
later.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .errors import SnmpAuthError, SnmpClosedError, SnmpDecodeError, SnmpTimeout
from .message import CommunityMessage, V3Message, Version, decode_message, peek_id
from .pdu import Pdu, PduType
from .session import V3Request, open_discovery_reply, open_reply

# Request-ids are drawn from MIN_ID..MAX_ID, where every value encodes in exactly 4 octets:
# a request's datagram then has the same length whatever its id (see `client.py`).
MIN_ID = 1 << 23
MAX_ID = (1 << 31) - 1
READ_BATCH = 64  # datagrams read per wakeup at most, so other callbacks still get their turn
RECV_SIZE = 65535  # larger than any UDP payload
SEND_QUEUE = 10_000  # datagrams waiting for buffer space at most; beyond, dropped (timeout)
SWEEP_SLACK = 0.01  # seconds an expiry may run late, so one timer serves many deadlines
Address = tuple[str, int]
Reply = tuple[V3Message | None, Pdu]


@dataclass(slots=True)
class ClientStats:
    """Counters for debugging and /metrics: what was sent, and what became of answers."""

    sent: int = 0  # datagrams, retransmissions and discovery included
    retransmits: int = 0
    received: int = 0
    dropped: int = 0  # matched no waiting request (unknown id, wrong source, late, ...)
    malformed: int = 0  # not valid SNMP
    auth_failures: int = 0  # v3: wrong digest or outside the time window: dropped
    timeouts: int = 0  # requests that used up their retries
    resyncs: int = 0  # v3: engine discoveries and time-window resynchronisations


class Pending:
    """A request waiting for its answer; its future is replaced on each attempt, and
    `attempt` tells the expiry sweep whether a deadline is still the current one."""

    __slots__ = ("addr", "attempt", "community", "future", "v3", "version")

    def __init__(
        self, addr: Address, version: Version, community: bytes, v3: V3Request | None
    ) -> None:
        self.addr = addr
        self.version = version
        self.community = community
        self.v3 = v3  # None for v1/v2c, and for v3 engine discovery
        self.future: asyncio.Future[Reply | None] | None = None
        self.attempt = 0


Build = Callable[[int], tuple[int, bytes]] | tuple[int, bytes]


class Dispatcher:
    def __init__(self, recv_buffer: int) -> None:
        self.stats = ClientStats()
        self.closed = False
        self._recv_buffer = recv_buffer
        self._pending: dict[int, Pending] = {}
        self._sockets: dict[int, socket.socket] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._unsent: dict[int, deque[tuple[bytes, Address]]] = {}
        self._next_id = MIN_ID + secrets.randbelow(MAX_ID - MIN_ID)
        # Deadlines of attempts, one queue per timeout value (each in deadline order).
        self._deadlines: dict[float, deque[tuple[float, Pending, int]]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf

    def new_id(self) -> int:
        """A request-id/msgID in MIN_ID..MAX_ID that no waiting request uses."""
        pending = self._pending
        while True:
            rid = self._next_id + 1 if self._next_id < MAX_ID else MIN_ID
            self._next_id = rid
            if rid not in pending:
                return rid

    async def exchange(self, pending: Pending, wait: float, retries: int, build: Build) -> Reply:
        """Send and wait, retrying. `build(fresh_id)` gives (id to match, datagram) for each
        attempt: v3 takes a fresh msgID (RFC 3412 §6.2) and timestamp. v1/v2c pass the
        (request-id, datagram) pair instead and keep it, so a late answer to the first
        attempt still completes the second."""
        addr = pending.addr
        sock = self.socket_for(socket.AF_INET6 if ":" in addr[0] else socket.AF_INET)
        loop = self._loop
        assert loop is not None  # set with the first socket
        stats = self.stats
        keys: list[int] = []
        try:
            for attempt in range(retries + 1):
                key, data = build if isinstance(build, tuple) else build(self.new_id())
                if key not in self._pending:
                    keys.append(key)
                    self._pending[key] = pending
                future: asyncio.Future[Reply | None] = loop.create_future()
                pending.future = future
                pending.attempt = attempt
                self._expire_after(loop, wait, pending, attempt)
                self._send(sock, data, addr)
                stats.sent += 1
                if attempt:
                    stats.retransmits += 1
                reply = await future
                if reply is not None:
                    return reply
            stats.timeouts += 1
            raise SnmpTimeout(f"no answer from {addr[0]}:{addr[1]} after {retries + 1} attempts")
        finally:
            pending.future = None  # what the deadline queue keeps must not hold the reply
            for key in keys:
                del self._pending[key]

    # --- answers ---------------------------------------------------------------------------

    def on_datagram(self, data: bytes, addr: Address) -> None:
        self.stats.received += 1
        try:
            msg = decode_message(data)
        except SnmpDecodeError as err:
            self.stats.malformed += 1
            pending = self._pending.get(peek_id(data) or -1)
            if pending and pending.addr == addr and pending.version is not Version.V3:
                _settle(pending, err)  # a broken answer to our request: fail it now
            return
        if isinstance(msg, CommunityMessage):
            self._on_community(msg, addr)
            return
        pending = self._pending.get(msg.msg_id)
        if pending is None or pending.addr != addr or pending.version is not Version.V3:
            self.stats.dropped += 1
            return
        try:
            if pending.v3 is None:
                answer = open_discovery_reply(msg)
            else:
                answer = open_reply(msg, pending.v3, time.monotonic())
        except SnmpAuthError:
            self.stats.auth_failures += 1
            return
        except SnmpDecodeError as err:
            self.stats.malformed += 1
            _settle(pending, err)
            return
        if answer is None or not _settle(pending, (msg, answer)):
            self.stats.dropped += 1

    def _on_community(self, msg: CommunityMessage, addr: Address) -> None:
        pdu = msg.pdu
        if not isinstance(pdu, Pdu) or pdu.type is not PduType.RESPONSE:
            self.stats.dropped += 1
            return
        pending = self._pending.get(pdu.request_id)
        if (
            pending is None
            or pending.addr != addr
            or pending.version != msg.version
            or pending.community != msg.community
        ):
            self.stats.dropped += 1
            return
        if not _settle(pending, (None, pdu)):
            self.stats.dropped += 1

    # --- timeouts --------------------------------------------------------------------------

    def _expire_after(
        self, loop: asyncio.AbstractEventLoop, wait: float, pending: Pending, attempt: int
    ) -> None:
        deadline = loop.time() + wait
        queue = self._deadlines.get(wait)
        if queue is None:
            queue = self._deadlines[wait] = deque()
        queue.append((deadline, pending, attempt))
        if deadline + SWEEP_SLACK < self._timer_at:
            self._arm(loop, deadline + SWEEP_SLACK)

    def _arm(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_at(when, self._sweep)
        self._timer_at = when

    def _sweep(self) -> None:
        """Expire every attempt whose deadline has passed; re-arm for the next one."""
        self._timer, self._timer_at = None, math.inf
        loop = self._loop
        if loop is None or self.closed:
            return
        now = loop.time()
        earliest = math.inf
        for wait, queue in list(self._deadlines.items()):
            while queue and queue[0][0] <= now:
                _, pending, attempt = queue.popleft()
                future = pending.future
                if pending.attempt == attempt and future is not None and not future.done():
                    future.set_result(None)
            if queue:
                earliest = min(earliest, queue[0][0])
            else:
                del self._deadlines[wait]
        if earliest < math.inf:
            self._arm(loop, earliest + SWEEP_SLACK)

    # --- the sockets -----------------------------------------------------------------------

    def socket_for(self, family: int) -> socket.socket:
        """The client's socket for `family` (AF_INET or AF_INET6), opened on first use."""
        sock = self._sockets.get(family)
        if sock is not None:
            return sock
        if self.closed:
            raise SnmpClosedError("the SNMP client is closed")
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            # A deep receive queue: a burst of answers waits for the loop instead of being lost.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self._recv_buffer)
            sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))  # noqa: S104
            loop.add_reader(sock.fileno(), self._read, sock)
        except BaseException:
            sock.close()
            raise
        self._sockets[family] = sock
        return sock

    def _read(self, sock: socket.socket) -> None:
        """Every datagram waiting on `sock`, up to READ_BATCH: one loop pass for a burst."""
        recvfrom = sock.recvfrom
        on_datagram = self.on_datagram
        for _ in range(READ_BATCH):
            try:
                data, addr = recvfrom(RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # an ICMP error names no request; the timeout handles it
            on_datagram(data, addr if len(addr) == 2 else (addr[0], addr[1]))

    def _send(self, sock: socket.socket, data: bytes, addr: Address) -> None:
        unsent = self._unsent.get(sock.fileno())
        if unsent:
            if len(unsent) < SEND_QUEUE:
                unsent.append((data, addr))
            return
        try:
            sock.sendto(data, addr)
        except (BlockingIOError, InterruptedError):
            self._queue(sock, data, addr)
        except OSError:
            pass  # unreachable and the like: the attempt times out, as a lost datagram would

    def _queue(self, sock: socket.socket, data: bytes, addr: Address) -> None:
        fd = sock.fileno()
        self._unsent[fd] = deque([(data, addr)])
        assert self._loop is not None
        self._loop.add_writer(fd, self._flush, sock)

    def _flush(self, sock: socket.socket) -> None:
        """Send what waited for buffer space, in order, until the kernel pushes back."""
        fd = sock.fileno()
        unsent = self._unsent.get(fd)
        while unsent:
            data, addr = unsent[0]
            try:
                sock.sendto(data, addr)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                pass
            unsent.popleft()
        self._unsent.pop(fd, None)
        assert self._loop is not None
        self._loop.remove_writer(fd)

    async def close(self) -> None:
        """Fail every waiting request and close the sockets."""
        self.closed = True
        for pending in self._pending.values():
            _settle(pending, SnmpClosedError("the SNMP client was closed"))
        if self._timer is not None:
            self._timer.cancel()
            self._timer, self._timer_at = None, math.inf
        self._deadlines.clear()
        sockets, self._sockets = list(self._sockets.values()), {}
        loop = self._loop
        for sock in sockets:
            if loop is not None and not loop.is_closed():
                loop.remove_reader(sock.fileno())
                if self._unsent.pop(sock.fileno(), None) is not None:
                    loop.remove_writer(sock.fileno())
            sock.close()


def _settle(pending: Pending, outcome: Reply | BaseException) -> bool:
    """Complete the request's current attempt; False when it is already complete (a second
    answer read in the same batch as the first, before the request's task has run)."""
    future = pending.future
    if future is None or future.done():
        return False
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
    return True
