"""A strict, bounded HTTP/1.x response parser for the small check client (pure: no I/O).

Fed bytes as they arrive, it reads the status line and headers (at most HEAD_CAP bytes,
skipping 1xx interim replies), then the body framed by Transfer-Encoding: chunked,
Content-Length, or the end of the connection, keeping at most `body_cap` bytes (after
gzip/deflate decoding, when the server sent an encoding although none was asked for).
A reply that breaks the framing raises BadReply with a short text a technician can read.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

HEAD_CAP = 64 * 1024  # status line and headers together, interim replies included
CHUNK_LINE_CAP = 4096  # a chunk-size line with its extensions
NO_BODY_STATUS = frozenset({204, 304})

_STATUS_LINE = re.compile(rb"HTTP/1\.([01]) ([0-9]{3})(?: ([^\r\n]*))?")
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE = re.compile(rb"[\x00\r\n]")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")


class BadReply(Exception):
    """The server's reply is not HTTP/1.x we can read; the text says what was wrong."""


@dataclass(slots=True)
class Reply:
    """What the parser has read: status, headers (names lower-cased), the body so far."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)
    truncated: bool = False  # more body arrived than the cap allows


def _shown(line: bytes) -> str:
    return line[:60].decode("latin-1").encode("unicode_escape").decode("ascii")


def parse_head(head: bytes) -> Reply:
    """Status line and header fields of one reply head (without the blank line)."""
    lines = head.split(b"\n")
    lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    match = _STATUS_LINE.fullmatch(lines[0])
    if match is None:
        raise BadReply(f'malformed status line "{_shown(lines[0])}"')
    reply = Reply(status=int(match.group(2)))
    if reply.status < 100:
        raise BadReply(f"invalid status code {reply.status}")
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or _TOKEN.fullmatch(name) is None:
            raise BadReply(f'malformed header line "{_shown(line)}"')
        value = value.strip(b" \t")
        if _BAD_VALUE.search(value):
            raise BadReply(f'invalid character in header "{name.decode("ascii")}"')
        key = name.decode("ascii").lower()
        text = value.decode("latin-1")
        reply.headers[key] = f"{reply.headers[key]}, {text}" if key in reply.headers else text
    return reply


def _content_length(reply: Reply) -> int | None:
    raw = reply.headers.get("content-length")
    if raw is None:
        return None
    values = {v.strip() for v in raw.split(",")}
    if len(values) != 1 or not (value := values.pop()).isdigit() or len(value) > 18:
        raise BadReply(f'invalid Content-Length "{raw[:40]}"')
    return int(value)


def _decoder(reply: Reply) -> zlib._Decompress | None:
    """A decoder for gzip or deflate (raw or zlib-wrapped, told apart by the first byte
    later); other encodings are kept as they came, like aiohttp without extra codecs."""
    coding = reply.headers.get("content-encoding", "").strip().lower()
    if coding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    return None


class ReplyParser:
    """Incremental: `feed(data)` and `feed_eof()` return True once the reply is complete.

    `head_only` is for HEAD requests, whose replies announce a body they never send."""

    def __init__(self, *, body_cap: int, head_only: bool = False) -> None:
        self.reply = Reply()
        self.head_done = False
        self._cap = body_cap
        self._head_only = head_only
        self._buf = bytearray()  # unparsed bytes: the head, or chunk framing
        self._head_bytes = 0
        self._mode = ""  # "length", "chunked" or "close", once the head is read
        self._left = 0  # body bytes still due: of the Content-Length, or of this chunk
        self._chunk_state = "size"  # "size", "data", "crlf"
        self._deflate = False
        self._decoder: zlib._Decompress | None = None

    # -- head ----------------------------------------------------------------------------

    def feed(self, data: bytes) -> bool:
        if not self.head_done:
            self._buf += data
            return self._read_head()
        return self._read_body(data)

    def _read_head(self) -> bool:
        while not self.head_done:
            end, gap = self._head_end()
            if end < 0:
                if self._head_bytes + len(self._buf) > HEAD_CAP:
                    raise BadReply(f"response headers larger than {HEAD_CAP // 1024} KiB")
                return False
            self._head_bytes += end + gap
            if self._head_bytes > HEAD_CAP:
                raise BadReply(f"response headers larger than {HEAD_CAP // 1024} KiB")
            reply = parse_head(bytes(self._buf[:end]))
            del self._buf[: end + gap]
            if 100 <= reply.status < 200 and reply.status != 101:
                continue  # an interim reply (100 Continue, 103 Early Hints): the real one follows
            self.reply, self.head_done = reply, True
        return self._start_body()

    def _head_end(self) -> tuple[int, int]:
        """Where the blank line ending the head starts, and its length (-1 if not yet)."""
        crlf, lf = self._buf.find(b"\r\n\r\n"), self._buf.find(b"\n\n")
        if crlf >= 0 and (lf < 0 or crlf + 1 <= lf):
            return crlf, 4
        if lf >= 0:
            return lf, 2
        return -1, 0

    def _start_body(self) -> bool:
        reply, rest = self.reply, bytes(self._buf)
        self._buf.clear()
        length = _content_length(reply)
        if self._head_only or reply.status in NO_BODY_STATUS or reply.status == 101:
            return True
        coding = reply.headers.get("content-encoding", "").strip().lower()
        self._decoder = _decoder(reply)
        self._deflate = coding == "deflate"
        codings = reply.headers.get("transfer-encoding", "")
        if codings:
            chunked = codings.rsplit(",", 1)[-1].strip().lower() == "chunked"
            self._mode = "chunked" if chunked else "close"
        elif length is not None:
            self._mode, self._left = "length", length
            if length == 0:
                return True
        else:
            self._mode = "close"
        return self._read_body(rest) if rest else False

    # -- body ----------------------------------------------------------------------------

    def _read_body(self, data: bytes) -> bool:
        if self._mode == "length":
            taken = data[: self._left]
            self._left -= len(taken)
            return self._keep(taken) or self._left == 0
        if self._mode == "chunked":
            self._buf += data
            return self._read_chunks()
        return self._keep(data)

    def _read_chunks(self) -> bool:
        buf = self._buf
        while buf:
            if self._chunk_state == "size":
                end = buf.find(b"\n")
                if end < 0:
                    if len(buf) > CHUNK_LINE_CAP:
                        raise BadReply("chunk size line too long")
                    return False
                line = bytes(buf[:end]).rstrip(b"\r").split(b";", 1)[0].strip(b" \t")
                del buf[: end + 1]
                if _HEX.fullmatch(line) is None:
                    raise BadReply(f'malformed chunk size "{_shown(line)}"')
                self._left = int(line, 16)
                if self._left == 0:
                    return True  # the last chunk; trailers, if any, are not needed
                self._chunk_state = "data"
            elif self._chunk_state == "data":
                taken = bytes(buf[: self._left])
                del buf[: len(taken)]
                self._left -= len(taken)
                if self._keep(taken):
                    return True
                if self._left == 0:
                    self._chunk_state = "crlf"
            else:
                if buf[:2] == b"\r\n":
                    del buf[:2]
                elif buf[:1] == b"\n":
                    del buf[:1]
                elif buf == b"\r":
                    return False
                else:
                    raise BadReply("chunk data longer than its size")
                self._chunk_state = "size"
        return False

    def _keep(self, data: bytes) -> bool:
        """Add body bytes (decoded if need be); True once the cap is passed."""
        if not data:
            return False
        if self._deflate:  # zlib-wrapped deflate starts with 0x?8, raw deflate does not
            wbits = zlib.MAX_WBITS if data[0] & 0x0F == 8 else -zlib.MAX_WBITS
            self._decoder, self._deflate = zlib.decompressobj(wbits), False
        body, room = self.reply.body, self._cap - len(self.reply.body)
        if self._decoder is not None:
            try:
                data = self._decoder.decompress(data, room + 1)
            except zlib.error as err:
                raise BadReply(f"cannot decode the compressed body: {err}") from err
            if self._decoder.unconsumed_tail:
                data += b"\0"  # more than the room: the body goes past the cap
        if len(data) > room:
            body += data[:room]
            self.reply.truncated = True
            return True
        body += data
        return False

    def feed_eof(self) -> bool:
        """The server closed: True if that completes the reply, else BadReply."""
        if not self.head_done:
            if self._head_bytes or self._buf:
                raise BadReply("connection closed in the middle of the response headers")
            return False  # closed before a byte: the caller reports a disconnect
        if self._mode == "close":
            return True
        if self._mode == "length":
            got = _content_length(self.reply) or 0
            raise BadReply(f"connection closed after {got - self._left} of {got} body bytes")
        raise BadReply("connection closed before the last chunk")
