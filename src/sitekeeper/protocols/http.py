"""The one seam for outbound HTTP: shared aiohttp sessions, one per TLS-verification mode.

Sessions are created lazily inside the running event loop and closed with `close()`.
Tests and the collector share this; nothing else creates aiohttp sessions.
"""

from __future__ import annotations

import ssl
import sys

import aiohttp
from aiohttp.connector import Connection

# CPython leaked aborted TLS transports until 3.12.8 (gh-118960); aiohttp's workaround is
# needed before that and warns (DeprecationWarning) if asked for after it.
_NEEDS_CLEANUP_CLOSED = sys.version_info < (3, 12, 8) or (3, 13, 0) <= sys.version_info < (3, 13, 1)


class PeerCertResponse(aiohttp.ClientResponse):
    """A response that keeps the server's certificate (DER), for certificate-expiry values.

    aiohttp releases the connection as soon as a small body has arrived, often before the
    caller sees the response, so the certificate must be taken as the response starts
    (aiohttp issues #2205, #2816; `response_class` is aiohttp's public seam for this).
    """

    peer_cert_der: bytes | None = None

    async def start(self, connection: Connection) -> aiohttp.ClientResponse:
        transport = connection.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        if isinstance(ssl_object, ssl.SSLObject):
            self.peer_cert_der = ssl_object.getpeercert(binary_form=True)
        return await super().start(connection)


class HttpSessions:
    def __init__(self, *, limit: int = 0) -> None:
        self._limit = limit  # total connection limit (0 = no limit; the collector bounds work)
        self._sessions: dict[bool, aiohttp.ClientSession] = {}

    def get(self, *, verify_tls: bool) -> aiohttp.ClientSession:
        session = self._sessions.get(verify_tls)
        if session is None or session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._limit,
                ssl=verify_tls,  # True: the default verifying context; False: no checks
                force_close=True,  # a check measures a fresh connection each time
                enable_cleanup_closed=_NEEDS_CLEANUP_CLOSED,
            )
            session = aiohttp.ClientSession(
                connector=connector,
                response_class=PeerCertResponse,
                trust_env=False,  # never route checks through a proxy from the environment
                auto_decompress=True,
            )
            self._sessions[verify_tls] = session
        return session

    async def close(self) -> None:
        for session in self._sessions.values():
            await session.close()
        self._sessions.clear()


async def read_capped(stream: aiohttp.StreamReader, cap: int) -> tuple[bytes, bool]:
    """At most `cap` bytes of a body, and whether there was more: a hostile or broken
    device must not be able to fill the collector's memory. Every read adds at least one
    byte, so the loop ends."""
    body = bytearray()
    while len(body) <= cap:
        chunk = await stream.read(min(64 * 1024, cap + 1 - len(body)))
        if not chunk:
            return bytes(body), False
        body += chunk
    return bytes(body[:cap]), True
