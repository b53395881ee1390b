"""In-test device servers on 127.0.0.1:0: a PJLink projector and an RTSP camera.

Each server is closed by `Servers.close()`; a handler that "hangs" waits on `release`, so
teardown ends it rather than leaving tasks behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

LOOPBACK = "127.0.0.1"
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class Servers:
    def __init__(self) -> None:
        self.release = asyncio.Event()
        self._servers: list[asyncio.Server] = []
        self._writers: set[asyncio.StreamWriter] = set()

    async def tcp(self, handler: Handler) -> int:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self._writers.add(writer)
            try:
                await handler(reader, writer)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                pass  # the client hung up; that is its right
            finally:
                writer.close()

        server = await asyncio.start_server(serve, LOOPBACK, 0)
        self._servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        self.release.set()
        for server in self._servers:
            server.close()
            await server.wait_closed()
        for writer in self._writers:
            writer.close()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1.0):
                    await writer.wait_closed()


# --- PJLink -------------------------------------------------------------------------------


@dataclass
class Projector:
    """A PJLink projector: state to report, an optional password, and ways to misbehave."""

    password: str | None = None
    seed: str = "498e4a67"
    pjlink_class: int = 1
    state: dict[str, str] = field(
        default_factory=lambda: {
            "POWR": "1",
            "INPT": "31",
            "LAMP": "1234 1",
            "ERST": "000000",
            "NAME": "Boardroom",
            "INF1": "EPSON",
            "INF2": "EB-L1100U",
            "INFO": "rev 2",
            "SVER": "1.04",
        }
    )
    greeting: bytes | None = None  # None: the standard PJLINK 0/1 greeting
    silent: bool = False  # accept and say nothing at all
    mute_after_greeting: bool = False
    received: list[str] = field(default_factory=list)

    def banner(self) -> bytes:
        if self.greeting is not None:
            return self.greeting
        return f"PJLINK 1 {self.seed}\r".encode() if self.password else b"PJLINK 0\r"

    def answer(self, line: str, first: bool) -> str | None:
        """The reply to one command line; None means: hang up after ERRA."""
        if self.password is not None and first:
            digest = hashlib.md5((self.seed + self.password).encode()).hexdigest()
            if not line.startswith(digest):
                return None
            line = line[len(digest) :]
        if len(line) < 7 or line[0] != "%":
            return "%1XXXX=ERR1"
        klass, command = line[1], line[2:6]
        if command == "CLSS":
            return f"%1CLSS={self.pjlink_class}"
        if int(klass) > self.pjlink_class or command not in self.state:
            return f"%{klass}{command}=ERR1"
        return f"%{klass}{command}={self.state[command]}"

    def handler(self, release: asyncio.Event) -> Handler:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            if self.silent:
                await release.wait()
                return
            writer.write(self.banner())
            await writer.drain()
            first = True
            while True:
                raw = await reader.readuntil(b"\r")
                line = raw[:-1].decode("ascii")
                self.received.append(line)
                if self.mute_after_greeting:
                    await release.wait()
                    return
                reply = self.answer(line, first)
                first = False
                if reply is None:
                    writer.write(b"PJLINK ERRA\r")
                    await writer.drain()
                    return
                writer.write(reply.encode("ascii") + b"\r")
                await writer.drain()

        return handle


# --- RTSP ---------------------------------------------------------------------------------

SDP = (
    "v=0\r\n"
    "o=- 1 1 IN IP4 127.0.0.1\r\n"
    "s=Media Presentation\r\n"
    "t=0 0\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=control:trackID=1\r\n"
    "m=audio 0 RTP/AVP 8\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=control:trackID=2\r\n"
)


@dataclass
class Camera:
    """An RTSP camera: answers OPTIONS and DESCRIBE per path, records what it was asked."""

    streams: dict[str, str] = field(default_factory=lambda: {"/live": SDP})
    auth: str | None = None  # a WWW-Authenticate value: every request gets 401
    describe_status: tuple[int, str] | None = None  # force a status for DESCRIBE
    hang_on_describe: bool = False
    close_on_describe: bool = False
    received: list[str] = field(default_factory=list)

    def respond(self, request: str) -> bytes | None:
        lines = request.split("\r\n")
        method, url, _ = lines[0].split(" ", 2)
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        cseq = headers.get("CSeq", "0")
        head = f"CSeq: {cseq}\r\nServer: test-camera\r\n"
        if self.auth is not None:
            return (
                f"RTSP/1.0 401 Unauthorized\r\n{head}WWW-Authenticate: {self.auth}\r\n\r\n".encode()
            )
        if method == "OPTIONS":
            return (
                f"RTSP/1.0 200 OK\r\n{head}Public: OPTIONS, DESCRIBE, SETUP, PLAY\r\n\r\n".encode()
            )
        path = "/" + url.split("/", 3)[3] if url.count("/") >= 3 else "/"
        if self.describe_status is not None:
            code, reason = self.describe_status
            return f"RTSP/1.0 {code} {reason}\r\n{head}\r\n".encode()
        body = self.streams.get(path)
        if body is None:
            return f"RTSP/1.0 404 Not Found\r\n{head}\r\n".encode()
        data = body.encode()
        return (
            f"RTSP/1.0 200 OK\r\n{head}Content-Type: application/sdp\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        ).encode() + data

    def handler(self, release: asyncio.Event) -> Handler:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                request = (await reader.readuntil(b"\r\n\r\n")).decode()
                self.received.append(request)
                if request.startswith("DESCRIBE") and self.hang_on_describe:
                    await release.wait()
                    return
                if request.startswith("DESCRIBE") and self.close_on_describe:
                    return
                reply = self.respond(request)
                if reply is None:
                    return
                writer.write(reply)
                await writer.drain()

        return handle
