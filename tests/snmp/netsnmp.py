"""Run net-snmp's command-line tools against the test snmpd and parse what they print into
the engine's own value types, so answers can be compared value for value.

Output flags: -On numeric OIDs, -Oe numeric enums, -Ot raw TimeTicks (printed bare), -Ox
every string in hex (exact bytes), -OU no units.
"""

from __future__ import annotations

import asyncio
from ipaddress import IPv4Address

from sitekeeper.protocols.snmp import (
    Counter32,
    Counter64,
    Gauge32,
    NoValue,
    TimeTicks,
    Value,
    VarBind,
    parse_oid,
)
from tests.snmp.snmpd import COMMUNITY, USERS, Snmpd, netsnmp_security

FLAGS = ["-On", "-Oe", "-Ot", "-Ox", "-OU", "-t", "3", "-r", "2"]


def security(profile: str) -> list[str]:
    """Options for a profile name: "v1", "v2c", or a key of USERS."""
    if profile in ("v1", "v2c"):
        return [f"-v{profile[1:]}", "-c", COMMUNITY]
    return netsnmp_security(USERS[profile])


class ToolError(Exception):
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code, self.stdout, self.stderr = code, stdout, stderr
        super().__init__(f"exit {code}: {stderr.strip()}")


async def run(
    agent: Snmpd, tool: str, profile: str, *oids: str, options: tuple[str, ...] = ()
) -> list[VarBind]:
    """`tool [flags] [security] [options] udp:127.0.0.1:PORT oids...`, parsed."""
    proc = await asyncio.create_subprocess_exec(
        tool,
        *FLAGS,
        *security(profile),
        *options,
        agent.address,
        *oids,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=agent.tool_env,
    )
    out, err = await proc.communicate()
    if proc.returncode:
        raise ToolError(proc.returncode, out.decode(), err.decode())
    return parse(out.decode())


_SIMPLE = {
    "INTEGER": int,
    "Counter32": Counter32,
    "Gauge32": Gauge32,
    "Counter64": Counter64,
    "Timeticks": TimeTicks,
}
_EXCEPTIONS = {
    "No Such Object": NoValue.NO_SUCH_OBJECT,
    "No Such Instance": NoValue.NO_SUCH_INSTANCE,
    "No more variables": NoValue.END_OF_MIB_VIEW,
}


def parse(text: str) -> list[VarBind]:
    """`.1.3.6... = TYPE: value` lines; Hex-STRING values may continue on further lines."""
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith("."):
            lines.append(line)
        elif line.strip() and lines:
            lines[-1] += " " + line.strip()
    return [(parse_oid(oid), _value(rest)) for oid, rest in (ln.split(" = ", 1) for ln in lines)]


def _value(text: str) -> Value:
    text = text.strip()
    for prefix, member in _EXCEPTIONS.items():
        if text.startswith(prefix):
            return member
    if text == '""':
        return b""
    if text == "NULL":
        return None
    if text.isdigit():  # -Ot prints TimeTicks as a bare number
        return TimeTicks(int(text))
    kind, _, value = text.partition(": ")
    if kind == "Hex-STRING":
        return bytes.fromhex(value)
    if kind == "STRING":  # -Ox leaves nothing as STRING, but be exact if it does
        return value.strip('"').encode()
    if kind == "OID":
        return parse_oid(value)
    if kind == "IpAddress":
        return IPv4Address(value)
    if kind in _SIMPLE:
        return _SIMPLE[kind](int(value))
    raise ValueError(f"cannot parse net-snmp value {text!r}")
