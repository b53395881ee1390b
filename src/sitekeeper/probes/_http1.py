"""The small HTTP/1.1 check client: one GET or HEAD over a fresh connection, on a Protocol.

Most HTTP checks are a plain GET of a device's page over http:// to an IP address. For
those, aiohttp's per-request machinery (sessions, connectors, request and response objects,
stream readers) costs more CPU than the request itself; this client writes one request
from a cached template and parses the reply as it arrives (`_http1_parse`). `route()`
says which checks it takes; everything else (https, POST and bodies, host names, user
info in the URL, framing headers, and a redirect to follow) stays with aiohttp.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import re
from dataclasses import dataclass
from typing import cast

import yarl

from sitekeeper import __version__
from sitekeeper.checks.specs import HttpCheck
from sitekeeper.probes._http1_parse import BadReply, Reply, ReplyParser

REDIRECTS = frozenset({301, 302, 303, 307, 308})
# headers that change the framing or the connection: with them, aiohttp does the request
_FRAMING = frozenset(
    {"connection", "content-length", "transfer-encoding", "te", "upgrade", "expect", "trailer"}
)
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE = re.compile(r"[\x00\r\n]")
USER_AGENT = f"sitekeeper/{__version__}"


@dataclass(frozen=True, slots=True)
class Route:
    """Where and what to send for one URL: an IP literal, a port, the request bytes."""

    host: str
    port: int
    request: bytes
    head_only: bool


class ServerDisconnected(Exception):
    """The server closed the connection before a byte of the response."""


def route(spec: HttpCheck, url: str) -> Route | None:
    """The request for this check if the small client can make it, else None (aiohttp)."""
    if spec.body is not None or spec.method not in ("GET", "HEAD"):
        return None
    headers = tuple(spec.headers.items())
    return _route(url, spec.method, headers)


@functools.lru_cache(maxsize=4096)
def _route(url: str, method: str, headers: tuple[tuple[str, str], ...]) -> Route | None:
    """Parsed once per URL: a check sends the same request every run."""
    try:
        parsed = yarl.URL(url)
        host = parsed.host
    except (ValueError, TypeError):
        return None  # aiohttp reports the invalid URL in its words
    if parsed.scheme != "http" or host is None or parsed.raw_user or parsed.raw_password:
        return None
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None  # a host name: aiohttp resolves it, with its DNS cache
    port, host_header = parsed.port, parsed.host_port_subcomponent
    if port is None or host_header is None:
        return None
    fields = {"host": ("Host", host_header), "accept": ("Accept", "*/*")}
    fields["user-agent"] = ("User-Agent", USER_AGENT)
    for name, value in headers:
        if not _TOKEN.fullmatch(name) or _BAD_VALUE.search(value) or name.lower() in _FRAMING:
            return None
        fields[name.lower()] = (name, value)
    fields["connection"] = ("Connection", "close")
    lines = [f"{method} {parsed.raw_path_qs} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in fields.values()]
    try:
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    except UnicodeEncodeError:
        return None  # aiohttp decides what to do with such a header
    return Route(host=host, port=port, request=request, head_only=method == "HEAD")


class _Exchange(asyncio.Protocol):
    """Writes the request on connect, feeds the parser, resolves `done` when the reply is
    complete (or wrong), and closes the connection: a check never reuses one."""

    def __init__(self, request: bytes, parser: ReplyParser, done: asyncio.Future[None]) -> None:
        self.request, self.parser, self.done = request, parser, done
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        if self.done.done():
            return
        try:
            finished = self.parser.feed(data)
        except BadReply as err:
            self._finish(err)
            return
        if finished:
            self._finish(None)

    def eof_received(self) -> bool:
        return False  # let the transport close; connection_lost judges what we have

    def connection_lost(self, exc: Exception | None) -> None:
        if self.done.done():
            return
        if exc is not None:
            self.done.set_exception(exc)
            return
        try:
            complete = self.parser.feed_eof()
        except BadReply as err:
            self.done.set_exception(err)
            return
        if complete:
            self.done.set_result(None)
        else:
            self.done.set_exception(ServerDisconnected())

    def _finish(self, error: BadReply | None) -> None:
        if error is None:
            self.done.set_result(None)
        else:
            self.done.set_exception(error)
        if self.transport is not None:
            self.transport.close()


async def fetch(target: Route, *, body_cap: int, parser: ReplyParser | None = None) -> Reply:
    """Send the request and read the reply; raises OSError, BadReply, ServerDisconnected.

    The caller holds the deadline; pass `parser` to know, on a timeout, whether the head had
    arrived. The connection is closed however this ends."""
    loop = asyncio.get_running_loop()
    parser = parser or ReplyParser(body_cap=body_cap, head_only=target.head_only)
    done: asyncio.Future[None] = loop.create_future()
    transport, _ = await loop.create_connection(
        lambda: _Exchange(target.request, parser, done), target.host, target.port
    )
    try:
        await done
    finally:
        transport.close()
    return parser.reply
