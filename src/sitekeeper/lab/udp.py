"""What the lab's UDP devices (the router's DNS, the SNMP agents) share: a reply that waits
out the device's latency, a share of requests lost, and nothing sent after close."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import cast

Address = tuple[str | int, int]


class LaggyUdp(asyncio.DatagramProtocol):
    """A UDP socket of a lab device. `latency` and `drops` are read per request, so a fault
    injected while the socket is open applies to the next one."""

    def __init__(self, latency: Callable[[], float], drops: Callable[[], bool]) -> None:
        self._latency = latency
        self._drops = drops
        self._transport: asyncio.DatagramTransport | None = None
        self._pending: set[asyncio.TimerHandle] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # on 3.11 the selector loop's datagram transport does not subclass DatagramTransport
        self._transport = cast(asyncio.DatagramTransport, transport)

    def reply(self, data: bytes, addr: Address) -> None:
        """Send `data` after the device's current latency."""
        delay = self._latency()
        if delay <= 0:
            self._send(data, addr, None)
            return
        handle: asyncio.TimerHandle | None = None

        def fire() -> None:
            self._send(data, addr, handle)

        handle = asyncio.get_running_loop().call_later(delay, fire)
        self._pending.add(handle)

    def _send(self, data: bytes, addr: Address, handle: asyncio.TimerHandle | None) -> None:
        if handle is not None:
            self._pending.discard(handle)
        if self._transport is not None and not self._transport.is_closing():
            self._transport.sendto(data, addr)

    def close(self) -> None:
        """Stop answering: replies still waiting out their latency are never sent."""
        for handle in self._pending:
            handle.cancel()
        self._pending.clear()
        if self._transport is not None:
            self._transport.close()

    def error_received(self, exc: Exception) -> None:
        """A peer went away (ICMP port unreachable); nothing to do."""
