"""Loopback targets for the TCP and HTTP check benchmarks: one process, many addresses.

    with running_targets(64) as (targets, pid):
        address, tcp_port, http_port = targets[0]

Each address 127.1.x.y gets a TCP listener (accepts, then closes: the check is the connect)
and an HTTP server (reads the request head, answers 200 with a 3-byte body, closes). The
HTTP server closes first, so its TIME_WAIT sockets stay on this side and spread over many
addresses. A bare accept-and-close loop for TCP, an asyncio Protocol for HTTP, and uvloop
where installed keep the targets' CPU per check small next to any client's.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection
from typing import Any, cast

Targets = list[tuple[str, int, int]]  # (address, tcp port, http port)

BODY = b"ok\n"
REPLY = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
    b"Connection: close\r\n\r\n%s" % (len(BODY), BODY)
)
REQUEST_CAP = 64 * 1024
MAX_TARGETS = 250 * 250  # 127.1.0.1 to 127.1.249.250
ACCEPT_BATCH = 256  # connections accepted per wakeup of one listener


def _accept_and_close(listener: socket.socket) -> None:
    """Accept every waiting connection and close it at once: no transport or protocol per
    connection, so a client that hangs up as soon as it is connected cannot outrun us and
    fill the accept queue (or our file table) with connections nobody has accepted."""
    for _ in range(ACCEPT_BATCH):
        try:
            conn, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return  # out of file descriptors for a moment: the next wakeup retries
        conn.close()


class _HttpTarget(asyncio.Protocol):
    def __init__(self) -> None:
        self.head = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        self.head += data
        if b"\r\n\r\n" in self.head or len(self.head) > REQUEST_CAP:
            self.transport.write(REPLY)
            self.transport.close()


def _run(main: Coroutine[Any, Any, None]) -> None:
    """On uvloop when installed: the targets' CPU per check is then well below any
    client's, so they are not what limits a side's rate."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    uvloop.run(main)


def _serve(count: int, conn: Connection) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        targets: Targets = []
        listeners: list[socket.socket] = []
        for i in range(count):
            address = f"127.1.{i // 250}.{i % 250 + 1}"
            listener = socket.create_server((address, 0), backlog=4096)
            listener.setblocking(False)
            listeners.append(listener)
            loop.add_reader(listener.fileno(), _accept_and_close, listener)
            server = await loop.create_server(_HttpTarget, address, 0, backlog=4096)
            http_port = int(server.sockets[0].getsockname()[1])
            targets.append((address, int(listener.getsockname()[1]), http_port))
        conn.send(targets)
        await loop.run_in_executor(None, conn.recv)  # until told to stop, or the pipe closes

    with suppress(EOFError, KeyboardInterrupt):
        _run(main())


@contextmanager
def running_targets(count: int, *, start_timeout: float = 30.0) -> Iterator[tuple[Targets, int]]:
    """`count` addresses with a TCP listener and an HTTP server each, in a process of their
    own; yields (targets, that process's PID) and stops the process afterwards."""
    if not 1 <= count <= MAX_TARGETS:
        raise ValueError(f"targets: between 1 and {MAX_TARGETS} addresses, not {count}")
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(count, child), daemon=True)
    proc.start()
    child.close()
    try:
        if not parent.poll(start_timeout):
            raise RuntimeError(f"the target process did not listen within {start_timeout:g} s")
        targets: Targets = parent.recv()
        assert proc.pid is not None
        yield targets, proc.pid
    finally:
        with suppress(OSError):
            parent.send("stop")
        proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join()
