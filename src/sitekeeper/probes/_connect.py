"""Connect and hang up: the whole of a TCP check that sends and expects nothing.

A non-blocking socket, `connect`, one wait for writability (in the loop's shared epoll set,
`_writable`), SO_ERROR, close. No stream reader or writer, no transport, no polite close to
wait for: those cost more CPU than the connect itself. One deadline covers it all: the name
lookup (when the address is not an IP literal) under asyncio.timeout, the connect on the
shared `_expiry` timer.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket

from sitekeeper.probes._expiry import Expiry, expiry
from sitekeeper.probes._writable import Writers, writable_watcher

_IN_PROGRESS = (errno.EINPROGRESS, errno.EAGAIN, errno.EWOULDBLOCK)
# Linux opens the socket non-blocking (one system call fewer per check than setblocking)
_NONBLOCK = getattr(socket, "SOCK_NONBLOCK", 0)
AddrInfo = tuple[socket.AddressFamily, socket.SocketKind, int, str, tuple[object, ...]]


def _literal(address: str, port: int) -> list[AddrInfo] | None:
    """The one address of an IP literal, without asking the resolver."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, address)
        except OSError:
            continue
        sockaddr: tuple[object, ...] = (
            (address, port)
            if family == socket.AF_INET
            else (
                address,
                port,
                0,
                0,
            )
        )
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]
    return None


async def _resolve(loop: asyncio.AbstractEventLoop, address: str, port: int) -> list[AddrInfo]:
    infos = await loop.getaddrinfo(address, port, type=socket.SOCK_STREAM)
    return [(f, t, p, c, tuple(a)) for f, t, p, c, a in infos]


async def _connect_one(
    info: AddrInfo, writers: Writers, deadlines: Expiry, deadline: float
) -> None:
    family, kind, proto, _, sockaddr = info
    sock = socket.socket(family, kind | _NONBLOCK, proto)
    try:
        if not _NONBLOCK:
            sock.setblocking(False)
        code = sock.connect_ex(sockaddr)
        if code in _IN_PROGRESS:
            writable = writers.watch(sock)
            slot = deadlines.watch(writable, deadline)
            try:
                await writable
            finally:
                deadlines.forget(slot)
                writers.forget(sock)
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code != 0:
            raise OSError(code, os.strerror(code))
    finally:
        sock.close()


async def connect_and_close(address: str, port: int, wait: float) -> None:
    """Open a TCP connection to `address:port` and close it. Raises TimeoutError after
    `wait` seconds, OSError (socket.gaierror for a name) when no address accepts, with
    the first address's error."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    infos = _literal(address, port)
    if infos is None:
        async with asyncio.timeout_at(deadline):
            infos = await _resolve(loop, address, port)
    deadlines = expiry(loop)
    writers = writable_watcher(loop)
    first: OSError | None = None
    for info in infos:
        try:
            await _connect_one(info, writers, deadlines, deadline)
        except TimeoutError:
            raise  # an OSError too, but the deadline is the whole check's
        except OSError as err:
            first = first or err
            continue
        return
    raise first or OSError(errno.EADDRNOTAVAIL, f"no address for {address}")
