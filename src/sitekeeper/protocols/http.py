"""The one seam for outbound HTTP: shared aiohttp sessions, one per TLS-verification mode.

Sessions are created lazily inside the running event loop and closed with `close()`.
Tests and the collector share this; nothing else creates aiohttp sessions.
"""

from __future__ import annotations

import ssl

import aiohttp


class HttpSessions:
    def __init__(self, *, limit: int = 0) -> None:
        self._limit = limit  # total connection limit (0 = no limit; the collector bounds work)
        self._sessions: dict[bool, aiohttp.ClientSession] = {}

    def get(self, *, verify_tls: bool) -> aiohttp.ClientSession:
        session = self._sessions.get(verify_tls)
        if session is None or session.closed:
            ssl_ctx: ssl.SSLContext | bool = True if verify_tls else False
            connector = aiohttp.TCPConnector(
                limit=self._limit,
                ssl=ssl_ctx,
                force_close=True,  # a check measures a fresh connection each time
                enable_cleanup_closed=True,
            )
            session = aiohttp.ClientSession(
                connector=connector,
                trust_env=False,  # never route checks through a proxy from the environment
                auto_decompress=True,
            )
            self._sessions[verify_tls] = session
        return session

    async def close(self) -> None:
        for session in self._sessions.values():
            await session.close()
        self._sessions.clear()
