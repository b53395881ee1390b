"""Where our CPU per TCP or HTTP check goes: the same check built up layer by layer, each
layer measured on its own (`python bench/probes_tcp_http.py --layers`).

- tcp_connect: a non-blocking socket, connect, wait for writable with loop.add_writer, read
  SO_ERROR, close: the least an asyncio program can do per connect check.
- tcp_streams: asyncio.open_connection, then close and wait_closed.
- tcp_probe: sitekeeper.probes.tcp.probe with a fresh ProbeContext (a check with nothing
  to send or expect: the connect-only path).
- http_protocol: asyncio create_connection with a Protocol that writes one HTTP/1.1 request
  and keeps what arrives until the server closes: the least per plain HTTP check.
- http_aiohttp: GET and read through the shared HttpSessions (what probes.http uses).
- http_probe: sitekeeper.probes.http.probe with a fresh ProbeContext (a plain GET: the
  small HTTP/1.1 client).
- http_probe_full: the same probe for a check the small client does not take (it sets a
  Connection header), so aiohttp does the request: what every check cost before.

The collector's own layer, run_check(), is the comparison's "tcp" and "http" phases.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Awaitable, Callable
from typing import cast

from probe_targets import Targets

Check = Callable[[int], Awaitable[str | None]]  # check number -> None when OK, else why not
TIMEOUT_S = 5.0
LAYERS = (
    "tcp_connect",
    "tcp_streams",
    "tcp_probe",
    "http_protocol",
    "http_aiohttp",
    "http_probe",
    "http_probe_full",
)


async def connect_only(address: tuple[str, int]) -> str | None:
    """Connect and close; None when the connection was accepted."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        code = sock.connect_ex(address)
        if code == errno.EINPROGRESS:
            writable = loop.create_future()
            loop.add_writer(sock.fileno(), writable.set_result, None)
            try:
                await writable
            finally:
                loop.remove_writer(sock.fileno())
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    finally:
        sock.close()
    return None if code == 0 else errno.errorcode.get(code, str(code))


class _OneRequest(asyncio.Protocol):
    def __init__(self, request: bytes, done: asyncio.Future[bytes]) -> None:
        self.request, self.done, self.received = request, done, bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        cast(asyncio.WriteTransport, transport).write(self.request)

    def data_received(self, data: bytes) -> None:
        self.received += data

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(bytes(self.received))


def layer_checks(targets: Targets) -> tuple[dict[str, Check], Callable[[], Awaitable[None]]]:
    """The layers' checks over `targets`, and what closes their sessions afterwards."""
    from sitekeeper.checks.specs import HttpCheck, TcpCheck
    from sitekeeper.clock import SystemClock
    from sitekeeper.probes import http as http_probe
    from sitekeeper.probes import tcp as tcp_probe
    from sitekeeper.probes.base import ProbeContext, Target
    from sitekeeper.protocols.http import HttpSessions

    clock = SystemClock()
    http = HttpSessions()
    n = len(targets)
    tcp_specs = [TcpCheck(port=tp, timeout=TIMEOUT_S) for _, tp, _ in targets]
    http_specs = [HttpCheck(port=hp, timeout=TIMEOUT_S) for _, _, hp in targets]
    full_specs = [
        HttpCheck(port=hp, timeout=TIMEOUT_S, headers={"Connection": "close"})
        for _, _, hp in targets
    ]
    urls = [f"http://{a}:{hp}/" for a, _, hp in targets]

    async def tcp_connect(k: int) -> str | None:
        address, port, _ = targets[k % n]
        return await connect_only((address, port))

    async def tcp_streams(k: int) -> str | None:
        address, port, _ = targets[k % n]
        _, writer = await asyncio.open_connection(address, port)
        writer.close()
        await writer.wait_closed()
        return None

    async def tcp(k: int) -> str | None:
        ctx = ProbeContext(deadline=clock.monotonic() + TIMEOUT_S, clock=clock, http=http)
        obs = await tcp_probe.probe(Target(k % n, targets[k % n][0]), tcp_specs[k % n], ctx)
        return None if obs.ok else obs.error or "not ok"

    async def http_protocol(k: int) -> str | None:
        address, _, port = targets[k % n]
        done: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        request = f"GET / HTTP/1.1\r\nHost: {address}:{port}\r\nConnection: close\r\n\r\n"
        await asyncio.get_running_loop().create_connection(
            lambda: _OneRequest(request.encode(), done), address, port
        )
        reply = await done
        return None if reply.startswith(b"HTTP/1.1 200 ") else repr(reply[:40])

    async def http_aiohttp(k: int) -> str | None:
        session = http.get(verify_tls=True)
        async with session.get(urls[k % n]) as response:
            await response.read()
        return None if response.status == 200 else f"status {response.status}"

    def http_(specs: list[HttpCheck]) -> Check:
        async def check(k: int) -> str | None:
            ctx = ProbeContext(deadline=clock.monotonic() + TIMEOUT_S, clock=clock, http=http)
            obs = await http_probe.probe(Target(k % n, targets[k % n][0]), specs[k % n], ctx)
            return None if obs.ok else obs.error or "not ok"

        return check

    checks: dict[str, Check] = {
        "tcp_connect": tcp_connect,
        "tcp_streams": tcp_streams,
        "tcp_probe": tcp,
        "http_protocol": http_protocol,
        "http_aiohttp": http_aiohttp,
        "http_probe": http_(http_specs),
        "http_probe_full": http_(full_specs),
    }
    return checks, http.close
