"""PJLink class 1 and 2: the status of projectors and displays over TCP (port 4352).

The dialogue, per the JBMIA PJLink specification:

    projector: PJLINK 0<CR>                 no authentication
           or: PJLINK 1 <seed><CR>          authentication: the first command is prefixed
                                            with md5(seed + password) in lower-case hex
    us:        %1POWR ?<CR>                 a query: %, class digit, 4 letters, space, ?
    projector: %1POWR=1<CR>                 the answer, or ERR1 (undefined command), ERR2 (out
                                            of parameter), ERR3 (unavailable time), ERR4
                                            (projector failure)
           or: PJLINK ERRA<CR>              wrong password (then it hangs up)

Every line is read up to MAX_LINE bytes: a hostile or broken peer cannot make us buffer more.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass, field

PORT = 4352
MAX_LINE = 256  # the specification caps a line at 136 bytes
COMMAND_ERRORS = {
    "ERR1": "undefined command",
    "ERR2": "out of parameter",
    "ERR3": "unavailable at this time",
    "ERR4": "projector/display failure",
}
POWER_STATES = {0: "off", 1: "on", 2: "cooling", 3: "warm-up"}
ERROR_FIELDS = ("fan", "lamp", "temp", "cover", "filter", "other")
_BANNER = re.compile(r"^PJLINK (?:(0)|(1) ([0-9A-Za-z]{1,32})|(ERRA))$")
_REPLY = re.compile(r"^%([12])([A-Z0-9]{4})=(.*)$", re.DOTALL)


class PjlinkError(Exception):
    """The peer is not speaking PJLink as expected; the text is for people."""


class PjlinkAuthError(PjlinkError):
    """Wrong password (ERRA)."""


class PasswordNeeded(PjlinkAuthError):
    """The projector asks for a password and the caller has none."""


def auth_digest(seed: str, password: str) -> str:
    # MD5 is what the specification mandates; it is not our choice of hash.
    return hashlib.md5((seed + password).encode("utf-8"), usedforsecurity=False).hexdigest()


async def read_line(reader: asyncio.StreamReader) -> str:
    """One CR-terminated line (a stray LF around it is ignored), at most MAX_LINE bytes."""
    line = bytearray()
    while True:
        byte = await reader.read(1)
        if not byte:
            shown = f': "{line.decode("latin-1")[:40]}"' if line else ""
            raise PjlinkError(f"the projector closed the connection{shown}")
        if byte == b"\r":
            return line.decode("latin-1").strip("\n")
        line += byte
        if len(line) > MAX_LINE:
            raise PjlinkError(f"a line longer than {MAX_LINE} bytes: not PJLink")


@dataclass(frozen=True, slots=True)
class Reply:
    command: str
    value: str | None  # None when the projector answered an error code
    error: str | None = None  # ERR1..ERR4


class PjlinkSession:
    """One connection: the greeting, then queries. `open` reads and checks the greeting."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, digest: str | None
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._digest = digest  # sent once, before the first command
        self.authenticated = digest is not None

    @classmethod
    async def open(
        cls,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        password: str | None,
    ) -> PjlinkSession:
        banner = await read_line(reader)
        match = _BANNER.match(banner)
        if match is None:
            raise PjlinkError(f'not a PJLink greeting: "{banner[:60]}"')
        if match.group(4):
            raise PjlinkAuthError("the projector refused the connection (PJLINK ERRA)")
        if match.group(1):
            return cls(reader, writer, None)
        if password is None:
            raise PasswordNeeded("the projector asks for a PJLink password and none is set")
        return cls(reader, writer, auth_digest(match.group(3), password))

    async def query(self, command: str, pjlink_class: int = 1) -> Reply:
        prefix, self._digest = self._digest or "", None
        self._writer.write(f"{prefix}%{pjlink_class}{command} ?\r".encode("ascii"))
        await self._writer.drain()
        line = await read_line(self._reader)
        if line == "PJLINK ERRA":
            raise PjlinkAuthError("wrong PJLink password (PJLINK ERRA)")
        match = _REPLY.match(line)
        if match is None or match.group(2) != command:
            raise PjlinkError(f'unexpected reply to {command}: "{line[:60]}"')
        value = match.group(3)
        if value.upper() in COMMAND_ERRORS:
            return Reply(command, None, value.upper())
        return Reply(command, value)


# --- the replies, parsed ------------------------------------------------------------------


def parse_lamps(value: str) -> list[tuple[int, bool]]:
    """`12345 1 678 0` -> [(12345, True), (678, False)]: hours and on/off per lamp."""
    parts = value.split()
    if not parts or len(parts) % 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f'not a lamp status: "{value[:40]}"')
    return [(int(parts[i]), parts[i + 1] == "1") for i in range(0, len(parts), 2)]


def parse_errors(value: str) -> dict[str, int]:
    """`000200` -> fan 0, lamp 0, temp 0, cover 2, ...: 0 ok, 1 warning, 2 error."""
    if len(value) != 6 or any(c not in "012" for c in value):
        raise ValueError(f'not an error status: "{value[:40]}"')
    return {name: int(c) for name, c in zip(ERROR_FIELDS, value, strict=True)}


@dataclass(slots=True)
class PjlinkStatus:
    """What the standard queries returned; a query answered with ERRn lands in `errors`."""

    pjlink_class: int = 1
    power: int | None = None
    input: str | None = None
    lamps: list[tuple[int, bool]] = field(default_factory=list)
    error_status: dict[str, int] = field(default_factory=dict)
    name: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    info: str | None = None
    software_version: str | None = None
    errors: dict[str, str] = field(default_factory=dict)  # command -> ERRn
    authenticated: bool = False


_TEXT_QUERIES = (("NAME", "name"), ("INF1", "manufacturer"), ("INF2", "model"), ("INFO", "info"))


async def read_status(session: PjlinkSession) -> PjlinkStatus:
    """Class, power, input, lamps, error status, name and identity; class 2: software version."""
    status = PjlinkStatus(authenticated=session.authenticated)
    replies: dict[str, str] = {}
    for command in ("CLSS", "POWR", "INPT", "LAMP", "ERST", *(c for c, _ in _TEXT_QUERIES)):
        reply = await session.query(command)
        if reply.error:
            status.errors[command] = reply.error
        elif reply.value is not None:
            replies[command] = reply.value
    clss = replies.get("CLSS", "1").strip()
    status.pjlink_class = int(clss) if clss.isdigit() else 1
    if replies.get("POWR", "").isdigit():
        status.power = int(replies["POWR"])
    status.input = replies.get("INPT")
    try:
        status.lamps = parse_lamps(replies["LAMP"]) if "LAMP" in replies else []
        status.error_status = parse_errors(replies["ERST"]) if "ERST" in replies else {}
    except ValueError as err:
        raise PjlinkError(str(err)) from err
    for command, attribute in _TEXT_QUERIES:
        setattr(status, attribute, replies.get(command))
    if status.pjlink_class >= 2:
        reply = await session.query("SVER", 2)
        status.software_version = reply.value
        if reply.error:
            status.errors["SVER"] = reply.error
    return status
