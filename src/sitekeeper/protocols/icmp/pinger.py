"""The pinger: ICMP echo over one socket per address family, shared by every ping of a process.

    pinger = Pinger(privileged=False)       # ping sockets; True: raw sockets
    result = await pinger.ping("192.0.2.7", count=3, interval=0.2, wait=2.0)
    result.packets_received, result.avg_rtt  # milliseconds
    await pinger.close()

Why one socket: a socket per ping costs a file descriptor, a bind and a handful of system
calls per echo, about four times the CPU of fping. Here an echo is one `sendto`, and its reply
is one `recvfrom` and a dict lookup.

Two kinds of socket, chosen by the caller (see `sitekeeper.probes.icmp` for how):
- Ping sockets (SOCK_DGRAM, IPPROTO_ICMP), allowed without privilege when the process's group
  is in `net.ipv4.ping_group_range`. The kernel computes the checksum, rewrites the echo
  identifier to the socket's own and delivers only the replies to it.
- Raw sockets (root or CAP_NET_RAW). They see every ICMP message of the host, so a kernel
  filter lets only echo replies through, and replies whose identifier is not this pinger's
  (another program's pings) are counted and dropped.

Replies are matched by (source address, sequence number) and an 8-byte token carried at the
start of the payload, unique per echo, so a late reply to an echo that gave up cannot complete
a newer one that reused the sequence number.

The socket is non-blocking and watched with `loop.add_reader`; one wakeup reads every waiting
datagram (up to `READ_BATCH`). Sending also reads what has arrived every `DRAIN_EVERY` echoes:
on loopback a reply is queued before `sendto` returns, and a burst of a thousand sends in one
pass of the loop would otherwise overflow the receive buffer.

A ping sends its echoes every `interval` whatever the replies (as ping and fping do), and
ends when each echo is answered or timed out. Neither is an asyncio timer per echo (each costs
a handle and Python-level comparisons in the loop's heap): the echoes due are a heap, the
deadlines a queue per wait value (each in time order as it fills), served by one timer. Echoes that fall behind go out in the order they
were due, so a late ping does not send its echoes back to back, at most `SEND_BATCH` per pass
of the loop. Expiry is coalesced to `SWEEP_SLACK`: an echo counts as lost between its wait
and `SWEEP_SLACK` later.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import secrets
import socket
import time
from collections import deque
from dataclasses import dataclass, field

from .errors import IcmpClosedError, IcmpError
from .result import PingResult
from .wire import (
    ECHO_REPLY,
    ECHO_REQUEST,
    HEADER,
    ID_SEQ,
    TOKEN_SIZE,
    SockAddr,
    checksum,
    echo_checksum,
    literal,
    open_socket,
    resolve,
)

READ_BATCH = 256  # datagrams read per wakeup at most, so other callbacks still get their turn
SEND_BATCH = 512  # echoes sent per timer callback at most, likewise
DRAIN_EVERY = 32  # echoes sent between reads of the socket during a burst
RECV_BUFFER = 4 << 20  # bytes of receive queue asked for (the kernel may cap it)
RECV_SIZE = 65535
SEND_QUEUE = 10_000  # echoes waiting for send-buffer space at most; beyond, counted as lost
_monotonic = time.monotonic  # bound once: read for every echo sent
SWEEP_SLACK = 0.01  # seconds an expiry may run late, so one timer serves many deadlines


@dataclass(slots=True)
class PingerStats:
    """Counters for debugging and /metrics."""

    sent: int = 0  # echo requests handed to the kernel
    replies: int = 0  # replies matched to a waiting echo
    timeouts: int = 0  # echoes that got no reply in time
    send_errors: int = 0  # echoes the kernel refused (no route, ...)
    dropped: int = 0  # replies that matched no waiting echo (late, duplicate, unknown)
    foreign: int = 0  # raw sockets: other programs' echo replies


class _Ping:
    """One `ping()` call: `count` echoes to one address."""

    __slots__ = (
        "address", "count", "error", "family", "future", "interval", "outstanding",
        "payload", "payload_size", "rtts", "sent", "seqs", "sockaddr", "start", "wait",
    )  # fmt: skip

    def __init__(
        self,
        family: _Family,
        sockaddr: SockAddr,
        count: int,
        interval: float,
        wait: float,
        payload_size: int,
    ) -> None:
        self.family = family
        self.sockaddr = sockaddr
        self.address = sockaddr[0]
        self.count = count
        self.interval = interval
        self.wait = wait
        self.payload_size = payload_size
        self.payload = bytes(max(0, payload_size - TOKEN_SIZE))  # after the token
        self.start = 0.0
        self.sent = 0
        self.outstanding = 0
        self.rtts: list[float | None] = [None] * count
        self.seqs: list[int] = []
        self.error: OSError | None = None
        self.future: asyncio.Future[None] | None = None


class _Echo:
    __slots__ = ("index", "ping", "sent_at", "token")

    def __init__(self, ping: _Ping, index: int, token: bytes) -> None:
        self.ping = ping
        self.index = index
        self.token = token
        self.sent_at = 0.0


@dataclass(slots=True)
class _Family:
    family: int
    sock: socket.socket
    raw: bool
    request_type: int
    reply_type: int
    unsent: deque[tuple[bytes, SockAddr, tuple[str, int], _Echo]] = field(default_factory=deque)


class Pinger:
    """Pings over one socket per address family, opened on first use on the running loop."""

    def __init__(self, *, privileged: bool = False, recv_buffer: int = RECV_BUFFER) -> None:
        self.privileged = privileged
        self.stats = PingerStats()
        self.closed = False
        self._recv_buffer = recv_buffer
        self._ident = secrets.randbelow(1 << 16)  # raw sockets; ping sockets get the kernel's
        self._families: dict[int, _Family] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: dict[tuple[str, int], _Echo] = {}
        self._pings: set[_Ping] = set()
        self._seq = secrets.randbelow(1 << 16)
        self._token = secrets.randbits(64)
        self._since_read = 0
        # deadlines in one queue per wait: each queue is in time order as it fills (deadline =
        # now + wait), so appending and popping its head replace a heap's push and pop
        self._deadlines: dict[float, deque[tuple[float, tuple[str, int], _Echo]]] = {}
        self._due: list[tuple[float, int, _Ping]] = []  # when each ping's next echo goes
        self._serial = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf

    @property
    def in_flight(self) -> int:
        """Echoes sent and still waiting for their reply or their timeout."""
        return len(self._pending)

    async def ping(
        self,
        address: str,
        *,
        count: int = 1,
        interval: float = 1.0,
        wait: float = 2.0,
        payload_size: int = 56,
    ) -> PingResult:
        """Send `count` echoes to `address` (an IP address or a name), one every `interval`
        seconds, and wait up to `wait` seconds after each for its reply. Raises
        IcmpResolveError, IcmpPermissionError, or the OSError of the kernel when every echo
        was refused (no route to host, ...)."""
        if count < 1 or interval < 0 or wait <= 0 or not 0 <= payload_size <= 65000:
            raise ValueError("ping needs count ≥ 1, interval ≥ 0, wait > 0, payload 0..65000")
        family, sockaddr = literal(address) or await resolve(address)
        fam = self._family(family)
        loop = self._loop
        assert loop is not None  # set with the first socket
        p = _Ping(fam, sockaddr, count, interval, wait, payload_size)
        p.future = future = loop.create_future()
        p.start = loop.time()
        self._pings.add(p)
        try:
            self._send_echo(p)
            await future
        finally:
            self._pings.discard(p)
            if p.outstanding or p.sent < count:  # cancelled, or the pinger closed
                self._forget(p)
        rtts = tuple(r for r in p.rtts if r is not None)
        if not rtts and p.error is not None and p.error.errno is not None:
            raise p.error
        return PingResult(address, p.sent, rtts)

    # --- sending ---------------------------------------------------------------------------

    def _send_echo(self, p: _Ping) -> None:
        """Send the ping's next echo, and schedule the one after (on the ping's own grid, so
        a late timer does not delay the rest)."""
        if self.closed:
            return
        loop = self._loop
        assert loop is not None
        seq = self._next_seq(p.address)
        self._token = token = (self._token + 1) & 0xFFFF_FFFF_FFFF_FFFF
        token_bytes = token.to_bytes(TOKEN_SIZE, "big")[: p.payload_size]
        echo = _Echo(p, p.sent, token_bytes)
        p.sent += 1
        p.outstanding += 1
        p.seqs.append(seq)
        if p.sent < p.count:
            when = p.start + p.sent * p.interval
            heapq.heappush(self._due, (when, next(self._serial), p))
            if when < self._timer_at:
                self._arm(loop, when)
        key = (p.address, seq)
        self._pending[key] = echo
        fam = p.family
        body = token_bytes + p.payload
        csum = 0  # the kernel sums all but raw IPv4
        if fam.raw and fam.family == socket.AF_INET:
            if p.payload_size >= TOKEN_SIZE:  # the whole token, then zeros: summed as numbers
                csum = echo_checksum(fam.request_type, self._ident, seq, token)
            else:
                csum = checksum(HEADER.pack(fam.request_type, 0, 0, self._ident, seq) + body)
        packet = HEADER.pack(fam.request_type, 0, csum, self._ident, seq) + body
        deadline = loop.time() + p.wait
        queue = self._deadlines.get(p.wait)
        if queue is None:
            queue = self._deadlines[p.wait] = deque()
        queue.append((deadline, key, echo))
        if deadline + SWEEP_SLACK < self._timer_at:
            self._arm(loop, deadline + SWEEP_SLACK)
        if fam.unsent:
            if len(fam.unsent) < SEND_QUEUE:
                fam.unsent.append((packet, p.sockaddr, key, echo))
            return  # else it times out, like an echo lost on the wire
        self._transmit(fam, packet, p.sockaddr, key, echo)

    def _transmit(
        self, fam: _Family, packet: bytes, sockaddr: SockAddr, key: tuple[str, int], echo: _Echo
    ) -> bool:
        """Hand one echo to the kernel; False when its buffer is full (try again later)."""
        echo.sent_at = _monotonic()
        try:
            fam.sock.sendto(packet, sockaddr)
        except (BlockingIOError, InterruptedError):
            if not fam.unsent:
                assert self._loop is not None
                self._loop.add_writer(fam.sock.fileno(), self._flush, fam)
            fam.unsent.appendleft((packet, sockaddr, key, echo))
            return False
        except OSError as err:  # no route and the like: this echo is lost, say why
            self.stats.send_errors += 1
            if self._pending.get(key) is echo:
                del self._pending[key]
                p = echo.ping
                p.error = err
                p.outstanding -= 1
                _finish_if_done(p)
            return True
        self.stats.sent += 1
        self._since_read += 1
        if self._since_read >= DRAIN_EVERY:
            self._read(fam)
        return True

    def _flush(self, fam: _Family) -> None:
        """Send what waited for buffer space, in order, until the kernel pushes back."""
        unsent = fam.unsent
        while unsent:
            packet, sockaddr, key, echo = unsent.popleft()
            if self._pending.get(key) is echo and not self._transmit(
                fam, packet, sockaddr, key, echo
            ):
                return
        assert self._loop is not None
        self._loop.remove_writer(fam.sock.fileno())

    def _next_seq(self, address: str) -> int:
        pending = self._pending
        for _ in range(1 << 16):
            self._seq = seq = (self._seq + 1) & 0xFFFF
            if (address, seq) not in pending:
                return seq
        raise IcmpError(f"65,536 echoes to {address} are already waiting for replies")

    # --- replies ---------------------------------------------------------------------------

    def _read(self, fam: _Family) -> None:
        """Every datagram waiting on the socket, up to READ_BATCH."""
        self._since_read = 0
        recvfrom = fam.sock.recvfrom
        pending = self._pending
        stats = self.stats
        monotonic = time.monotonic
        raw_v4 = fam.raw and fam.family == socket.AF_INET
        check_id = fam.raw
        reply_type = fam.reply_type
        ident = self._ident
        for _ in range(READ_BATCH):
            try:
                data, source = recvfrom(RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # an error queued on the socket names no echo: timeouts handle it
            now = monotonic()
            at = (data[0] & 0x0F) << 2 if raw_v4 and data else 0  # raw IPv4: skip the IP header
            if len(data) < at + 8 or data[at] != reply_type:
                stats.dropped += 1
                continue
            got_id, seq = ID_SEQ.unpack_from(data, at + 4)
            if check_id and got_id != ident:
                stats.foreign += 1
                continue
            key = (source[0], seq)
            echo = pending.get(key)
            if echo is None or data[at + 8 : at + 8 + len(echo.token)] != echo.token:
                stats.dropped += 1
                continue
            del pending[key]
            stats.replies += 1
            p = echo.ping
            p.rtts[echo.index] = (now - echo.sent_at) * 1000.0
            p.outstanding -= 1
            if not p.outstanding and p.sent == p.count:
                _finish_if_done(p)

    # --- the clock: echoes due, and deadlines -----------------------------------------------

    def _arm(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_at(when, self._tick)
        self._timer_at = when

    def _tick(self) -> None:
        """Send the echoes that are due (at most SEND_BATCH), expire those past their
        deadline, and re-arm for whichever comes next."""
        self._timer, self._timer_at = None, math.inf
        loop = self._loop
        if loop is None or self.closed:
            return
        now = loop.time()
        due = self._due
        send = self._send_echo
        for _ in range(SEND_BATCH):
            if not due or due[0][0] > now:
                break
            p = heapq.heappop(due)[2]
            if p.future is not None and not p.future.done():  # else cancelled or closed
                send(p)
        self._expire(now)
        when = due[0][0] if due else math.inf
        for queue in self._deadlines.values():
            when = min(when, queue[0][0] + SWEEP_SLACK)
        if when < self._timer_at:
            self._arm(loop, when)

    def _expire(self, now: float) -> None:
        """Count every echo whose deadline has passed as lost."""
        pending = self._pending
        for wait, queue in list(self._deadlines.items()):
            while queue and queue[0][0] <= now:
                _, key, echo = queue.popleft()
                if pending.get(key) is echo:
                    del pending[key]
                    self.stats.timeouts += 1
                    p = echo.ping
                    p.outstanding -= 1
                    _finish_if_done(p)
            if not queue:
                del self._deadlines[wait]

    def _forget(self, p: _Ping) -> None:
        """Drop a cancelled ping's echoes (its next one, if due, is skipped when due)."""
        for seq in p.seqs:
            key = (p.address, seq)
            echo = self._pending.get(key)
            if echo is not None and echo.ping is p:
                del self._pending[key]

    # --- the sockets -----------------------------------------------------------------------

    def _family(self, family: int) -> _Family:
        fam = self._families.get(family)
        if fam is not None:
            return fam
        if self.closed:
            raise IcmpClosedError("the pinger is closed")
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        sock = open_socket(family, raw=self.privileged, recv_buffer=self._recv_buffer)
        fam = _Family(family, sock, self.privileged, ECHO_REQUEST[family], ECHO_REPLY[family])
        try:
            loop.add_reader(sock.fileno(), self._read, fam)
        except BaseException:
            sock.close()
            raise
        self._families[family] = fam
        return fam

    async def close(self) -> None:
        """Fail every waiting ping and close the sockets."""
        self.closed = True
        for p in list(self._pings):
            if p.future is not None and not p.future.done():
                p.future.set_exception(IcmpClosedError("the pinger was closed"))
        if self._timer is not None:
            self._timer.cancel()
            self._timer, self._timer_at = None, math.inf
        self._deadlines.clear()
        self._due.clear()
        self._pending.clear()
        families, self._families = list(self._families.values()), {}
        loop = self._loop
        for fam in families:
            if loop is not None and not loop.is_closed():
                loop.remove_reader(fam.sock.fileno())
                if fam.unsent:
                    loop.remove_writer(fam.sock.fileno())
            fam.sock.close()


def _finish_if_done(p: _Ping) -> None:
    if not p.outstanding and p.sent == p.count:
        future = p.future
        if future is not None and not future.done():
            future.set_result(None)
