"""The pinger: ICMP echo over one socket per address family, shared by every ping of a process.

    pinger = Pinger(privileged=False)       # ping sockets; True: raw sockets
    result = await pinger.ping("192.0.2.7", count=3, interval=0.2, wait=2.0)
    result.packets_received, result.avg_rtt  # milliseconds
    await pinger.close()

Why one socket: a socket per ping costs a file descriptor, a bind and a handful of system
calls per echo, about four times the CPU of fping. Here an echo is one `sendto` of the ping's
packet patched in place (checksum, sequence, echo number), and its reply one `recvfrom_into`
a reused buffer, one `unpack_from` and a dict lookup. Per echo it keeps the dict key, the
sequence number and the send time, and no object of its own.

Two kinds of socket, chosen by the caller (see `sitekeeper.probes.icmp` for how):
- Ping sockets (SOCK_DGRAM, IPPROTO_ICMP), allowed without privilege when the process's group
  is in `net.ipv4.ping_group_range`. The kernel computes the checksum, rewrites the echo
  identifier to the socket's own and delivers only the replies to it.
- Raw sockets (root or CAP_NET_RAW). They see every ICMP message of the host, so a kernel
  filter lets only echo replies through, and replies whose identifier is not this pinger's
  (another program's pings) are counted and dropped. The checksum is summed from the numbers
  that make up the packet (`wire.echo_checksum`), not from its bytes.

Replies are matched by (source address, sequence number) and an 8-byte token at the start of
the payload: a salt drawn per pinger and a 32-bit echo number. A ping takes `count`
consecutive numbers, so the pending dict maps (address, sequence) to the ping alone and the
reply's number names the echo (its index); the echo must have been sent with that sequence
number and still be waiting, so a late reply to an echo that gave up cannot complete a newer
one that reused the sequence number. (A payload shorter than the token carries only its
first bytes; such replies are matched by sequence number and those bytes.)

The socket is non-blocking and watched with `loop.add_reader`; one wakeup reads every waiting
datagram (up to `READ_BATCH`). Sending also reads what has arrived every `DRAIN_EVERY` echoes:
on loopback a reply is queued before `sendto` returns, and a burst of a thousand sends in one
pass of the loop would otherwise overflow the receive buffer.

A ping sends its echoes every `interval` whatever the replies (as ping and fping do), and
ends when each echo is answered or timed out. Neither is an asyncio timer per echo (each costs
a handle and Python-level comparisons in the loop's heap), nor a heap entry per echo: pings
wait for their next echo in one FIFO per interval value, deadlines sit in buckets of
`SWEEP_SLACK` (see `schedule`), and one timer serves both. A ping is in the deadlines once,
for its oldest waiting echo, not once per echo: most echoes are answered long before their
deadline. Echoes that fall behind go out in the order they were due, at most `SEND_BATCH` per
pass of the loop, so a late ping does not send its echoes back to back. An echo counts as
lost between its wait and `SWEEP_SLACK` later.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import socket
import time
from collections import deque
from dataclasses import dataclass

from .echoes import LOST, Family, Key, Ping, finish_if_done, short_token_match
from .errors import IcmpClosedError, IcmpError
from .result import PingResult
from .schedule import Deadlines
from .wire import (
    ECHO_REPLY,
    ECHO_REQUEST,
    HEADER,
    NUMBER_MASK,
    PATCH,
    REPLY,
    REPLY_TOKEN,
    TOKEN_SIZE,
    checksum,
    echo_sum,
    echo_template,
    literal,
    open_socket,
    resolve,
    token,
)

READ_BATCH = 256  # datagrams read per wakeup at most, so other callbacks still get their turn
SEND_BATCH = 512  # echoes sent per timer callback at most, likewise
DRAIN_EVERY = 32  # echoes sent between reads of the socket during a burst
RECV_BUFFER = 4 << 20  # bytes of receive queue asked for (the kernel may cap it)
SEND_QUEUE = 10_000  # echoes waiting for send-buffer space at most; beyond, counted as lost
SWEEP_SLACK = 0.01  # seconds an expiry may run late, so one timer serves many deadlines
_monotonic = time.monotonic  # bound once: read for every echo sent and every reply


@dataclass(slots=True)
class PingerStats:
    """Counters for debugging and /metrics."""

    sent: int = 0  # echo requests handed to the kernel
    replies: int = 0  # replies matched to a waiting echo
    timeouts: int = 0  # echoes that got no reply in time
    send_errors: int = 0  # echoes the kernel refused (no route, ...)
    dropped: int = 0  # replies that matched no waiting echo (late, duplicate, unknown)
    foreign: int = 0  # raw sockets: other programs' echo replies


class Pinger:
    """Pings over one socket per address family, opened on first use on the running loop."""

    def __init__(self, *, privileged: bool = False, recv_buffer: int = RECV_BUFFER) -> None:
        self.privileged = privileged
        self.stats = PingerStats()
        self.closed = False
        self._recv_buffer = recv_buffer
        self._ident = secrets.randbelow(1 << 16)  # raw sockets; ping sockets get the kernel's
        self._families: dict[int, Family] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: dict[Key, Ping] = {}  # each waiting echo's ping
        self._pings: set[Ping] = set()
        self._seq = secrets.randbelow(1 << 16)
        self._salt = secrets.randbits(32)  # the token's first half, the same for every echo
        self._number = secrets.randbits(32)  # the next echo's number, the token's second half
        self._since_read = 0
        self._due: dict[float, deque[Ping]] = {}  # interval -> pings in the order they are due
        self._deadlines: Deadlines[Ping] = Deadlines(round(1 / SWEEP_SLACK))
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
        number, self._number = self._number, (self._number + count) & NUMBER_MASK
        packet = echo_template(fam.request_type, self._ident, self._salt, payload_size)
        future = loop.create_future()
        p = Ping(fam, sockaddr, count, interval, wait, packet, number, future, loop.time())
        self._pings.add(p)
        try:
            self._send(p)
            if count > 1 and not self.closed:
                self._queue_next(p)
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

    def _send(self, p: Ping) -> None:
        """Send the ping's next echo: patch its packet, file it as pending, hand it over."""
        pending = self._pending
        address = p.address
        self._seq = seq = (self._seq + 1) & 0xFFFF
        key = (address, seq)
        if key in pending:
            key = (address, seq := self._free_seq(address))
        index = p.sent
        p.sent = index + 1
        p.outstanding += 1
        p.seqs[index] = seq
        number = (p.number + index) & NUMBER_MASK
        fam = p.family
        packet = p.packet
        if p.token_size == TOKEN_SIZE:
            # the checksum as wire.echo_checksum computes it, inline: raw IPv4 only
            csum = -(fam.sum_base + seq + number) % 0xFFFF if fam.sums else 0
            PATCH.pack_into(packet, 2, csum, self._ident, seq, self._salt, number)
        else:
            self._pack_short(fam, packet, seq, number, p.token_size)
        pending[key] = p
        p.sent_at[index] = sent_at = _monotonic()
        if not p.filed:  # else filed for an older echo, whose deadline comes first
            self._file(p, sent_at + p.wait)
        if fam.unsent:
            if len(fam.unsent) < SEND_QUEUE:
                fam.unsent.append((bytes(packet), p, index))
            return  # else it times out, like an echo lost on the wire
        try:
            fam.sock.sendto(packet, p.sockaddr)
        except (BlockingIOError, InterruptedError):
            self._defer(fam, bytes(packet), p, index)
            return
        except OSError as err:  # no route and the like: this echo is lost, say why
            self._refused(p, index, err)
            return
        self.stats.sent += 1
        self._since_read += 1
        if self._since_read >= DRAIN_EVERY:
            self._read(fam)

    def _pack_short(self, fam: Family, packet: bytearray, seq: int, number: int, size: int) -> None:
        """A payload shorter than the token carries its first `size` bytes."""
        HEADER.pack_into(packet, 0, fam.request_type, 0, 0, self._ident, seq)
        packet[HEADER.size :] = token(self._salt, number)[:size]
        if fam.sums:
            HEADER.pack_into(
                packet, 0, fam.request_type, 0, checksum(bytes(packet)), self._ident, seq
            )

    def _queue_next(self, p: Ping) -> None:
        """Queue the ping for its next echo, on its own grid so a late timer delays none
        after it."""
        p.due = due = p.start + p.sent * p.interval
        queue = self._due.get(p.interval)
        if queue is None:
            queue = self._due[p.interval] = deque()
        queue.append(p)
        if due < self._timer_at:
            self._arm(due)

    def _defer(self, fam: Family, packet: bytes, p: Ping, index: int) -> None:
        """The send buffer is full: send it when the socket is writable, before any other."""
        if not fam.unsent:
            assert self._loop is not None
            self._loop.add_writer(fam.sock.fileno(), self._flush, fam)
        fam.unsent.appendleft((packet, p, index))

    def _refused(self, p: Ping, index: int, err: OSError) -> None:
        self.stats.send_errors += 1
        if p.waiting(index):
            self._lose(p, index)
            p.error = err
            finish_if_done(p)

    def _lose(self, p: Ping, index: int) -> None:
        """The echo will get no reply: it no longer waits for one."""
        self._pending.pop((p.address, p.seqs[index]), None)
        p.seqs[index] = LOST
        p.outstanding -= 1

    def _flush(self, fam: Family) -> None:
        """Send what waited for buffer space, in order, until the kernel pushes back."""
        unsent = fam.unsent
        while unsent:
            packet, p, index = unsent.popleft()
            if not p.waiting(index) or p.future.done():
                continue  # timed out meanwhile, or its ping was cancelled
            p.sent_at[index] = _monotonic()
            try:
                fam.sock.sendto(packet, p.sockaddr)
            except (BlockingIOError, InterruptedError):
                unsent.appendleft((packet, p, index))
                return
            except OSError as err:
                self._refused(p, index, err)
                continue
            self.stats.sent += 1
        assert self._loop is not None
        self._loop.remove_writer(fam.sock.fileno())

    def _free_seq(self, address: str) -> int:
        pending = self._pending
        for _ in range(1 << 16):
            self._seq = seq = (self._seq + 1) & 0xFFFF
            if (address, seq) not in pending:
                return seq
        raise IcmpError(f"65,536 echoes to {address} are already waiting for replies")

    # --- replies ---------------------------------------------------------------------------

    def _read(self, fam: Family) -> None:
        """Every datagram waiting on the socket, up to READ_BATCH, into one reused buffer."""
        self._since_read = 0
        recv = fam.sock.recvfrom_into
        buf = fam.buffer
        pending = self._pending
        stats = self.stats
        monotonic = _monotonic
        header = fam.header
        check_id = fam.raw
        reply_type = fam.reply_type
        ident = self._ident
        salt = self._salt
        replies = dropped = foreign = 0  # counted here, added once at the end
        try:
            for _ in range(READ_BATCH):
                try:
                    size, source = recv(buf)
                except (BlockingIOError, InterruptedError):
                    return
                except OSError:
                    continue  # an error queued on the socket names no echo: timeouts handle it
                now = monotonic()
                at = (buf[0] & 0x0F) << 2 if header and size else 0  # skip the IP header
                if size >= at + REPLY_TOKEN.size:
                    kind, got_id, seq, got_salt, number = REPLY_TOKEN.unpack_from(buf, at)
                elif size >= at + REPLY.size:
                    kind, got_id, seq = REPLY.unpack_from(buf, at)
                    got_salt = number = -1  # a shorter payload: compared as bytes below
                else:
                    dropped += 1
                    continue
                if kind != reply_type:
                    dropped += 1
                    continue
                if check_id and got_id != ident:
                    foreign += 1
                    continue
                key = (source[0], seq)
                p = pending.get(key)
                if p is None:
                    dropped += 1
                    continue
                # the token names the echo; it must be this one, sent with this sequence
                # number and still waiting (not a late reply to an echo that timed out)
                index = (number - p.number) & NUMBER_MASK if got_salt == salt else -1
                if not 0 <= index < p.sent or p.seqs[index] != seq or p.rtts[index] is not None:
                    index = short_token_match(p, salt, seq, buf, at + HEADER.size, size)
                    if index < 0:
                        dropped += 1
                        continue
                del pending[key]
                replies += 1
                p.rtts[index] = (now - p.sent_at[index]) * 1000.0
                p.outstanding -= 1
                if not p.outstanding and p.sent == p.count:
                    finish_if_done(p)
        finally:
            stats.replies += replies
            stats.dropped += dropped
            stats.foreign += foreign

    # --- the clock: echoes due, and deadlines -----------------------------------------------

    def _arm(self, when: float) -> None:
        loop = self._loop
        assert loop is not None
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
        self._send_due(now)
        self._expire(now)
        when = self._deadlines.next_at
        for queue in self._due.values():
            when = min(when, queue[0].due)
        if when < self._timer_at:
            self._arm(when)

    def _send_due(self, now: float) -> None:
        """Each FIFO is in due order; several are merged by taking the earliest head."""
        budget = SEND_BATCH
        due = self._due
        ready = [q for q in due.values() if q[0].due <= now]
        send = self._send
        while ready and budget:
            queue = ready[0] if len(ready) == 1 else min(ready, key=lambda q: q[0].due)
            p = queue.popleft()
            if not p.future.done():  # else cancelled or closed
                budget -= 1
                try:
                    send(p)
                except IcmpError as err:  # no free sequence number: this ping fails alone
                    p.future.set_exception(err)
                    self._forget(p)
                if p.sent < p.count and not p.future.done():
                    p.due = p.start + p.sent * p.interval
                    queue.append(p)
            if not queue:
                del due[p.interval]
                ready.remove(queue)
            elif queue[0].due > now:
                ready.remove(queue)

    def _file(self, p: Ping, deadline: float) -> None:
        """Put the ping in the deadlines, for its oldest waiting echo's deadline."""
        p.filed = True
        at = self._deadlines.add(deadline, p)
        if at < self._timer_at:
            self._arm(at)

    def _expire(self, now: float) -> None:
        """Count every echo whose deadline has passed as lost. A ping is in the deadlines
        once, for its oldest waiting echo: when that comes, its echoes are judged in order
        up to the first still in time, and it is filed again for that one."""
        for p in self._deadlines.due(now):
            p.filed = False
            if p.future.done():
                continue  # cancelled or closed: nothing waits
            index, sent, wait = p.judged, p.sent, p.wait
            while index < sent:
                if p.waiting(index):
                    deadline = p.sent_at[index] + wait
                    if deadline > now:
                        self._file(p, deadline)
                        break
                    self._lose(p, index)
                    self.stats.timeouts += 1
                index += 1
            p.judged = index
            finish_if_done(p)

    def _forget(self, p: Ping) -> None:
        """Drop a cancelled ping's echoes (its next one, if due, is skipped when due)."""
        for index in range(p.judged, p.sent):
            if p.waiting(index):
                self._lose(p, index)

    # --- the sockets -----------------------------------------------------------------------

    def _family(self, family: int) -> Family:
        fam = self._families.get(family)
        if fam is not None:
            return fam
        if self.closed:
            raise IcmpClosedError("the pinger is closed")
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        sock = open_socket(family, raw=self.privileged, recv_buffer=self._recv_buffer)
        raw_v4 = self.privileged and family == socket.AF_INET
        fam = Family(
            family,
            sock,
            self.privileged,
            ECHO_REQUEST[family],
            ECHO_REPLY[family],
            header=raw_v4,
            sums=raw_v4,
            sum_base=echo_sum(ECHO_REQUEST[family], self._ident, self._salt),
        )
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
            if not p.future.done():
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
