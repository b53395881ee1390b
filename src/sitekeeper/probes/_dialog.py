"""One send/expect exchange over a stream, shared by every probe that talks to a port.

The bytes received live on the Dialog, not in a return value, so that when the probe's
deadline cancels the exchange half-way the probe can still show what did arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass, field

READ_CAP = 64 * 1024  # a hostile or chatty peer must not fill our memory
_CHUNK = 4096


@dataclass(slots=True)
class Dialog:
    """Send `send` (if any), then read until `expect` is found, EOF, or READ_CAP bytes.

    The pattern is searched with MULTILINE, so `^` anchors at any line start, like
    blackbox_exporter matching reply lines one by one; a banner preceded by a blank line
    or a greeting still matches.
    """

    send: bytes | None = None
    expect: re.Pattern[str] | None = None
    cap: int = READ_CAP
    received: bytearray = field(default_factory=bytearray)

    @classmethod
    def of(cls, send: str | None, expect: str | None) -> Dialog:
        """Build from text; `expect` is compiled here, so a bad regex raises re.error."""
        pattern = re.compile(expect, re.MULTILINE) if expect is not None else None
        return cls(send=send.encode("utf-8") if send else None, expect=pattern)

    def text(self) -> str:
        return self.received.decode("utf-8", errors="replace")

    async def run(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool | None:
        """True when `expect` matched, False when it did not (EOF or cap), None when
        nothing was expected. Each read adds at least one byte, so the loop ends by cap."""
        if self.send:
            writer.write(self.send)
            await writer.drain()
        if self.expect is None:
            return None
        while len(self.received) < self.cap:
            chunk = await reader.read(min(_CHUNK, self.cap - len(self.received)))
            if not chunk:
                return False
            self.received += chunk
            if self.expect.search(self.text()):
                return True
        return False


async def close_quietly(writer: asyncio.StreamWriter, grace: float) -> None:
    """Close politely (a TLS close_notify) but wait at most `grace` seconds: a peer that
    ignores our goodbye must not hold the probe past its deadline. Errors while closing
    say nothing about the service, so they are dropped."""
    writer.close()
    try:
        async with asyncio.timeout(grace):
            await writer.wait_closed()
    except (TimeoutError, OSError):  # ssl.SSLError is an OSError
        with contextlib.suppress(Exception):
            writer.transport.abort()
