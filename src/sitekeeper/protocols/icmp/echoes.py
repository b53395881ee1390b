"""What the pinger keeps per ping and per socket, and how a reply finds its echo: a ping's
echoes live in its lists (sequence numbers, send times, round trips), indexed by the echo's
position, and the token's echo number minus the ping's first is that position."""

from __future__ import annotations

import asyncio
import socket
from collections import deque
from dataclasses import dataclass, field

from .wire import HEADER, NUMBER_MASK, TOKEN_SIZE, SockAddr, token

RECV_SIZE = 65535

LOST = -1  # in place of the sequence number of an echo that timed out or was refused
Key = tuple[str, int]  # (address, sequence number)


class Ping:
    """One `ping()` call: `count` echoes to one address. Echo i carries sequence number
    `seqs[i]` (LOST once it timed out or the kernel refused it), echo number `number + i`,
    and is answered once `rtts[i]` is set. Echoes before `judged` are answered or lost."""

    __slots__ = (
        "address", "count", "due", "error", "family", "filed", "future", "interval",
        "judged", "number", "outstanding", "packet", "rtts", "sent", "sent_at", "seqs",
        "sockaddr", "start", "token_size", "wait",
    )  # fmt: skip

    def __init__(
        self,
        family: Family,
        sockaddr: SockAddr,
        count: int,
        interval: float,
        wait: float,
        packet: bytearray,
        number: int,
        future: asyncio.Future[None],
        start: float,
    ) -> None:
        self.family = family
        self.sockaddr = sockaddr
        self.address = sockaddr[0]
        self.count = count
        self.interval = interval
        self.wait = wait
        self.packet = packet  # the template, patched for each echo
        self.number = number
        self.token_size = min(len(packet) - HEADER.size, TOKEN_SIZE)
        self.future = future
        self.start = start
        self.due = start  # when the next echo goes (loop time)
        self.sent = 0
        self.outstanding = 0
        self.judged = 0
        self.filed = False  # in the deadlines, for the deadline of its oldest open echo
        self.rtts: list[float | None] = [None] * count
        self.sent_at: list[float] = [0.0] * count
        self.seqs: list[int] = [LOST] * count
        self.error: OSError | None = None

    def waiting(self, index: int) -> bool:
        """Whether the echo was sent and is neither answered nor lost."""
        return index < self.sent and self.seqs[index] != LOST and self.rtts[index] is None


@dataclass(slots=True)
class Family:
    family: int
    sock: socket.socket
    raw: bool
    request_type: int
    reply_type: int
    header: bool  # raw IPv4: each datagram starts with the IP header
    sums: bool  # raw IPv4: the checksum is ours to compute (the kernel does it for the rest)
    sum_base: int  # what every echo adds to the checksum alike (wire.echo_sum)
    buffer: bytearray = field(default_factory=lambda: bytearray(RECV_SIZE))
    unsent: deque[tuple[bytes, Ping, int]] = field(default_factory=deque)


def short_token_match(p: Ping, salt: int, seq: int, buf: bytearray, at: int, size: int) -> int:
    """The index of the waiting echo with sequence number `seq` whose payload, shorter than
    the token, carries the token's first bytes (none for an empty one); -1 if none."""
    n = p.token_size
    if n == TOKEN_SIZE or size < at + n:
        return -1
    for index in range(p.judged, p.sent):
        if p.seqs[index] == seq and p.waiting(index):
            number = (p.number + index) & NUMBER_MASK
            if buf[at : at + n] == token(salt, number)[:n]:
                return index
            return -1
    return -1


def finish_if_done(p: Ping) -> None:
    if not p.outstanding and p.sent == p.count:
        future = p.future
        if not future.done():
            future.set_result(None)
