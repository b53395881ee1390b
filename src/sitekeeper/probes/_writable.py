"""Waiting for many connecting sockets to turn writable, with one system call each.

The loop's own `add_writer` costs, per socket, a poll handle and several epoll_ctl and
ioctl calls on uvloop (libuv tests the descriptor, then adds, then removes it). Here, on
Linux, each connecting socket is put once into one epoll set of our own, EPOLLONESHOT, and
that set's descriptor is the only thing the loop watches: when it turns readable, one
epoll_wait hands over every socket that is ready. A socket that was woken is spent
(EPOLLONESHOT) and leaves the set when it is closed; only one given up on before it was woken
(a deadline) is removed by hand.

    watcher = writable_watcher(loop)
    future = watcher.watch(sock)     # done when the socket is writable
    try:
        await future
    finally:
        watcher.forget(sock)         # before closing it

Elsewhere (no epoll), the loop's add_writer does the same job.
"""

from __future__ import annotations

import asyncio
import select
import socket
import weakref


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():  # a deadline may have failed it in this same loop pass
        future.set_result(None)


class LoopWriters:
    """The portable way: the loop's add_writer and remove_writer, one socket at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = weakref.ref(loop)

    def watch(self, sock: socket.socket) -> asyncio.Future[None]:
        loop = self._loop()
        assert loop is not None
        future: asyncio.Future[None] = loop.create_future()
        loop.add_writer(sock.fileno(), _wake, future)
        return future

    def forget(self, sock: socket.socket) -> None:
        loop = self._loop()
        if loop is not None:
            loop.remove_writer(sock.fileno())


class EpollWriters:
    """One epoll set of our own for every connecting socket of one loop (Linux)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        # weak: the per-loop table must not keep loops alive (the set closes with this)
        self._loop = weakref.ref(loop)
        self._epoll = select.epoll()
        self._waiting: dict[int, asyncio.Future[None]] = {}
        loop.add_reader(self._epoll.fileno(), self._ready)

    def watch(self, sock: socket.socket) -> asyncio.Future[None]:
        loop = self._loop()
        assert loop is not None  # called from a coroutine running on it
        future: asyncio.Future[None] = loop.create_future()
        fd = sock.fileno()
        self._epoll.register(fd, select.EPOLLOUT | select.EPOLLONESHOT)
        self._waiting[fd] = future
        return future

    def forget(self, sock: socket.socket) -> None:
        fd = sock.fileno()
        if self._waiting.pop(fd, None) is not None:
            # not woken (a deadline or a cancellation): take it out of the set now. Closing
            # would, but only if no copy of the socket outlives it (a fork, a dup); its late
            # event would then wake whichever socket has its descriptor number next. A
            # woken one is spent (EPOLLONESHOT), so the common case costs no system call.
            self._epoll.unregister(fd)

    def _ready(self) -> None:
        waiting = self._waiting
        for fd, _ in self._epoll.poll(0):
            future = waiting.pop(fd, None)
            if future is not None:
                _wake(future)


Writers = LoopWriters | EpollWriters
_BY_LOOP: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Writers] = (
    weakref.WeakKeyDictionary()
)


def writable_watcher(loop: asyncio.AbstractEventLoop) -> Writers:
    """The watcher of `loop`, made on first use (its epoll set lives as long as the loop)."""
    found = _BY_LOOP.get(loop)
    if found is None:
        found = EpollWriters(loop) if hasattr(select, "epoll") else LoopWriters(loop)
        _BY_LOOP[loop] = found
    return found
