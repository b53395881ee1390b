"""Syslog receiver: UDP and TCP, RFC 3164 and RFC 5424, and match rules that judge messages.

    SyslogReceiver(callback)  ->  callback(source_address, SyslogMessage)
    match(rules, message)     ->  SyslogMatch(check, status, reason) | None   (pure)

TCP framing follows RFC 6587: a frame that starts with a digit is octet-counted
(`123 <34>1 ...`), anything else ends at LF. Everything is bounded: a message is cut at
MAX_MESSAGE bytes, an octet count above MAX_FRAME ends the connection, at most
MAX_CONNECTIONS TCP peers at once, each dropped after IDLE_TIMEOUT seconds of silence.
Parsing never raises: what cannot be read as a header stays in the text (RFC 3164 §4.3.3:
a message without PRI is user.notice). Devices send RFC 3164 in many dialects (Cisco's
`52: *Mar  1 00:01:02.345: %LINK-3-UPDOWN: ...`, no host name, ISO timestamps); the parser
takes what it recognises and keeps the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sitekeeper.checks.specs_passive import SEVERITIES, Severity
from sitekeeper.state.model import CheckStatus

MAX_MESSAGE = 8192  # bytes of one message kept (RFC 5424 asks receivers for at least 2048)
MAX_FRAME = 64 * 1024  # an octet count above this is broken framing: hang up
MAX_CONNECTIONS = 256
IDLE_TIMEOUT = 300.0
DEFAULT_PORT = 1514  # unprivileged; 514 is the standard port (needs root or CAP_NET_BIND_SERVICE)
_LOG = logging.getLogger("sitekeeper.collector.syslog")

_PRI = re.compile(rb"^<(\d{1,3})>")
_RFC5424 = re.compile(r"^1 (\S+) (\S+) (\S+) (\S+) (\S+) ?(.*)$", re.DOTALL)
_CISCO_SEQ = re.compile(r"^\d{1,10}: ")
_BSD_TIME = re.compile(
    r"^[*.]?([A-Z][a-z]{2}) {1,2}(\d{1,2}) (?:(\d{4}) )?(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?"
    r"(?: ?[A-Z]{3,4})?:? "
)
_ISO_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})?) "
)
_HOST = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._:-]{0,254}) ")
_TAG = re.compile(r"^([A-Za-z0-9][^\s\[:]{0,47})(?:\[([^\]\s]{1,32})\])?: ?")
_MNEMONIC = re.compile(r"%([A-Z0-9_]+-\d-[A-Z0-9_]+):")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class SyslogMessage:
    facility: int
    severity: int  # 0 emerg ... 7 debug
    timestamp: datetime | None  # aware; None when the sender gave none we could read
    hostname: str | None
    app: str | None
    msgid: str | None  # RFC 5424 MSGID, or a Cisco mnemonic such as LINK-3-UPDOWN
    text: str
    procid: str | None = None
    structured_data: str | None = None

    @property
    def line(self) -> str:
        """What match rules search: `app: text`, like a line in a log file."""
        return f"{self.app}: {self.text}" if self.app else self.text


# --- parsing (pure) -----------------------------------------------------------------------


def _nil(field: str) -> str | None:
    return None if field == "-" else field


def _iso(token: str) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(token)
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)


def _split_sd(rest: str) -> tuple[str | None, str]:
    """(structured data, message) from what follows MSGID: `-` or `[id k="v"]...`."""
    if rest.startswith("-"):
        return None, rest[2:] if rest.startswith("- ") else rest[1:]
    i, quoted = 0, False
    while i < len(rest) and rest[i] == "[":
        i += 1
        while i < len(rest) and (quoted or rest[i] != "]"):
            if rest[i] == "\\":
                i += 1
            elif rest[i] == '"':
                quoted = not quoted
            i += 1
        i += 1
    if i == 0:
        return None, rest
    return rest[:i], rest[i + 1 :] if rest[i : i + 1] == " " else rest[i:]


def _bsd_time(match: re.Match[str], received: datetime, tz: tzinfo) -> datetime | None:
    """A `Mmm dd hh:mm:ss` stamp has no year: take the one that puts it nearest `received`
    (a December message read in January is last year's)."""
    month = _MONTHS.index(match.group(1)) + 1 if match.group(1) in _MONTHS else 0
    day, hour, minute, second = (int(match.group(i)) for i in (2, 4, 5, 6))
    local = received.astimezone(tz)
    years = [int(match.group(3))] if match.group(3) else [local.year + d for d in (-1, 0, 1)]
    stamps: list[datetime] = []
    for year in years:
        with contextlib.suppress(ValueError):  # Feb 29 of a common year, month "Foo", ...
            stamps.append(datetime(year, month, day, hour, minute, second, tzinfo=tz))
    return min(stamps, key=lambda stamp: abs(stamp - local), default=None)


def _parse_5424(pri: tuple[int, int], body: str) -> SyslogMessage | None:
    m = _RFC5424.match(body)
    if m is None:
        return None
    structured, text = _split_sd(m.group(6))
    return SyslogMessage(
        facility=pri[0],
        severity=pri[1],
        timestamp=_iso(m.group(1)) if m.group(1) != "-" else None,
        hostname=_nil(m.group(2)),
        app=_nil(m.group(3)),
        msgid=_nil(m.group(5)),
        text=text.removeprefix("\ufeff"),
        procid=_nil(m.group(4)),
        structured_data=structured,
    )


def _parse_3164(pri: tuple[int, int], body: str, received: datetime, tz: tzinfo) -> SyslogMessage:
    rest = _CISCO_SEQ.sub("", body, count=1)
    timestamp, stamped = None, True
    if (bsd := _BSD_TIME.match(rest)) is not None:
        timestamp, rest = _bsd_time(bsd, received, tz), rest[bsd.end() :]
    elif (iso := _ISO_TIME.match(rest)) is not None:
        timestamp, rest = _iso(iso.group(1)), rest[iso.end() :]
    else:
        stamped = False  # then a host name cannot be told from a tag: leave it
    hostname = None
    host = _HOST.match(rest)
    if stamped and host is not None and not host.group(1).endswith(":"):
        hostname, rest = host.group(1), rest[host.end() :]
    app = procid = None
    if (tag := _TAG.match(rest)) is not None:
        app, procid, rest = tag.group(1), tag.group(2), rest[tag.end() :]
    mnemonic = _MNEMONIC.search(rest[:200])
    return SyslogMessage(
        facility=pri[0],
        severity=pri[1],
        timestamp=timestamp,
        hostname=hostname,
        app=app,
        msgid=mnemonic.group(1) if mnemonic else None,
        text=rest,
        procid=procid,
    )


def parse(data: bytes, *, received: datetime, tz: tzinfo = UTC) -> SyslogMessage:
    """Read one message, RFC 5424 or RFC 3164; never raises. `received` (aware) dates an
    RFC 3164 timestamp, read in the sender's time zone `tz`."""
    data = data[:MAX_MESSAGE].rstrip(b"\r\n\0")
    pri = _PRI.match(data)
    facility, severity = 1, 5  # RFC 3164 §4.3.3: no PRI means user.notice
    if pri is not None and int(pri.group(1)) <= 191:
        facility, severity = divmod(int(pri.group(1)), 8)
        data = data[pri.end() :]
    body = data.decode("utf-8", errors="replace")
    found = _parse_5424((facility, severity), body) if body.startswith("1 ") else None
    return found or _parse_3164((facility, severity), body, received, tz)


# --- TCP framing (pure) -------------------------------------------------------------------


class FramingError(ValueError):
    """The peer's framing cannot be followed (an absurd octet count)."""


class TcpFramer:
    """RFC 6587 frames from a byte stream; holds at most MAX_MESSAGE + a few bytes."""

    def __init__(self, max_message: int = MAX_MESSAGE, max_frame: int = MAX_FRAME) -> None:
        self.max_message, self.max_frame = max_message, max_frame
        self._buf = bytearray()
        self._skip = 0  # octet-counted bytes beyond max_message still to drop
        self._discarding = False  # an over-long LF frame: drop until its LF

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        frames: list[bytes] = []
        while self._buf and self._step(frames):
            pass
        return [f for f in frames if f.strip(b"\r\n\0 ")]

    def flush(self) -> list[bytes]:
        """At end of stream: an unterminated last LF frame still counts."""
        rest = b"" if self._skip or self._discarding else bytes(self._buf)
        self._buf.clear()
        return [rest[: self.max_message]] if rest.strip(b"\r\n\0 ") else []

    def _step(self, frames: list[bytes]) -> bool:
        """Take one frame (or drop bytes) from the buffer; False when more input is needed."""
        buf = self._buf
        if self._skip:
            drop = min(self._skip, len(buf))
            del buf[:drop]
            self._skip -= drop
            return True
        if self._discarding:
            end = buf.find(b"\n")
            del buf[: len(buf) if end < 0 else end + 1]
            self._discarding = end < 0
            return True
        if buf[:1].isdigit():
            counted = re.match(rb"(\d{1,7}) ", buf)
            if counted is None and len(buf) < 8 and bytes(buf).isdigit():
                return False  # the octet count is still arriving
            if counted is not None:
                return self._octet_counted(int(counted.group(1)), counted.end(), frames)
        end = buf.find(b"\n")
        if end >= 0:
            frames.append(bytes(buf[: min(end, self.max_message)]))
            del buf[: end + 1]
            return True
        if len(buf) > self.max_message:
            frames.append(bytes(buf[: self.max_message]))
            buf.clear()
            self._discarding = True
        return False

    def _octet_counted(self, length: int, start: int, frames: list[bytes]) -> bool:
        if length > self.max_frame:
            raise FramingError(f"octet count {length} is over {self.max_frame}")
        kept = min(length, self.max_message)
        if len(self._buf) - start < kept:
            return False
        frames.append(bytes(self._buf[start : start + kept]))
        del self._buf[: start + kept]
        self._skip = length - kept
        return True


# --- match rules (pure) -------------------------------------------------------------------


class SyslogRule(BaseModel):
    """`{name: link-flaps, pattern: '%LINK-3-UPDOWN', min_severity: err, status: WARN}`:
    a message at least as severe as `min_severity` whose line matches `pattern` (searched)
    gives check `name` the status `status`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,62}$")
    pattern: str
    min_severity: Severity = 7
    status: CheckStatus = CheckStatus.WARN

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as err:
            raise ValueError(f"not a valid regular expression: {err}") from err
        return value


@dataclass(frozen=True, slots=True)
class SyslogMatch:
    check: str
    status: CheckStatus
    reason: str


def match(rules: Sequence[SyslogRule], message: SyslogMessage) -> SyslogMatch | None:
    """The first rule that applies, as (check name, status, reason); None if none does."""
    for rule in rules:
        if message.severity <= rule.min_severity and re.search(rule.pattern, message.line):
            word = SEVERITIES[message.severity]
            return SyslogMatch(rule.name, rule.status, f"{word}: {message.line[:200]}")
    return None


# --- the receiver -------------------------------------------------------------------------

Callback = Callable[[str, SyslogMessage], None]


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, deliver: Callable[[str, bytes], None]) -> None:
        self._deliver = deliver

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self._deliver(str(addr[0]), data)


class SyslogReceiver:
    """Listens on UDP and/or TCP and hands every message to `callback(source, message)`.

    Ports default to 1514; pass 0 for any free port (tests) or None to turn a transport
    off. `tz` is the time zone of senders that stamp local time without an offset."""

    def __init__(
        self,
        callback: Callback,
        *,
        host: str = "127.0.0.1",
        udp_port: int | None = DEFAULT_PORT,
        tcp_port: int | None = DEFAULT_PORT,
        tz: tzinfo = UTC,
        now: Callable[[], float] | None = None,
        max_connections: int = MAX_CONNECTIONS,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        self._callback, self._host, self._tz = callback, host, tz
        self._ports = (udp_port, tcp_port)
        self._now = now or (lambda: datetime.now(UTC).timestamp())
        self._max_connections, self._idle_timeout = max_connections, idle_timeout
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.udp_port: int | None = None
        self.tcp_port: int | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        udp_port, tcp_port = self._ports
        if udp_port is not None:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Udp(self._deliver), local_addr=(self._host, udp_port)
            )
            self._udp = transport
            self.udp_port = int(transport.get_extra_info("sockname")[1])
        if tcp_port is not None:
            self._tcp = await asyncio.start_server(self._serve, self._host, tcp_port)
            self.tcp_port = int(self._tcp.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
        for writer in list(self._writers):
            writer.close()
        if self._tcp is not None:
            await self._tcp.wait_closed()
        if self._tasks:  # before 3.12, wait_closed does not wait for the handlers
            await asyncio.wait(list(self._tasks), timeout=1.0)

    async def __aenter__(self) -> SyslogReceiver:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    def _deliver(self, source: str, data: bytes) -> None:
        received = datetime.fromtimestamp(self._now(), UTC)
        message = parse(data, received=received, tz=self._tz)
        try:
            self._callback(source, message)
        except Exception:  # one bad consumer call must not stop the receiver
            _LOG.exception("syslog callback failed for a message from %s", source)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if len(self._writers) >= self._max_connections:
            writer.close()
            return
        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        source = str(writer.get_extra_info("peername")[0])
        framer = TcpFramer()
        try:
            while True:
                async with asyncio.timeout(self._idle_timeout):
                    chunk = await reader.read(16 * 1024)
                for frame in framer.feed(chunk) if chunk else framer.flush():
                    self._deliver(source, frame)
                if not chunk:
                    break
        except (TimeoutError, OSError, FramingError) as err:
            _LOG.debug("syslog connection from %s ended: %s", source, err)
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
