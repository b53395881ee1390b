"""RTSP 1.0 requests (RFC 2326) and the SDP a DESCRIBE returns (RFC 4566), read bounded.

Only what a health check needs: send OPTIONS or DESCRIBE on an open connection, read the
response head (at most MAX_HEAD bytes) and a body of at most MAX_BODY bytes, and list the
media and codecs of an SDP. No SETUP or PLAY: a stream that describes itself is alive enough
to tell from one whose encoder has died while the port stays open.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

MAX_HEAD = 16 * 1024
MAX_BODY = 64 * 1024
MAX_HEADERS = 100
USER_AGENT = "sitekeeper"
_STATUS = re.compile(r"^RTSP/\d\.\d (\d{3})(?: (.*))?$")
# RFC 3551 static payload types a camera may use without an a=rtpmap line.
STATIC_PAYLOADS = {0: "PCMU", 8: "PCMA", 14: "MPA", 26: "JPEG", 32: "MPV", 33: "MP2T", 34: "H263"}


class RtspError(Exception):
    """The peer does not answer like an RTSP server; the text is for people."""


@dataclass(frozen=True, slots=True)
class RtspResponse:
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def auth_schemes(self) -> list[str]:
        """The schemes a 401 offers (`Digest`, `Basic`), from every WWW-Authenticate."""
        offered = (v for k, v in self.headers if k.lower() == "www-authenticate")
        return [value.split(None, 1)[0].capitalize() for value in offered if value.strip()]


async def _line(reader: asyncio.StreamReader, budget: list[int]) -> str:
    try:
        raw = await reader.readline()
    except ValueError as err:  # a line longer than the stream's limit
        raise RtspError(f"response head longer than {MAX_HEAD} bytes") from err
    budget[0] -= len(raw)
    if budget[0] < 0:
        raise RtspError(f"response head longer than {MAX_HEAD} bytes")
    if not raw.endswith(b"\n"):
        raise RtspError("connection closed before the response ended")
    return raw.decode("latin-1").rstrip("\r\n")


async def read_response(reader: asyncio.StreamReader) -> RtspResponse:
    budget = [MAX_HEAD]
    status_line = await _line(reader, budget)
    match = _STATUS.match(status_line)
    if match is None:
        raise RtspError(f'not an RTSP response: "{status_line[:60]}"')
    headers: list[tuple[str, str]] = []
    while line := await _line(reader, budget):
        name, sep, value = line.partition(":")
        if sep and len(headers) < MAX_HEADERS:
            headers.append((name.strip(), value.strip()))
    response = RtspResponse(int(match.group(1)), match.group(2) or "", tuple(headers))
    length = response.header("Content-Length")
    if length is None or not length.isdigit() or int(length) == 0:
        return response
    try:
        body = await reader.readexactly(min(int(length), MAX_BODY))
    except asyncio.IncompleteReadError as err:
        raise RtspError("connection closed before the body ended") from err
    return RtspResponse(response.status, response.reason, response.headers, body)


async def request(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    method: str,
    url: str,
    cseq: int,
    headers: dict[str, str] | None = None,
) -> RtspResponse:
    lines = [f"{method} {url} RTSP/1.0", f"CSeq: {cseq}", f"User-Agent: {USER_AGENT}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))
    await writer.drain()
    return await read_response(reader)


# --- SDP ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Media:
    kind: str  # video, audio, application, ...
    payload_types: list[int] = field(default_factory=list)
    codecs: list[str] = field(default_factory=list)


def parse_sdp(text: str) -> list[Media]:
    """The media sections with their codecs: `a=rtpmap:96 H264/90000` names payload 96;
    static payload types (8 = PCMA, ...) are named without one."""
    media: list[Media] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            parts = line[2:].split()
            types = [int(p) for p in parts[3:] if p.isdigit()]
            media.append(Media(parts[0].lower() if parts else "", types))
        elif line.startswith("a=rtpmap:") and media:
            number, _, encoding = line[len("a=rtpmap:") :].partition(" ")
            if number.isdigit() and int(number) in media[-1].payload_types and encoding:
                media[-1].codecs.append(encoding.split("/", 1)[0])
    for section in media:
        if not section.codecs:
            section.codecs = [
                STATIC_PAYLOADS[t] for t in section.payload_types if t in STATIC_PAYLOADS
            ]
    return media
