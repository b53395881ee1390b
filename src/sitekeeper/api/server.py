"""Serve the app with uvicorn inside sitekeeper's own event loop, next to the collector.

The socket is bound before uvicorn starts, so "port in use" is a clear error instead of
uvicorn's exit; signals stay with the caller (uvicorn would re-raise them after shutdown).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import socket
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from sitekeeper.errors import ConfigError


def parse_listen(value: str) -> tuple[str, int]:
    """`HOST:PORT`, `[v6]:PORT` or `:PORT` (loopback)."""
    host, sep, port_text = value.rpartition(":")
    if not sep or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"listen address {value!r} must look like 127.0.0.1:8470 or [::1]:8470")
    host = host.strip("[]") or "127.0.0.1"
    return host, int(port_text)


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"{host}:{port} is already in use (another sitekeeper?); stop it, or choose "
                "another address with --listen or SITEKEEPER_LISTEN"
            ) from None
        if err.errno in (errno.EACCES, errno.EPERM):
            raise ConfigError(
                f"not allowed to listen on {host}:{port}; ports below 1024 need privileges — "
                "use a higher port, or a reverse proxy in front"
            ) from None
        raise ConfigError(f"cannot listen on {host}:{port}: {err.strerror}") from None
    sock.listen(512)
    sock.setblocking(False)
    return sock


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the caller owns SIGINT/SIGTERM and stops us through `stop`


async def serve(app: FastAPI, sock: socket.socket, stop: asyncio.Event) -> None:
    config = uvicorn.Config(
        app,
        lifespan="off",
        access_log=False,
        log_level="warning",
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    waiter = asyncio.create_task(stop.wait())
    _done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    waiter.cancel()
    await task
    sock.close()
