"""What every probe shares: the port to use, templates, timing and error texts.

Error texts are read by a technician on a dashboard, so they are short and name the cause
("connection refused", "TLS certificate verify failed: self-signed certificate"), never a
Python class name or a traceback. Library exceptions stop here.
"""

from __future__ import annotations

import errno
import functools
import re
import socket
import ssl

import aiohttp

from sitekeeper.checks.specs import DEFAULT_PORTS
from sitekeeper.probes.base import ProbeContext, Target

_ERRNO_TEXT: dict[int, str] = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset by peer",
    errno.ECONNABORTED: "connection aborted",
    errno.EPIPE: "connection closed by peer",
    errno.EHOSTUNREACH: "no route to host",
    errno.ENETUNREACH: "network unreachable",
    errno.EADDRNOTAVAIL: "address not available",
}

_ESCAPES = re.compile(r"\\(x[0-9a-fA-F]{2}|[\\rnt0])")
_ESCAPED = {"\\": "\\", "r": "\r", "n": "\n", "t": "\t", "0": "\0"}


def resolve_port(target: Target, port: int | None, port_name: str | None) -> int | None:
    """The caller normally resolved the port already; the fallbacks keep a probe usable
    on its own (`sitekeeper check run`, tests) with the spec's port or the well-known one."""
    if target.port is not None:
        return target.port
    if port is not None:
        return port
    return DEFAULT_PORTS.get(port_name) if port_name else None


def no_port(port_name: str | None) -> str:
    named = f' ("{port_name}" is not a well-known service)' if port_name else ""
    return f"no port to probe: give `port`, or a `port_name` the device defines{named}"


def url_host(address: str) -> str:
    """An IPv6 literal must be bracketed wherever it lands in a URL (`http://[::1]:80/`)."""
    if ":" in address and not address.startswith("["):
        return f"[{address}]"
    return address


def fill(template: str, address: str, port: int | None) -> str:
    """Fill `{address}` and `{port}` by plain replacement rather than str.format, so any
    other braces (a JSON payload, say) pass through untouched. Every template we ship puts
    `{address}` in a URL, hence the IPv6 brackets."""
    text = template.replace("{address}", url_host(address))
    return text.replace("{port}", "" if port is None else str(port))


def unescape(text: str) -> str:
    r"""Turn `\r \n \t \0 \\ \xHH`, written literally in YAML, into the characters.

    Not `codecs.decode(..., "unicode_escape")`: that mangles any non-ASCII text."""

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        return chr(int(code[1:], 16)) if code[0] == "x" else _ESCAPED[code]

    return _ESCAPES.sub(one, text)


def printable(data: bytes, limit: int = 200) -> str:
    r"""At most `limit` characters of what a peer sent, safe to show: control characters
    appear escaped (`\r\n`) the way a user writes them in `send`."""
    text = data.decode("utf-8", errors="replace")[:limit]
    shown = (ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    return "".join(shown)[:limit]


def elapsed_ms(ctx: ProbeContext, since: float) -> float:
    """Milliseconds on the monotonic clock since `since`, rounded for storage."""
    return round((ctx.clock.monotonic() - since) * 1000.0, 3)


def timed_out(budget: float, stage: str) -> str:
    return f"timed out after {budget:.1f}s {stage}"


@functools.cache
def client_tls(*, verify: bool) -> ssl.SSLContext:
    """A client TLS context: the system store and hostname check, or neither (devices
    commonly ship self-signed certificates, and some checks only care that TLS answers).
    Made once per process: loading the system store costs ~40 ms of CPU each time."""
    if verify:
        return ssl.create_default_context()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def describe(exc: BaseException) -> str:
    """A short, human error text for anything a probe can run into."""
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return describe(exc.certificate_error)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return describe(exc.os_error)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate verify failed: {exc.verify_message or exc.reason}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed: {(exc.reason or str(exc)).lower().replace('_', ' ')}"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the address: {exc.strerror or exc}"
    if isinstance(exc, OSError) and exc.errno in _ERRNO_TEXT:
        return _ERRNO_TEXT[exc.errno]
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    if isinstance(exc, aiohttp.TooManyRedirects):
        return "too many redirects"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "server disconnected without a response"
    if isinstance(exc, aiohttp.InvalidURL):
        return f"invalid URL: {exc}"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"bad HTTP response: {exc.message}"
    if isinstance(exc, re.error):
        return f'invalid regex "{exc.pattern!s}": {exc.msg}'
    return str(exc) or type(exc).__name__
